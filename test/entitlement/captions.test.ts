import {
  CaptionError, MAX_CAPTION_BYTES, parseCaptions, parseLabel, parseLanguage, withTimestampMap,
} from '../../src/entitlement/captions.lambda-shared';
import {
  firstPresentationTime, firstSegmentUri, firstVariantUri, subtitlePlaylist, withSubtitleTracks,
} from '../../src/entitlement/subtitles-hls.lambda-shared';

const VTT = [
  'WEBVTT - a title',
  'X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000',
  '',
  'NOTE written by hand',
  '',
  'intro',
  '00:01.000 --> 00:03.500 align:start',
  'Hello <i>there</i>',
  '',
  '00:00:04.000 --> 00:00:06.000',
  'Second line one',
  'Second line two',
  '',
].join('\r\n');

const SRT = [
  '1',
  '00:00:01,000 --> 00:00:03,500',
  'Bonjour & <font color="red">salut</font> <i>toi</i>',
  '',
  '2',
  '00:00:04,000 --> 00:00:06,000 X1:10 X2:20 Y1:30 Y2:40',
  '{\\an8}a < b',
  '',
].join('\n');

function refused(content: unknown, format: unknown = 'vtt'): string {
  try {
    parseCaptions(content, format);
  } catch (error) {
    expect(error).toBeInstanceOf(CaptionError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('WebVTT', () => {
  test('a good file is normalized: no header extras, no notes, full timestamps, LF', () => {
    const parsed = parseCaptions(VTT, 'vtt');
    expect(parsed.vtt).toBe([
      'WEBVTT',
      '',
      'intro',
      '00:00:01.000 --> 00:00:03.500 align:start',
      'Hello <i>there</i>',
      '',
      '00:00:04.000 --> 00:00:06.000',
      'Second line one',
      'Second line two',
      '',
    ].join('\n'));
    expect(parsed.cues.map((c) => [c.startMs, c.endMs])).toEqual([[1000, 3500], [4000, 6000]]);
  });

  test('bytes in UTF-8 with a BOM are read; cues come out in start order', () => {
    const text = '\uFEFFWEBVTT\n\n00:05.000 --> 00:06.000\nlater\n\n00:01.000 --> 00:02.000\nfirst été\n';
    const parsed = parseCaptions(new TextEncoder().encode(text), 'vtt');
    expect(parsed.cues.map((c) => c.text)).toEqual(['first été', 'later']);
  });

  test('an X-TIMESTAMP-MAP goes in the header', () => {
    expect(withTimestampMap(parseCaptions(VTT, 'vtt').vtt, 126000).split('\n').slice(0, 3))
      .toEqual(['WEBVTT', 'X-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000', '']);
  });

  test.each([
    ['no signature', '00:01.000 --> 00:02.000\nhi\n', /starts with the line "WEBVTT"/],
    ['no cues', 'WEBVTT\n\nNOTE nothing here\n', /no cues/],
    ['a bad timestamp', 'WEBVTT\n\n00:01.00 --> 00:02.000\nhi\n', /line 3: malformed cue timing/],
    ['seconds past 59', 'WEBVTT\n\n00:00:61.000 --> 00:01:02.000\nhi\n', /malformed cue timing/],
    ['the end before the start', 'WEBVTT\n\n00:05.000 --> 00:02.000\nhi\n', /line 3: the cue ends \(00:02.000\) before/],
    ['an empty cue time span', 'WEBVTT\n\n00:05.000 --> 00:05.000\nhi\n', /before or when it starts/],
    ['text with an arrow', 'WEBVTT\n\n00:01.000 --> 00:02.000\nhi\n00:03.000 --> 00:04.000\n', /line 5: cue text must not hold "-->"/],
    ['a block that is no cue', 'WEBVTT\n\njust some words\nmore words\n', /expected a cue timing/],
    ['control characters', 'WEBVTT\n\n00:01.000 --> 00:02.000\nhi\u0000\n', /control characters/],
    ['an empty file', '', /empty/],
  ])('refuses %s', (_name, content, message) => {
    expect(refused(content)).toMatch(message);
  });
});

describe('SRT', () => {
  test('becomes WebVTT: dots, escapes, no font tags or positions', () => {
    expect(parseCaptions(SRT, 'srt').vtt).toBe([
      'WEBVTT',
      '',
      '00:00:01.000 --> 00:00:03.500',
      'Bonjour &amp; salut <i>toi</i>',
      '',
      '00:00:04.000 --> 00:00:06.000',
      'a &lt; b',
      '',
    ].join('\n'));
  });

  test.each([
    ['a bad timestamp', '1\n00:00:01.5 --> 00:00:02,000\nhi\n', /line 2: malformed cue timing/],
    ['the end before the start', '1\n00:00:03,000 --> 00:00:02,000\nhi\n', /before or when it starts/],
    ['no timing', '1\nhello\n', /expected an SRT cue/],
    ['nothing but blank lines', '\n\n\n', /no cues/],
  ])('refuses %s', (_name, content, message) => {
    expect(refused(content, 'srt')).toMatch(message);
  });
});

describe('what any caption file must be', () => {
  test('at most 1 MiB', () => {
    const cue = '00:00:01.000 --> 00:00:02.000\n' + 'x'.repeat(1000) + '\n\n';
    const big = 'WEBVTT\n\n' + cue.repeat(Math.ceil(MAX_CAPTION_BYTES / cue.length));
    expect(refused(big)).toMatch(/at most 1048576 bytes/);
    expect(refused(new TextEncoder().encode(big))).toMatch(/at most 1048576 bytes/);
  });

  test('UTF-8', () => {
    const latin1 = Uint8Array.from([...Buffer.from('WEBVTT\n\n00:01.000 --> 00:02.000\n'), 0xe9, 0x0a]);
    expect(refused(latin1)).toMatch(/not UTF-8/);
    expect(refused('WEBVTT\n\n00:01.000 --> 00:02.000\n\uD800\n')).toMatch(/well-formed/);
  });

  test('text, in a known format', () => {
    expect(refused(42)).toMatch(/content must be the file's text/);
    expect(refused({ text: 'WEBVTT' })).toMatch(/content must be/);
    expect(refused('WEBVTT\n', 'ass')).toMatch(/format must be one of "vtt", "srt"/);
  });
});

describe('languages and labels', () => {
  test.each(['en', 'fr', 'pt-BR', 'zh-Hant', 'gsw', 'es-419'])('%s is a language', (tag) => {
    expect(parseLanguage(tag)).toBe(tag);
  });
  test.each(['', 'EN', 'e', 'english', 'en_US', 'en-', 'en-a', '../x', 'en/../../x', 'en-abcdefghi', 5])('%j is not', (tag) => {
    expect(() => parseLanguage(tag)).toThrow(/BCP 47/);
  });
  test('labels are 1 to 80 characters, without quotes or control characters', () => {
    expect(parseLabel('  English (CC) ')).toBe('English (CC)');
    expect(parseLabel('x'.repeat(80))).toHaveLength(80);
    expect(() => parseLabel('')).toThrow(/1 to 80/);
    expect(() => parseLabel('x'.repeat(81))).toThrow(/1 to 80/);
    expect(() => parseLabel('say "hi"')).toThrow(/double quotes/);
    expect(() => parseLabel('a\nb')).toThrow(/control/);
    expect(() => parseLabel(null)).toThrow(/label must be text/);
  });
});

const MASTER = [
  '#EXTM3U',
  '#EXT-X-VERSION:3',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-STREAM-INF:BANDWIDTH=528000,AVERAGE-BANDWIDTH=400000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=480x270',
  'master_480x270.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=928000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360',
  'master_640x360.m3u8',
  '',
].join('\n');

describe('the master playlist', () => {
  const english = { language: 'en', label: 'English' };
  const french = { language: 'fr', label: 'Français' };

  test('two tracks added, then one removed, then none', () => {
    const two = withSubtitleTracks(MASTER, [english, french]);
    expect(two).toBe([
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="captions/en.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Français",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,URI="captions/fr.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=528000,AVERAGE-BANDWIDTH=400000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=480x270,SUBTITLES="subs"',
      'master_480x270.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=928000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,SUBTITLES="subs"',
      'master_640x360.m3u8',
      '',
    ].join('\n'));
    // Rewriting replaces, never duplicates.
    expect(withSubtitleTracks(two, [english, french])).toBe(two);
    const one = withSubtitleTracks(two, [french]);
    expect(one.match(/#EXT-X-MEDIA:/g)).toHaveLength(1);
    expect(one).toContain('LANGUAGE="fr"');
    expect(one).not.toContain('LANGUAGE="en"');
    expect(one.match(/SUBTITLES="subs"/g)).toHaveLength(2);
    expect(withSubtitleTracks(one, [])).toBe(MASTER);
  });

  test('other renditions and the variants\' other attributes are kept', () => {
    const audio = '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Main",URI="audio.m3u8"';
    const master = MASTER.replace('#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-INDEPENDENT-SEGMENTS\n${audio}`);
    const rewritten = withSubtitleTracks(withSubtitleTracks(master, [english]), []);
    expect(rewritten).toBe(master);
  });

  test('finds the first variant and its first segment', () => {
    expect(firstVariantUri(MASTER)).toBe('master_480x270.m3u8');
    expect(firstSegmentUri('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nmaster_480x270_00001.ts\n#EXTINF:2,\nb.ts\n')).toBe('master_480x270_00001.ts');
    expect(firstVariantUri('#EXTM3U\n')).toBeUndefined();
  });
});

describe('a language\'s subtitle playlist', () => {
  test('one WebVTT segment lasting the whole video', () => {
    expect(subtitlePlaylist('pt-BR', 62.48)).toBe([
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-TARGETDURATION:63',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXTINF:62.480,',
      'pt-BR.vtt',
      '#EXT-X-ENDLIST',
      '',
    ].join('\n'));
  });
});

/** A transport stream packet starting a PES packet of `streamId` with `pts`. */
function pesPacket(streamId: number, pts: number, adaptationBytes = 0): Uint8Array {
  const packet = new Uint8Array(188).fill(0xff);
  packet.set([0x47, 0x41, 0x00, adaptationBytes > 0 ? 0x30 : 0x10]);
  let at = 4;
  if (adaptationBytes > 0) {
    packet[4] = adaptationBytes - 1;
    at += adaptationBytes;
  }
  const hi = Math.floor(pts / 2 ** 30);
  const mid = Math.floor(pts / 2 ** 15) % 2 ** 15;
  const lo = pts % 2 ** 15;
  packet.set([0, 0, 1, streamId, 0, 0, 0x80, 0x80, 5,
    0x21 + hi * 2, Math.floor(mid / 128), (mid % 128) * 2 + 1, Math.floor(lo / 128), (lo % 128) * 2 + 1], at);
  return packet;
}

describe('where a transport stream starts', () => {
  test('the earliest PTS of its audio and video', () => {
    const pat = new Uint8Array(188).fill(0xff);
    pat.set([0x47, 0x40, 0x00, 0x10, 0x00]);
    const segment = Buffer.concat([pat, pesPacket(0xe0, 2 ** 32 + 12_345, 8), pesPacket(0xc0, 126_000), pesPacket(0xe0, 129_003)]);
    expect(firstPresentationTime(segment)).toBe(126_000);
    expect(firstPresentationTime(pesPacket(0xe0, 2 ** 32 + 12_345, 8))).toBe(2 ** 32 + 12_345);
  });

  test('nothing when it is not one', () => {
    expect(firstPresentationTime(new TextEncoder().encode('#EXTM3U\n'.repeat(50)))).toBeUndefined();
  });
});
