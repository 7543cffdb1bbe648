/**
 * Caption files a creator adds to a video: WebVTT, or SRT turned into WebVTT.
 * Everything here is pure: a file is checked whole and answered as normalized
 * WebVTT, or refused with a {@link CaptionError} saying what is wrong.
 *
 * WebVTT syntax follows the W3C WebVTT specification (https://www.w3.org/TR/webvtt1/):
 * a `WEBVTT` signature line, blocks separated by blank lines, cue timings
 * `[hh:]mm:ss.ttt --> [hh:]mm:ss.ttt [settings]` whose end is after the start,
 * and cue text that never holds `-->`.
 */

/** The largest caption file accepted, in bytes of UTF-8. */
export const MAX_CAPTION_BYTES = 1024 * 1024;

/** The caption formats accepted. */
export const CAPTION_FORMATS = ['vtt', 'srt'] as const;
export type CaptionFormat = typeof CAPTION_FORMATS[number];

/** A BCP 47 language tag, in the lower-case primary form used for file names: `en`, `fr`, `pt-BR`, `zh-Hant`. */
const LANGUAGE_TAG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const MAX_LANGUAGE_LENGTH = 35;

/** A caption file or field that cannot be used; its message is for the creator. */
export class CaptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptionError';
  }
}

/** One cue, its times in milliseconds. */
export interface Cue {
  readonly id?: string;
  readonly startMs: number;
  readonly endMs: number;
  /** WebVTT cue settings (`line:0 align:start`), as given. */
  readonly settings?: string;
  readonly text: string;
}

export interface ParsedCaptions {
  /** The captions as normalized WebVTT: LF line ends, `hh:mm:ss.ttt` timings, cues in start order. */
  readonly vtt: string;
  readonly cues: readonly Cue[];
}

/** Whether `value` is a language tag this platform names caption tracks by. */
export function isLanguageTag(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_LANGUAGE_LENGTH && LANGUAGE_TAG.test(value);
}

/** A language tag, or a CaptionError. */
export function parseLanguage(value: unknown): string {
  if (!isLanguageTag(value)) {
    throw new CaptionError(`language must be a BCP 47 language tag such as "en" or "pt-BR", got ${quote(value)}`);
  }
  return value;
}

/**
 * A track's label, as players list it: 1 to 80 characters, no control
 * characters and no double quote, since the label is the quoted NAME of the
 * track in the master playlist (RFC 8216, section 4.2: a quoted-string holds
 * no double quote, CR or LF).
 */
export function parseLabel(value: unknown): string {
  if (typeof value !== 'string') {
    throw new CaptionError(`label must be text of 1 to 80 characters, got ${quote(value)}`);
  }
  const label = value.trim();
  if (label.length < 1 || label.length > 80) {
    throw new CaptionError(`label must be text of 1 to 80 characters, got ${label.length} characters`);
  }
  if (/[\u0000-\u001F\u007F"]/.test(label) || hasLoneSurrogate(label)) {
    throw new CaptionError('label must not hold control characters or double quotes');
  }
  return label;
}

/**
 * Checks a caption file and answers it as normalized WebVTT. `content` is the
 * file's text, or its bytes (which must be UTF-8).
 */
export function parseCaptions(content: unknown, format: unknown): ParsedCaptions {
  if (format !== 'vtt' && format !== 'srt') {
    throw new CaptionError(`format must be one of "vtt", "srt", got ${quote(format)}`);
  }
  const textContent = decode(content);
  const lines = textContent.replace(/^\uFEFF/, '').replace(/\r\n|\r/g, '\n').split('\n');
  const parsed = format === 'vtt' ? parseVttLines(lines) : parseSrtLines(lines);
  if (parsed.cues.length === 0) {
    throw new CaptionError('the file holds no cues');
  }
  // Cues in start order, as WebVTT wants them (a stable sort keeps equal starts in file order).
  const cues = [...parsed.cues].sort((a, b) => a.startMs - b.startMs);
  return { vtt: formatVtt(cues, parsed.styles), cues };
}

/**
 * The WebVTT file with an `X-TIMESTAMP-MAP` header line: the cue time
 * `LOCAL` is the MPEG-2 time `MPEGTS` (90 kHz) of the video's segments
 * (RFC 8216, section 3.5). Without it a player must take cue time 0 for
 * MPEG-TS time 0, which is not where the segments start.
 */
export function withTimestampMap(vtt: string, mpegts: number): string {
  if (!Number.isSafeInteger(mpegts) || mpegts < 0) {
    throw new RangeError(`MPEG-TS time must be a whole number of 90 kHz ticks, got ${mpegts}`);
  }
  return vtt.replace(/^WEBVTT\n/, `WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000\n`);
}

/** Formats milliseconds as a WebVTT timestamp, `hh:mm:ss.ttt`. */
export function vttTimestamp(ms: number): string {
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor(ms / 60_000) % 60;
  const seconds = Math.floor(ms / 1000) % 60;
  return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}.${pad(ms % 1000, 3)}`;
}

function decode(content: unknown): string {
  let decoded: string;
  if (typeof content === 'string') {
    if (hasLoneSurrogate(content)) {
      throw new CaptionError('the file is not well-formed UTF-8 text');
    }
    decoded = content;
  } else if (content instanceof Uint8Array) {
    if (content.byteLength > MAX_CAPTION_BYTES) {
      throw tooLarge(content.byteLength);
    }
    try {
      decoded = new TextDecoder('utf-8', { fatal: true }).decode(content);
    } catch {
      throw new CaptionError('the file is not UTF-8 text');
    }
  } else {
    throw new CaptionError(`content must be the file's text, got ${quote(content)}`);
  }
  const bytes = Buffer.byteLength(decoded, 'utf8');
  if (bytes > MAX_CAPTION_BYTES) {
    throw tooLarge(bytes);
  }
  if (bytes === 0) {
    throw new CaptionError('the file is empty');
  }
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(decoded)) {
    throw new CaptionError('the file holds control characters; it is not a caption file');
  }
  return decoded;
}

