import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptRendition, run } from '../../sandbox/mediaconvert/mediaconvert';
import { firstSegmentEncryption } from '../../src/entitlement/subtitles-hls.lambda-shared';

/**
 * The MediaConvert stand-in encrypts as MediaConvert documents: each segment
 * whole with the static key and an IV following the segment number, written in
 * the playlist with INCLUDE; a segment does not decode without its key and IV,
 * and does with them.
 */

let work: string;
const KEY = randomBytes(16);
const URL = 'https://media.example.com/api/videos/v1/key';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'encrypt-'));
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x90:rate=10', '-t', '6', '-c:v', 'libx264', '-g', '10',
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(work, 'r_%05d.ts'), join(work, 'r.m3u8')]);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const codecs = async (file: string) => run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]).catch(() => '');

test('INCLUDE: each segment its own IV (its number) in the playlist; it decodes with the key and that IV only', async () => {
  const plain = ['r_00000.ts', 'r_00001.ts', 'r_00002.ts'].map((name) => readFileSync(join(work, name)));
  encryptRendition(work, 'r.m3u8', { key: KEY, url: URL, ivInManifest: true });
  const playlist = readFileSync(join(work, 'r.m3u8'), 'utf8');
  const tags = playlist.split('\n').filter((line) => line.startsWith('#EXT-X-KEY:'));
  expect(tags).toEqual([0, 1, 2].map((n) => `#EXT-X-KEY:METHOD=AES-128,URI="${URL}",IV=0x${n.toString(16).padStart(32, '0')}`));
  expect(firstSegmentEncryption(playlist)).toEqual({ method: 'AES-128', iv: Uint8Array.from(Buffer.alloc(16)) });

  for (const [n, name] of ['r_00000.ts', 'r_00001.ts', 'r_00002.ts'].entries()) {
    const cipherText = readFileSync(join(work, name));
    expect(cipherText.equals(plain[n])).toBe(false);
    expect(await codecs(join(work, name))).not.toContain('h264');
    const iv = Buffer.from(n.toString(16).padStart(32, '0'), 'hex');
    const decipher = createDecipheriv('aes-128-cbc', KEY, iv);
    const decrypted = Buffer.concat([decipher.update(cipherText), decipher.final()]);
    expect(decrypted.equals(plain[n])).toBe(true);
    writeFileSync(join(work, `plain-${n}.ts`), decrypted);
    expect(await codecs(join(work, `plain-${n}.ts`))).toContain('h264');
    if (n > 0) {
      // Another segment's IV garbles its first block: IVs really differ per segment.
      const wrong = createDecipheriv('aes-128-cbc', KEY, Buffer.alloc(16));
      expect(Buffer.concat([wrong.update(cipherText.subarray(0, 16))]).equals(plain[n].subarray(0, 16))).toBe(false);
    }
  }
});

test('EXCLUDE: one key tag without an IV, for players to take the media sequence number', () => {
  const dir = mkdtempSync(join(tmpdir(), 'encrypt-exclude-'));
  try {
    writeFileSync(join(dir, 'a.m3u8'), '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:5\n#EXTINF:2.0,\na_1.ts\n#EXTINF:2.0,\na_2.ts\n#EXT-X-ENDLIST\n');
    writeFileSync(join(dir, 'a_1.ts'), Buffer.alloc(188, 0x47));
    writeFileSync(join(dir, 'a_2.ts'), Buffer.alloc(188, 0x47));
    encryptRendition(dir, 'a.m3u8', { key: KEY, url: URL, ivInManifest: false });
    const playlist = readFileSync(join(dir, 'a.m3u8'), 'utf8');
    expect(playlist.split('\n').filter((line) => line.startsWith('#EXT-X-KEY:'))).toEqual([`#EXT-X-KEY:METHOD=AES-128,URI="${URL}"`]);
    const iv = firstSegmentEncryption(playlist).iv;
    expect(Buffer.from(iv).toString('hex')).toBe('00000000000000000000000000000005');
    const decipher = createDecipheriv('aes-128-cbc', KEY, iv);
    expect(Buffer.concat([decipher.update(readFileSync(join(dir, 'a_1.ts'))), decipher.final()]).equals(Buffer.alloc(188, 0x47))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
