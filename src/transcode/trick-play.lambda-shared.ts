/**
 * Image-based trick play: MediaConvert's tiled JPEG thumbnails on the HLS
 * group (HlsGroupSettings.ImageBasedTrickPlay ADVANCED with
 * ImageBasedTrickPlaySettings, MediaConvert API Reference), and the WebVTT
 * thumbnails track derived from the images-only playlist MediaConvert writes.
 *
 * What MediaConvert writes (HlsImageBasedTrickPlay, MediaConvert API
 * Reference): "MediaConvert creates a child manifest for each set of images
 * that you generate and adds corresponding entries to the parent manifest",
 * compatible with Roku's trick mode specification (the Image Media Playlist
 * extension to HLS): an `#EXT-X-IMAGE-STREAM-INF` line in the master playlist
 * pointing at an images-only playlist (`#EXT-X-IMAGES-ONLY`) whose every tile
 * image carries `#EXT-X-TILES:RESOLUTION=<w>x<h>,LAYOUT=<cols>x<rows>,DURATION=<s>`.
 *
 * Pricing: the pricing material found does not list image-based trick play
 * as a Professional tier feature, so it is not treated as one here; check
 * https://aws.amazon.com/mediaconvert/pricing/ before relying on that.
 */

/** How the thumbnails are made, fixed at synth time. */
export interface TrickPlayPlan {
  /** Seconds between thumbnails (ThumbnailInterval with IntervalCadence FOLLOW_CUSTOM). */
  readonly intervalSeconds: number;
  /** The longer side of a thumbnail, in pixels, at most. */
  readonly thumbnailLongSide: number;
  /** Thumbnails in a row (TileWidth, 1 to 512) and in a column (TileHeight, 1 to 2048) of a tile image. */
  readonly tileColumns: number;
  readonly tileRows: number;
}

/** The default plan: a 320-pixel thumbnail every 5 seconds, 5x5 to a tile image (125 seconds a tile). */
export const DEFAULT_TRICK_PLAY: TrickPlayPlan = { intervalSeconds: 5, thumbnailLongSide: 320, tileColumns: 5, tileRows: 5 };

/** The WebVTT thumbnails track of a video, next to its playlists. */
export const thumbnailsTrackKey = (videoId: string) => `videos/${videoId}/thumbnails.vtt`;

/**
 * The size of one thumbnail of a frame `width`x`height` (as displayed): its
 * longer side at most the plan's, and no wider than the frame. MediaConvert
 * wants ThumbnailWidth divisible by 8 and ThumbnailHeight divisible by 2
 * (HlsImageBasedTrickPlaySettings, MediaConvert API Reference); both are set
 * so the aspect ratio is the frame's, within rounding.
 */
export function thumbnailSize(plan: TrickPlayPlan, frame: { width: number; height: number }): { width: number; height: number } {
  const longSide = Math.max(frame.width, frame.height);
  const scale = Math.min(1, plan.thumbnailLongSide / longSide);
  const width = Math.max(8, Math.floor(frame.width * scale / 8) * 8);
  const height = Math.max(2, Math.round(width * frame.height / frame.width / 2) * 2);
  return { width, height };
}

/** One tile image of an images-only playlist, with the time its first thumbnail starts. */
export interface TileImage {
  readonly uri: string;
  readonly start: number;
  readonly duration: number;
  readonly thumbnail: { readonly width: number; readonly height: number };
  readonly columns: number;
  readonly rows: number;
  /** Seconds each thumbnail stands for. */
  readonly thumbnailDuration: number;
}

/** The URI of the first `#EXT-X-IMAGE-STREAM-INF` of a master playlist, or undefined. */
export function imageStreamUri(master: string): string | undefined {
  const line = master.split(/\r?\n/).find((l) => l.startsWith('#EXT-X-IMAGE-STREAM-INF:'));
  return line ? /(?:^|[:,])URI="([^"]+)"/.exec(line)?.[1] : undefined;
}

