/**
 * Scrub thumbnails: the WebVTT thumbnails track written beside a video's
 * playlists (`videos/<id>/thumbnails.vtt`), each cue a region of a tile image,
 * `<image>#xywh=x,y,w,h`.
 */

export interface ThumbnailCue {
  readonly start: number;
  readonly end: number;
  /** The tile image, absolute. */
  readonly url: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The cues of a thumbnails track; image addresses are resolved against `base`, the track's address. Malformed cues are skipped. */
export function parseThumbnailsVtt(text: string, base: string): ThumbnailCue[] {
  const cues: ThumbnailCue[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const timing = /^(\S+)\s+-->\s+(\S+)/.exec(lines[i]);
    const target = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[i + 1]?.trim() ?? '');
    const start = timing ? seconds(timing[1]) : NaN;
    const end = timing ? seconds(timing[2]) : NaN;
    if (!target || !Number.isFinite(start) || !Number.isFinite(end)) {
      continue;
    }
    let url: string;
    try {
      url = new URL(target[1], base).href;
    } catch {
      continue;
    }
    cues.push({ start, end, url, x: Number(target[2]), y: Number(target[3]), width: Number(target[4]), height: Number(target[5]) });
    i++;
  }
  return cues;
}

/** The cue showing at `time`, the last one past the end. */
export function thumbnailAt(cues: readonly ThumbnailCue[], time: number): ThumbnailCue | undefined {
  const last = cues[cues.length - 1];
  return cues.find((cue) => time >= cue.start && time < cue.end) ?? (last && time >= last.end ? last : undefined);
}

/**
 * The thumbnail `step` thumbnails after (or, negative, before) the one
 * showing at `time`, stopping at the first and the last: what the arrow keys
 * move the scrub preview to.
 */
export function neighbourThumbnail(cues: readonly ThumbnailCue[], time: number, step: number): ThumbnailCue | undefined {
  if (cues.length === 0) return undefined;
  const showing = thumbnailAt(cues, time);
  const index = showing ? cues.indexOf(showing) : 0;
  return cues[Math.min(cues.length - 1, Math.max(0, index + step))];
}

/** `hh:mm:ss.mmm` or `mm:ss.mmm` in seconds. */
function seconds(timestamp: string): number {
  const parts = timestamp.split(':').map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isFinite(n))) {
    return NaN;
  }
  return parts.reduce((total, part) => total * 60 + part, 0);
}
