import { LocalDynamoDB, startLocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { ContentKeys, contentKeyUrl } from '../../src/transcode/content-keys.lambda-shared';

/**
 * Content keys on dynalite: one random key per video, the same for every
 * call however they race (so every job and retry of a video encrypts with
 * the key players are given), gone with the video.
 */

let db: LocalDynamoDB;
let keys: ContentKeys;
let tables = 0;
const NOW = new Date('2030-01-01T00:00:00.000Z');

beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  tables += 1;
  await db.createTable(`keys-${tables}`, 'videoId');
  keys = new ContentKeys(db.documents, `keys-${tables}`);
});

test('a video\'s key is 16 random bytes, made once: later calls, and racing ones, answer the same key', async () => {
  const racing = await Promise.all(Array.from({ length: 8 }, () => keys.keyFor('video-1', NOW)));
  const first = Buffer.from(racing[0]);
  expect(first).toHaveLength(16);
  expect(racing.every((key) => Buffer.from(key).equals(first))).toBe(true);
  expect(Buffer.from(await keys.keyFor('video-1', NOW)).equals(first)).toBe(true);
  expect(Buffer.from((await keys.read('video-1'))!).equals(first)).toBe(true);
  // Another video has a key of its own.
  expect(Buffer.from(await keys.keyFor('video-2', NOW)).equals(first)).toBe(false);
});

test('a removed key is gone (the video\'s segments with it); a new encode makes a new one', async () => {
  const before = Buffer.from(await keys.keyFor('video-1', NOW));
  await keys.remove('video-1');
  await keys.remove('video-1');
  expect(await keys.read('video-1')).toBeUndefined();
  expect(Buffer.from(await keys.keyFor('video-1', NOW)).equals(before)).toBe(false);
});

test('a stored value that is not a 16-byte key is a fault, never answered', async () => {
  await db.documents.put({ TableName: `keys-${tables}`, Item: { videoId: 'video-1', key: new Uint8Array(8) } });
  await expect(keys.read('video-1')).rejects.toThrow('8 bytes, not 16');
});

test('the key URL is the API\'s key route on the given origin', () => {
  expect(contentKeyUrl('https://media.example.com', 'v1')).toBe('https://media.example.com/api/videos/v1/key');
  expect(contentKeyUrl('https://media.example.com/', 'v1')).toBe('https://media.example.com/api/videos/v1/key');
});
