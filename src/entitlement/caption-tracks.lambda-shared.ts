import { createDecipheriv } from 'node:crypto';
import { withTimestampMap } from './captions.lambda-shared';
import { CaptionTrack, VideoRecord } from './catalog-model.lambda-shared';
import { Catalog } from './catalog.lambda-shared';
import { ApiError } from './http.lambda-shared';
import type { MediaFiles } from './routes.lambda-shared';
import {
  CAPTION_FILES, firstPresentationTime, firstSegmentEncryption, firstSegmentUri, firstVariantUri, subtitlePlaylist, withSubtitleTracks,
} from './subtitles-hls.lambda-shared';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';

/**
 * A video's caption tracks as stored: a WebVTT file and a one-segment
 * subtitle playlist per language beside the renditions, the master playlist
 * listing them, and the catalog record naming them. Used by the caption
 * routes (a creator's tracks) and by the consumer of the pipeline's events
 * (automatic ones), so both keep the three in step the same way.
 */
export interface CaptionStore {
  readonly catalog: Catalog;
  readonly files: MediaFiles;
  /** Invalidates paths of the media's distribution; without it, cached playlists lapse on their own (30 seconds). */
  readonly invalidate?: (paths: string[]) => Promise<void>;
  /** A video's content key, when segments are encrypted: the stream's start is read from a decrypted segment. */
  readonly contentKey?: (videoId: string) => Promise<Uint8Array | undefined>;
  readonly now: Date;
}

/** At most this many caption tracks per video. */
export const MAX_CAPTION_TRACKS = 20;

const HLS_PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
/** The most read of a segment to find where the stream starts: its first PES packets are at its start. */
const SEGMENT_PROBE_BYTES = 256 * 1024;

/**
 * Adds or replaces the track of `track.language` with a checked WebVTT file:
 * the catalog record first (conditional on the video being unchanged, a 409
 * otherwise), then the track's files, then the master playlist. A change that
 * loses the race writes nothing, so it never overwrites the winner's file.
 * Answers the video as recorded.
 */
export async function putCaptionTrack(
  store: CaptionStore, video: VideoRecord, track: Omit<CaptionTrack, 'addedAt'>, vtt: string, alsoSet: Record<string, unknown> = {},
): Promise<VideoRecord> {
  const { files } = store;
  const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
  const master = await readMaster(files, video);
  const start = await streamStart(store, video.videoId, folder, master);
  const writeFiles = async () => {
    await files.write(`${folder}${CAPTION_FILES.vtt(track.language)}`, start === undefined ? vtt : withTimestampMap(vtt, start), 'text/vtt; charset=utf-8');
    await files.write(`${folder}${CAPTION_FILES.playlist(track.language)}`, subtitlePlaylist(track.language, video.outputs?.durationSeconds ?? 0), HLS_PLAYLIST_TYPE);
  };
  const existing = video.captions?.find((each) => each.language === track.language);
  const stored: CaptionTrack = { ...track, addedAt: existing?.addedAt ?? store.now.toISOString() };
  const captions = existing
    ? (video.captions ?? []).map((each) => (each.language === track.language ? stored : each))
    : [...(video.captions ?? []), stored];
  return saveCaptions(store, video, captions, master, [track.language], alsoSet, writeFiles);
}

/** Removes the track of `language`; removing one that is not there changes nothing but the same writes. */
export async function removeCaptionTrack(store: CaptionStore, video: VideoRecord, language: string): Promise<VideoRecord> {
  const master = await readMaster(store.files, video);
  const updated = await saveCaptions(store, video, (video.captions ?? []).filter((track) => track.language !== language), master, [language]);
  // Once the master no longer names them.
  const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
  await store.files.remove(`${folder}${CAPTION_FILES.playlist(language)}`);
  await store.files.remove(`${folder}${CAPTION_FILES.vtt(language)}`);
  return updated;
}

