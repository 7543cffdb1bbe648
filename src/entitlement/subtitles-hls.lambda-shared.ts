/**
 * Caption tracks as HLS subtitle renditions, added to what the transcode
 * wrote without encoding anything again: a media playlist per language
 * holding its one WebVTT file, and `EXT-X-MEDIA` entries in the master
 * playlist (RFC 8216, sections 4.3.4.1 and 4.3.4.2, https://www.rfc-editor.org/rfc/rfc8216).
 * Everything here is pure.
 */

/** The GROUP-ID of the caption tracks, which every variant names in its SUBTITLES attribute. */
export const SUBTITLES_GROUP = 'subs';

/** A caption track as the master playlist lists it. */
export interface SubtitleTrack {
  readonly language: string;
  /** The track's NAME; unique within the group, as RFC 8216 requires. */
  readonly label: string;
}

/** Where a language's files are, relative to the video's folder (where the master playlist is). */
export const CAPTION_FILES = {
  playlist: (language: string) => `captions/${language}.m3u8`,
  /** Relative to the subtitle playlist, which is in the same folder. */
  vttName: (language: string) => `${language}.vtt`,
  vtt: (language: string) => `captions/${language}.vtt`,
} as const;

const MEDIA_TAG = '#EXT-X-MEDIA:';
const STREAM_INF_TAG = '#EXT-X-STREAM-INF:';

/**
 * The master playlist with exactly `tracks` as its subtitle renditions: one
 * `EXT-X-MEDIA:TYPE=SUBTITLES` entry each, and `SUBTITLES="subs"` on every
 * `EXT-X-STREAM-INF`; with no tracks, neither. Entries of this group that
 * the playlist holds already are replaced, so rewriting is idempotent.
 */
export function withSubtitleTracks(master: string, tracks: readonly SubtitleTrack[]): string {
  const lines = master.replace(/\r\n/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (line.startsWith(MEDIA_TAG) && isOurSubtitleEntry(line)) {
      continue;
    }
    if (line.startsWith(STREAM_INF_TAG)) {
      const attributes = parseAttributes(line.slice(STREAM_INF_TAG.length)).filter(([name]) => name !== 'SUBTITLES');
      if (tracks.length > 0) {
        attributes.push(['SUBTITLES', `"${SUBTITLES_GROUP}"`]);
      }
      kept.push(`${STREAM_INF_TAG}${attributes.map(([name, value]) => `${name}=${value}`).join(',')}`);
      continue;
    }
    kept.push(line);
  }
  const entries = tracks.map((track) => `${MEDIA_TAG}${[
    'TYPE=SUBTITLES',
    `GROUP-ID="${SUBTITLES_GROUP}"`,
    `NAME="${quotable(track.label)}"`,
    `LANGUAGE="${quotable(track.language)}"`,
    // No track plays unless the viewer picks it; AUTOSELECT lets a player pick one matching the viewer's language settings.
    'DEFAULT=NO',
    'AUTOSELECT=YES',
    `URI="${CAPTION_FILES.playlist(track.language)}"`,
  ].join(',')}`);
  // The renditions go before the first variant, after the playlist's own header tags.
  const firstVariant = kept.findIndex((line) => line.startsWith(STREAM_INF_TAG));
  const at = firstVariant >= 0 ? firstVariant : kept.length;
  kept.splice(at, 0, ...entries);
  return kept.join('\n');
}

/**
 * The media playlist of one language: its single WebVTT file as the only
 * segment, lasting the whole video. The target duration must not be less
 * than any segment's duration rounded to the nearest integer (RFC 8216,
 * section 4.3.3.1); the video's duration rounded up meets that.
 */
