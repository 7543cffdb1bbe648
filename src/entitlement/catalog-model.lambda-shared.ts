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
  /** The poster its creator picked from the scrub thumbnails, shown instead of the pipeline's; a new encode drops it. */
  readonly pickedPoster?: PickedPoster;
  /** Automatic captions of the current upload, when the pipeline makes them. */
  readonly automaticCaptions?: AutomaticCaptionsRecord;
  /** `<transcription job>#<rank>` of `automaticCaptions`, which their writes are conditional on. */
  readonly automaticCaptionsStep?: string;
  /** `published` while listed; the published index's partition. */
  readonly listing?: string;
}

/** A caption track of a video: `videos/<id>/captions/<language>.vtt` and its playlist. */
export interface CaptionTrack {
  readonly language: string;
  readonly label: string;
  readonly addedAt: string;
  /** Made by speech to text (Amazon Transcribe), not by a person. */
  readonly automatic?: boolean;
}

/** What became of a video's automatic captions, for its current upload. */
export interface AutomaticCaptionsRecord {
  /** IN_PROGRESS; ADDED as a track; SKIPPED (a track of that language is the creator's, or no room); FAILED. */
  readonly state: 'IN_PROGRESS' | 'ADDED' | 'SKIPPED' | 'FAILED';
  readonly uploadId: string;
  readonly transcriptionJobName: string;
  readonly language?: string;
  /** Why it was skipped or failed. */
  readonly reason?: string;
  readonly at: string;
}

/** A poster picked from the scrub thumbnails: its file (`posters/<id>/picked-<ms>.jpg`), and the time of the video it shows. */
export interface PickedPoster {
  readonly key: string;
  readonly timeSeconds: number;
  readonly pickedAt: string;
}

/** The key of the video's poster: the one its creator picked, else the pipeline's capture of the first frame. */
export function posterKey(video: VideoRecord): string | undefined {
  return video.pickedPoster?.key ?? video.outputs?.posterKey;
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
    posterUrl: posterKey(video) ? `${mediaBaseUrl}/${posterKey(video)}` : undefined,
    captions: (video.captions ?? []).map((track) => ({
      language: track.language, label: track.label, ...(track.automatic ? { automatic: true } : {}),
    })),
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
    automaticCaptions: automaticCaptionsView(video.automaticCaptions),
    pickedPoster: video.pickedPoster
      ? { timeSeconds: video.pickedPoster.timeSeconds, pickedAt: video.pickedPoster.pickedAt }
      : undefined,
    createdAt: video.createdAt,
    updatedAt: video.updatedAt,
  };
}

/** What the owner sees of the automatic captions: how they went, not the job behind them. */
function automaticCaptionsView(record: AutomaticCaptionsRecord | undefined) {
  return record ? { state: record.state, language: record.language, reason: record.reason, at: record.at } : undefined;
}
