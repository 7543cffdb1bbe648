import type { Price } from './prices.lambda-shared';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';

/**
 * The catalog's record of a video and what each caller may see of it.
 */

/** A video's life: DRAFT → UPLOADING → PROCESSING → READY → PUBLISHED; FAILED; DELETED. */
export type VideoState = 'DRAFT' | 'UPLOADING' | 'PROCESSING' | 'READY' | 'PUBLISHED' | 'FAILED' | 'DELETED';

/** Who may watch: anyone, viewers with premium, or viewers entitled to this video. */
export type AccessMode = 'public' | 'premium' | 'purchase';
export const ACCESS_MODES: readonly AccessMode[] = ['public', 'premium', 'purchase'];

/** The upload a video is waiting for or was made from. */
export interface UploadRecord {
  readonly uploadId: string;
  readonly key: string;
  readonly kind: 'post' | 'multipart';
  readonly multipartUploadId?: string;
  readonly size: number;
  readonly contentType: string;
}

export interface VideoOutputs {
  readonly masterPlaylistKey: string;
  readonly durationSeconds: number;
  readonly posterKey?: string;
  readonly renditions: ReadonlyArray<{ readonly width: number; readonly height: number }>;
  readonly downloadKey?: string;
}

export interface VideoRecord {
  readonly videoId: string;
  readonly creatorId: string;
  readonly title: string;
  readonly description: string;
  readonly access: AccessMode;
  /** What a purchase costs; a `purchase` video is published only with one. */
  readonly price?: Price;
  readonly state: VideoState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly currentUploadId?: string;
  readonly upload?: UploadRecord;
  /** The largest transcode status order applied (see the transcode status contract). */
  readonly transcodeOrder?: number;
  readonly progressPercent?: number;
  readonly outputs?: VideoOutputs;
  readonly failure?: { readonly code: string; readonly message: string };
  readonly publishedAt?: string;
  /** When the video was deleted; its sources are kept a while after, for an admin to restore it. */
  readonly deletedAt?: string;
  /** Caption tracks added to the transcoded video, in the order they were first added. */
  readonly captions?: readonly CaptionTrack[];
  /** `published` while listed; the published index's partition. */
  readonly listing?: string;
}

/** A caption track of a video: `videos/<id>/captions/<language>.vtt` and its playlist. */
export interface CaptionTrack {
  readonly language: string;
  readonly label: string;
  readonly addedAt: string;
}

/** A file name in a video's own folder: no slash, so no other folder, and no leading dot. */
const DOWNLOAD_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.mp4$/;

/**
 * The key of the video's MP4 download, when the pipeline made one, and only
 * if it is a file in the video's own folder (`videos/<id>/`): the key is
 * signed into a URL, so one that points elsewhere is never offered.
 */
export function downloadKey(video: VideoRecord): string | undefined {
  const key = video.outputs?.downloadKey;
  const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
  return key !== undefined && key.startsWith(folder) && DOWNLOAD_FILE.test(key.slice(folder.length)) ? key : undefined;
}

/** What anyone may see of a published video. */
export function publicView(video: VideoRecord, mediaBaseUrl: string) {
  return {
    id: video.videoId,
    title: video.title,
    description: video.description,
    access: video.access,
    price: video.price ? { amount: video.price.amount, currency: video.price.currency } : undefined,
    // The stored value also sorts the published index (`<time>#<id>`); callers see the time.
    publishedAt: video.publishedAt?.split('#')[0],
    durationSeconds: video.outputs?.durationSeconds,
    posterUrl: video.outputs?.posterKey ? `${mediaBaseUrl}/${video.outputs.posterKey}` : undefined,
    captions: (video.captions ?? []).map((track) => ({ language: track.language, label: track.label })),
  };
}

/** What the video's creator (or an admin) may see. */
export function ownerView(video: VideoRecord, mediaBaseUrl: string) {
  return {
    ...publicView(video, mediaBaseUrl),
    creatorId: video.creatorId,
    state: video.state,
    progressPercent: video.progressPercent ?? 0,
    failure: video.failure,
    renditions: video.outputs?.renditions,
    createdAt: video.createdAt,
    updatedAt: video.updatedAt,
  };
}
