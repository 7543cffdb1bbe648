/**
 * Posters a creator picks from the video's scrub thumbnails: which
 * thumbnail shows at a time (the WebVTT thumbnails track, one cue per
 * thumbnail, `<tile image>#xywh=x,y,w,h`), and that thumbnail cut out of its
 * tile image as a JPEG of its own. Everything here is pure: text and bytes
 * in, bytes out, or a {@link PosterError} saying what is wrong.
 */
import { decode, encode } from 'jpeg-js';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';

/** A thumbnail or tile image that cannot make a poster; its message is for the creator. */
export class PosterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PosterError';
  }
}

/** A region of an image, in pixels from its top left corner. */
export interface Rectangle {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One cue of a thumbnails track: from `startMs` to `endMs`, the region of the tile image `image` (as the track names it). */
export interface ThumbnailCue extends Rectangle {
  readonly startMs: number;
  readonly endMs: number;
  readonly image: string;
}

/** The JPEG quality of a picked poster (0 to 100): a single small image, so detail is worth more than bytes. */
const POSTER_QUALITY = 90;
/**
 * The largest tile image decoded. The pipeline's tiles are 5x5 thumbnails of
 * 320 pixels at most (1600x900 for 16:9), about 1.5 megapixels; decoding
 * takes 4 bytes a pixel, which the API function's memory must hold.
 */
const MAX_TILE_MEGAPIXELS = 16;
const MAX_DECODE_MEGABYTES = 128;

/** The cues of a thumbnails track, in the track's order. Malformed cues are skipped, as players skip them. */
export function parseThumbnailCues(vtt: string): ThumbnailCue[] {
  const cues: ThumbnailCue[] = [];
  const lines = vtt.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const timing = /^(\S+)[ \t]+-->[ \t]+(\S+)/.exec(lines[i]);
    const target = /^(.+)#xywh=(\d{1,6}),(\d{1,6}),(\d{1,6}),(\d{1,6})$/.exec(lines[i + 1]?.trim() ?? '');
    const startMs = timing ? vttMillis(timing[1]) : undefined;
    const endMs = timing ? vttMillis(timing[2]) : undefined;
    if (startMs === undefined || endMs === undefined || endMs <= startMs || !target) {
      continue;
    }
    cues.push({
      startMs, endMs, image: target[1], x: Number(target[2]), y: Number(target[3]), width: Number(target[4]), height: Number(target[5]),
    });
    i++;
  }
  return cues;
}

/**
 * The cue showing at `seconds`; past the last cue's end, the last one (a
 * video's duration may end after its last thumbnail's time). The web app's
 * scrub preview picks the same way, so the creator gets the frame they saw.
 */
export function thumbnailCueAt(cues: readonly ThumbnailCue[], seconds: number): ThumbnailCue | undefined {
  const ms = seconds * 1000;
  const last = cues[cues.length - 1];
  return cues.find((cue) => ms >= cue.startMs && ms < cue.endMs) ?? (last && ms >= last.endMs ? last : undefined);
}

/**
 * The output bucket's key of a cue's tile image, resolved against the
 * track's key as a relative URL is (a leading `/` is the bucket's root).
 * Undefined unless it is a JPEG under the track's own folder: the track is the
 * pipeline's, but what the API reads is kept to that video's files.
 */
export function tileImageKey(image: string, trackKey: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(image) || /[?#\\]/.test(image)) {
    return undefined;
  }
  const folder = trackKey.slice(0, trackKey.lastIndexOf('/') + 1);
  const parts = image.startsWith('/') ? [] : folder.split('/').filter(Boolean);
  for (const part of image.split('/')) {
    if (part === '..') {
      parts.pop();
    } else if (part !== '.' && part !== '') {
      parts.push(part);
    }
  }
  const key = parts.join('/');
  return key.startsWith(folder) && /\.jpe?g$/i.test(key) ? key : undefined;
}

/**
 * Cuts `region` out of a JPEG image and answers it as a JPEG of its own.
 * The region must lie inside the decoded image; an image that is not a
 * readable JPEG, or is too large to decode, is a PosterError too.
 */
export function cropJpeg(image: Uint8Array, region: Rectangle): { jpeg: Uint8Array; width: number; height: number } {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decode(image, {
      useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_TILE_MEGAPIXELS, maxMemoryUsageInMB: MAX_DECODE_MEGABYTES,
    });
  } catch (error) {
    throw new PosterError(`the thumbnail's tile image is not a JPEG image that can be read (${(error as Error).message ?? error})`);
  }
  const { x, y, width, height } = region;
  const inside = [x, y, width, height].every((n) => Number.isSafeInteger(n) && n >= 0) && width > 0 && height > 0
    && x + width <= decoded.width && y + height <= decoded.height;
  if (!inside) {
    throw new PosterError(`the thumbnail's region ${width}x${height} at ${x},${y} is not inside its ${decoded.width}x${decoded.height} tile image`);
  }
  // RGBA rows: each row of the region is one contiguous run of the tile's row.
  const data = new Uint8Array(width * height * 4);
  for (let row = 0; row < height; row++) {
    const from = ((y + row) * decoded.width + x) * 4;
    data.set(decoded.data.subarray(from, from + width * 4), row * width * 4);
  }
  const encoded = encode({ data, width, height }, POSTER_QUALITY);
  return { jpeg: new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength), width, height };
}

/**
 * Whether `key` is a poster picked for the video (`posters/<id>/picked-<ms>.jpg`):
 * only those are ever removed when another is picked, never the pipeline's own captures.
 */
export function isPickedPosterKey(videoId: string, key: string): boolean {
  const folder = OUTPUT_LAYOUT.posterFolder(videoId);
  return key.startsWith(folder) && new RegExp(`^${OUTPUT_LAYOUT.pickedPosterBaseName}\\d{1,16}\\.jpg$`).test(key.slice(folder.length));
}

/** `[hh:]mm:ss.ttt` in milliseconds; undefined when malformed. */
function vttMillis(timestamp: string): number | undefined {
  const match = /^(?:(\d{1,5}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/.exec(timestamp);
  return match ? ((Number(match[1] ?? 0) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 + Number(match[4]) : undefined;
}