function tooLarge(bytes: number): CaptionError {
  return new CaptionError(`the file is ${bytes} bytes; a caption file must be at most ${MAX_CAPTION_BYTES} bytes (1 MiB)`);
}

/** `[hh:]mm:ss.ttt`; hours may have more than two digits, minutes and seconds are below 60. */
const VTT_TIME = /^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$/;
/** SRT's `hh:mm:ss,ttt`; a dot and a one-digit hour are common enough to take. */
const SRT_TIME = /^(\d{1,3}):([0-5]\d):([0-5]\d)[,.](\d{3})$/;

function toMs(match: RegExpExecArray): number {
  return ((Number(match[1] ?? 0) * 60 + Number(match[2])) * 60 + Number(match[3])) * 1000 + Number(match[4]);
}

function parseTiming(line: string, lineNumber: number, pattern: RegExp): { startMs: number; endMs: number; rest: string } {
  const parts = /^(\S+)[ \t]+-->[ \t]+(\S+)(.*)$/.exec(line);
  const start = parts ? pattern.exec(parts[1]) : null;
  const end = parts ? pattern.exec(parts[2]) : null;
  if (!parts || !start || !end) {
    throw new CaptionError(`line ${lineNumber}: malformed cue timing ${quote(line)}`);
  }
  const startMs = toMs(start);
  const endMs = toMs(end);
  if (endMs <= startMs) {
    throw new CaptionError(`line ${lineNumber}: the cue ends (${parts[2]}) before or when it starts (${parts[1]})`);
  }
  return { startMs, endMs, rest: parts[3].trim() };
}

/** Splits lines into blocks separated by blank lines, each with the number of its first line. */
function blocks(lines: readonly string[], from: number): Array<{ line: number; lines: string[] }> {
  const found: Array<{ line: number; lines: string[] }> = [];
  let current: { line: number; lines: string[] } | undefined;
  for (let i = from; i < lines.length; i++) {
    if (lines[i].trim() === '') {
      current = undefined;
    } else if (current) {
      current.lines.push(lines[i]);
    } else {
      current = { line: i + 1, lines: [lines[i]] };
      found.push(current);
    }
  }
  return found;
}