/** Reads the tile images of an images-only playlist from its `#EXTINF` and `#EXT-X-TILES` tags. */
export function parseImagePlaylist(playlist: string): TileImage[] {
  const tiles: TileImage[] = [];
  let start = 0;
  let duration: number | undefined;
  let tileTag: Omit<TileImage, 'uri' | 'start' | 'duration'> | undefined;
  for (const raw of playlist.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) {
      duration = Number.parseFloat(line.slice('#EXTINF:'.length));
    } else if (line.startsWith('#EXT-X-TILES:')) {
      const attrs = Object.fromEntries(line.slice('#EXT-X-TILES:'.length).split(',').map((pair) => pair.split('=') as [string, string]));
      const [w, h] = String(attrs.RESOLUTION ?? '').split('x').map(Number);
      const [columns, rows] = String(attrs.LAYOUT ?? '').split('x').map(Number);
      tileTag = { thumbnail: { width: w, height: h }, columns, rows, thumbnailDuration: Number(attrs.DURATION) };
    } else if (line && !line.startsWith('#')) {
      if (duration === undefined || !tileTag || ![duration, tileTag.thumbnail.width, tileTag.thumbnail.height, tileTag.columns, tileTag.rows,
        tileTag.thumbnailDuration].every((n) => Number.isFinite(n) && n > 0)) {
        throw new Error(`images-only playlist: ${line} lacks a usable #EXTINF or #EXT-X-TILES`);
      }
      tiles.push({ uri: line, start, duration, ...tileTag });
      start += duration;
      duration = undefined;
    }
  }
  return tiles;
}

/**
 * The WebVTT thumbnails track of an images-only playlist: one cue per
 * thumbnail, `<tile image>#xywh=x,y,w,h`, thumbnails read row by row. Tile
 * image URIs are made relative to the track by `resolve` (the playlist's are
 * relative to the playlist).
 */
export function thumbnailsVtt(playlist: string, resolve: (uri: string) => string = (uri) => uri): string {
  const lines = ['WEBVTT', ''];
  for (const tile of parseImagePlaylist(playlist)) {
    const count = Math.min(tile.columns * tile.rows, Math.ceil(tile.duration / tile.thumbnailDuration - 1e-6));
    for (let i = 0; i < count; i++) {
      const from = tile.start + i * tile.thumbnailDuration;
      const to = Math.min(tile.start + tile.duration, from + tile.thumbnailDuration);
      const x = (i % tile.columns) * tile.thumbnail.width;
      const y = Math.floor(i / tile.columns) * tile.thumbnail.height;
      lines.push(`${vttTime(from)} --> ${vttTime(to)}`, `${resolve(tile.uri)}#xywh=${x},${y},${tile.thumbnail.width},${tile.thumbnail.height}`, '');
    }
  }
  return lines.join('\n');
}

function vttTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
}

/** Reads and writes objects of the output bucket by key. */
export interface TrackStorage {
  /** The object's text, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  write(key: string, body: string, contentType: string): Promise<void>;
}

/**
 * Writes the WebVTT thumbnails track of a completed video, derived from the
 * images-only playlist its master playlist names in `#EXT-X-IMAGE-STREAM-INF`,
 * so the cues match what MediaConvert wrote. Answers the track's key, or
 * undefined when the master names no image stream (trick play off).
 */
export async function writeThumbnailsTrack(storage: TrackStorage, videoId: string, masterKey: string): Promise<string | undefined> {
  const master = await storage.read(masterKey);
  const imageUri = master === undefined ? undefined : imageStreamUri(master);
  if (imageUri === undefined) {
    return undefined;
  }
  const trackKey = thumbnailsTrackKey(videoId);
  const playlistKey = joinKey(folder(masterKey), imageUri);
  const playlist = await storage.read(playlistKey);
  if (playlist === undefined) {
    throw new Error(`the master playlist ${masterKey} names ${imageUri}, which is missing`);
  }
  const trackFolder = folder(trackKey);
  const vtt = thumbnailsVtt(playlist, (uri) => {
    const key = joinKey(folder(playlistKey), uri);
    return key.startsWith(trackFolder) ? key.slice(trackFolder.length) : `/${key}`;
  });
  await storage.write(trackKey, vtt, 'text/vtt');
  return trackKey;
}

function folder(key: string): string {
  return key.slice(0, key.lastIndexOf('/') + 1);
}

/** A relative URI resolved against a folder key (`a/b/` + `../c` = `a/c`). */
function joinKey(base: string, uri: string): string {
  const parts = base.split('/').filter(Boolean);
  for (const part of uri.split('/')) {
    if (part === '..') {
      parts.pop();
    } else if (part !== '.' && part !== '') {
      parts.push(part);
    }
  }
  return parts.join('/');
}