async function readMaster(files: MediaFiles, video: VideoRecord): Promise<string> {
  const bytes = await files.read(video.outputs?.masterPlaylistKey ?? OUTPUT_LAYOUT.masterPlaylist(video.videoId));
  if (!bytes) {
    throw new ApiError(409, 'no-renditions', 'the video\'s renditions are not there; it cannot take captions');
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Where the video's MPEG-TS segments start (90 kHz), from the first segment
 * of the first variant. MediaConvert chooses the initial PTS of each output
 * (at least two seconds with its default, automatic offset), so it is read,
 * not assumed; undefined when the segments are not a transport stream.
 */
async function streamStart(store: CaptionStore, videoId: string, folder: string, master: string): Promise<number | undefined> {
  const { files } = store;
  const variant = firstVariantUri(master);
  if (!variant || /^[a-z]+:|^\/|\.\./i.test(variant)) {
    return undefined;
  }
  const variantKey = `${folder}${variant}`;
  const playlist = await files.read(variantKey);
  const text = playlist ? Buffer.from(playlist).toString('utf8') : undefined;
  const segment = text ? firstSegmentUri(text) : undefined;
  if (!text || !segment || /^[a-z]+:|^\/|\.\./i.test(segment)) {
    return undefined;
  }
  const bytes = await files.read(`${variantKey.slice(0, variantKey.lastIndexOf('/') + 1)}${segment}`, SEGMENT_PROBE_BYTES);
  if (!bytes) {
    return undefined;
  }
  const encryption = firstSegmentEncryption(text);
  if (encryption.method === 'NONE') {
    return firstPresentationTime(bytes);
  }
  const key = encryption.method === 'AES-128' ? await store.contentKey?.(videoId) : undefined;
  return key ? firstPresentationTime(decryptPrefix(bytes, key, encryption.iv)) : undefined;
}

/**
 * The start of an AES-128 (CBC) segment, decrypted: each 16-byte block needs
 * only itself and the one before, so the first whole blocks read decrypt
 * without the rest of the segment (its padding is in its last block).
 */
function decryptPrefix(bytes: Uint8Array, key: Uint8Array, iv: Uint8Array): Uint8Array {
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 16));
  const decipher = createDecipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
  return Uint8Array.from(Buffer.concat([decipher.update(whole), decipher.final()]));
}

/**
 * Records the video's caption tracks, if it did not change meanwhile (a 409
 * otherwise), then rewrites its master playlist to list exactly those tracks
 * and has the CDN drop its cached copy. Without an invalidation the CDN's
 * copy lapses within its 30-second cache time for playlists.
 */
async function saveCaptions(
  store: CaptionStore, video: VideoRecord, captions: readonly CaptionTrack[], master: string, changedLanguages: readonly string[],
  alsoSet: Record<string, unknown> = {}, afterRecorded: () => Promise<void> = async () => undefined,
): Promise<VideoRecord> {
  const updated = await store.catalog.transition(video.videoId, {
    from: ['READY', 'PUBLISHED'],
    expected: { updatedAt: video.updatedAt },
    set: { ...alsoSet, captions, updatedAt: store.now.toISOString() },
  });
  await afterRecorded();
  const key = video.outputs?.masterPlaylistKey ?? OUTPUT_LAYOUT.masterPlaylist(video.videoId);
  await writeMaster(store, video.videoId, key, master, captions);
  // The track's own files are cached like segments (a day): a replaced or removed track goes too.
  const folder = OUTPUT_LAYOUT.videoFolder(video.videoId);
  await store.invalidate?.([`/${key}`, ...changedLanguages.flatMap((language) => [
    `/${folder}${CAPTION_FILES.vtt(language)}`, `/${folder}${CAPTION_FILES.playlist(language)}`,
  ])]);
  return updated;
}

/** How many times a master playlist is written again when the catalog moved on while it was written. */
const MASTER_REWRITES = 5;

/**
 * Writes the master playlist listing `captions`, then reads the catalog back
 * and writes it again while the catalog lists other tracks. Two changes can
 * both pass the catalog's conditional write and then write the master in the
 * other order, so the one with the older list lands last; S3 writes are not
 * conditional here, but every writer checks the catalog after its own write,
 * and the last write to land is followed by such a check, so the master ends
 * up listing what the catalog lists.
 */
async function writeMaster(store: CaptionStore, videoId: string, key: string, master: string, captions: readonly CaptionTrack[]): Promise<void> {
  let written = captions;
  for (let attempt = 0; attempt <= MASTER_REWRITES; attempt++) {
    await store.files.write(key, withSubtitleTracks(master, written), HLS_PLAYLIST_TYPE);
    const now = (await store.catalog.get(videoId))?.captions ?? [];
    if (sameTracks(now, written)) {
      return;
    }
    written = now;
  }
}

function sameTracks(a: readonly CaptionTrack[], b: readonly CaptionTrack[]): boolean {
  const key = (tracks: readonly CaptionTrack[]) => JSON.stringify(tracks.map((track) => [track.language, track.label]));
  return key(a) === key(b);
}