function parseVttLines(lines: readonly string[]): { cues: Cue[]; styles: string[] } {
  if (!/^WEBVTT(?:[ \t].*)?$/.test(lines[0])) {
    throw new CaptionError('a WebVTT file starts with the line "WEBVTT"');
  }
  // The header runs to the first blank line; what it holds (such as a timestamp map) is not kept.
  let first = 1;
  while (first < lines.length && lines[first].trim() !== '') {
    if (lines[first].includes('-->')) {
      throw new CaptionError(`line ${first + 1}: a blank line must follow the WEBVTT line before the first cue`);
    }
    first++;
  }
  const cues: Cue[] = [];
  const styles: string[] = [];
  for (const block of blocks(lines, first)) {
    const head = block.lines[0];
    if (/^NOTE(?:[ \t]|$)/.test(head)) {
      continue;
    }
    if (/^(STYLE|REGION)[ \t]*$/.test(head) && !block.lines.some((l) => l.includes('-->'))) {
      if (cues.length > 0) {
        throw new CaptionError(`line ${block.line}: ${head.trim()} blocks must come before the first cue`);
      }
      styles.push(block.lines.join('\n'));
      continue;
    }
    const hasId = !head.includes('-->');
    const timingLine = hasId ? block.lines[1] : head;
    if (timingLine === undefined || !timingLine.includes('-->')) {
      throw new CaptionError(`line ${block.line}: expected a cue timing such as "00:00:01.000 --> 00:00:04.000", got ${quote(head)}`);
    }
    const timing = parseTiming(timingLine, block.line + (hasId ? 1 : 0), VTT_TIME);
    const text = block.lines.slice(hasId ? 2 : 1);
    const arrow = text.findIndex((l) => l.includes('-->'));
    if (arrow >= 0) {
      throw new CaptionError(`line ${block.line + (hasId ? 2 : 1) + arrow}: cue text must not hold "-->"; separate cues with a blank line`);
    }
    cues.push({
      ...(hasId ? { id: head.trim() } : {}),
      startMs: timing.startMs,
      endMs: timing.endMs,
      ...(timing.rest ? { settings: timing.rest } : {}),
      text: text.join('\n'),
    });
  }
  return { cues, styles };
}

function parseSrtLines(lines: readonly string[]): { cues: Cue[]; styles: string[] } {
  const cues: Cue[] = [];
  for (const block of blocks(lines, 0)) {
    // A counter line, then the timing; some files leave the counter out.
    const numbered = /^\d+$/.test(block.lines[0].trim());
    const timingLine = block.lines[numbered ? 1 : 0];
    if (timingLine === undefined || !timingLine.includes('-->')) {
      throw new CaptionError(`line ${block.line}: expected an SRT cue: a number, then a timing such as "00:00:01,000 --> 00:00:04,000"`);
    }
    // SRT may follow the timing with display coordinates (X1:... Y2:...), which WebVTT has no use for.
    const timing = parseTiming(timingLine, block.line + (numbered ? 1 : 0), SRT_TIME);
    const text = block.lines.slice(numbered ? 2 : 1).map(srtTextToVtt);
    cues.push({ startMs: timing.startMs, endMs: timing.endMs, text: text.join('\n') });
  }
  return { cues, styles: [] };
}

/**
 * One line of SRT text as WebVTT cue text: the `<i>`, `<b>` and `<u>` tags
 * SRT files use are WebVTT's too; `<font>` tags and `{\an8}`-style
 * positioning codes are dropped; any other `<` and a bare `&` are escaped,
 * as WebVTT cue text requires.
 */
function srtTextToVtt(line: string): string {
  return line
    .replace(/<\/?font\b[^>]*>/gi, '')
    .replace(/\{\\[^}]*\}/g, '')
    .replace(/&(?!(?:[A-Za-z]+|#\d+|#x[0-9A-Fa-f]+);)/g, '&amp;')
    .replace(/<(?!\/?[ibu]>)/gi, '&lt;')
    .replace(/-->/g, '--&gt;');
}

function formatVtt(cues: readonly Cue[], styles: readonly string[]): string {
  const parts = ['WEBVTT', ...styles];
  for (const cue of cues) {
    const timing = `${vttTimestamp(cue.startMs)} --> ${vttTimestamp(cue.endMs)}${cue.settings ? ` ${cue.settings}` : ''}`;
    parts.push([...(cue.id ? [cue.id] : []), timing, ...(cue.text ? [cue.text] : [])].join('\n'));
  }
  return `${parts.join('\n\n')}\n`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function hasLoneSurrogate(value: string): boolean {
  return /\p{Surrogate}/u.test(value);
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