export function subtitlePlaylist(language: string, durationSeconds: number): string {
  const duration = Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds : 1;
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${Math.ceil(duration)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${duration.toFixed(3)},`,
    CAPTION_FILES.vttName(language),
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

/** The URI of the master playlist's first variant stream, if it has one. */
export function firstVariantUri(master: string): string | undefined {
  return firstUriAfter(master, STREAM_INF_TAG);
}

/** The URI of a media playlist's first segment, if it has one. */
export function firstSegmentUri(mediaPlaylist: string): string | undefined {
  return firstUriAfter(mediaPlaylist, '#EXTINF:');
}

/**
 * How a media playlist's first segment is encrypted (RFC 8216, 4.3.2.4): the
 * `METHOD` of the last `#EXT-X-KEY` before it (`NONE` without one), and its
 * IV: the tag's `IV`, or else the segment's media sequence number as a
 * 128-bit big-endian integer (`#EXT-X-MEDIA-SEQUENCE`, 0 when absent).
 */
export function firstSegmentEncryption(mediaPlaylist: string): { method: string; iv: Uint8Array } {
  let method = 'NONE';
  let explicitIv: string | undefined;
  let sequence = 0n;
  for (const raw of mediaPlaylist.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) {
      sequence = BigInt(/^\d{1,20}$/.test(line.slice(22)) ? line.slice(22) : '0');
    } else if (line.startsWith('#EXT-X-KEY:')) {
      method = /(?:^|,)METHOD=([A-Z0-9-]+)/.exec(line.slice(11))?.[1] ?? 'NONE';
      explicitIv = /(?:^|,)IV=0[xX]([0-9a-fA-F]{1,32})(?:,|$)/.exec(line.slice(11))?.[1];
    } else if (line.startsWith('#EXTINF:')) {
      break;
    }
  }
  const hex = (explicitIv ?? sequence.toString(16)).padStart(32, '0');
  return { method, iv: Uint8Array.from(Buffer.from(hex, 'hex')) };
}

/**
 * The earliest presentation time stamp (90 kHz) of the audio and video PES
 * packets in the start of an MPEG-2 transport stream segment (ISO/IEC
 * 13818-1: 188-byte packets starting 0x47; a PES header starts 00 00 01,
 * then its stream id, and holds a 33-bit PTS when its PTS_DTS_flags say so).
 * Players place the stream's start there, so a WebVTT file's
 * `X-TIMESTAMP-MAP` ties its cue time 0 to it. Undefined when there is no
 * such packet (not a transport stream).
 */
export function firstPresentationTime(segment: Uint8Array): number | undefined {
  let earliest: number | undefined;
  for (let offset = 0; offset + 188 <= segment.length; offset += 188) {
    if (segment[offset] !== 0x47) {
      return earliest;
    }
    // Bit fields read with arithmetic: the payload unit start indicator, then the adaptation field control.
    const payloadStart = Math.floor(segment[offset + 1] / 0x40) % 2 === 1;
    const adaptation = Math.floor(segment[offset + 3] / 0x10) % 4;
    if (!payloadStart || adaptation % 2 === 0) {
      continue;
    }
    const pes = offset + 4 + (adaptation === 3 ? segment[offset + 4] + 1 : 0);
    if (pes + 14 > offset + 188 || segment[pes] !== 0 || segment[pes + 1] !== 0 || segment[pes + 2] !== 1) {
      continue;
    }
    const streamId = segment[pes + 3];
    const audioOrVideo = streamId >= 0xc0 && streamId <= 0xef;
    // PTS_DTS_flags: the top bit of the header's second flags byte says a PTS follows.
    if (!audioOrVideo || segment[pes + 7] < 0x80) {
      continue;
    }
    const p = pes + 9;
    const pts = (Math.floor(segment[p] / 2) % 8) * 2 ** 30 // bits 32..30
      + segment[p + 1] * 2 ** 22 + Math.floor(segment[p + 2] / 2) * 2 ** 15 // bits 29..15
      + segment[p + 3] * 2 ** 7 + Math.floor(segment[p + 4] / 2); // bits 14..0
    earliest = earliest === undefined ? pts : Math.min(earliest, pts);
  }
  return earliest;
}

function firstUriAfter(playlist: string, tag: string): string | undefined {
  const lines = playlist.replace(/\r\n/g, '\n').split('\n').map((line) => line.trim());
  const at = lines.findIndex((line) => line.startsWith(tag));
  if (at < 0) {
    return undefined;
  }
  return lines.slice(at + 1).find((line) => line !== '' && !line.startsWith('#'));
}

function isOurSubtitleEntry(line: string): boolean {
  const attributes = new Map(parseAttributes(line.slice(MEDIA_TAG.length)));
  return attributes.get('TYPE') === 'SUBTITLES' && attributes.get('GROUP-ID') === `"${SUBTITLES_GROUP}"`;
}

/** An attribute list (RFC 8216, section 4.2) as name and raw value pairs; a quoted value may hold commas. */
function parseAttributes(list: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const pattern = /([A-Z0-9-]+)=("[^"\r\n]*"|[^,]*)(?:,|$)/g;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(list)) !== null && match[0] !== '') {
    found.push([match[1], match[2]]);
  }
  return found;
}

/** A quoted-string holds no double quote, CR or LF (RFC 8216, section 4.2); the caller checked, this makes sure. */
function quotable(value: string): string {
  return value.replace(/["\r\n]/g, '');
}
