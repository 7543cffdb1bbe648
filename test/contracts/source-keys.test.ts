import {
  decodeS3EventKey, extensionForContentType, parseSourceObjectKey, SOURCE_PREFIX, sourceObjectKey,
} from '../../src/contracts/source-keys';

describe('source key layout', () => {
  test('a key made for an upload gives back its video and upload ids', () => {
    const key = sourceObjectKey({ videoId: 'Vid_1-a', uploadId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', extension: 'mp4' });
    expect(key).toBe('uploads/Vid_1-a/1b4e28ba-2fa1-11d2-883f-0016d3cca427/source.mp4');
    expect(key.startsWith(SOURCE_PREFIX)).toBe(true);
    expect(parseSourceObjectKey(key)).toEqual({ videoId: 'Vid_1-a', uploadId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', extension: 'mp4' });
  });

  test('a key without extension round-trips', () => {
    const key = sourceObjectKey({ videoId: 'v', uploadId: 'u' });
    expect(key).toBe('uploads/v/u/source');
    expect(parseSourceObjectKey(key)).toEqual({ videoId: 'v', uploadId: 'u' });
  });

  test.each([
    'videos/v/u/source.mp4',
    'uploads/v/source.mp4',
    'uploads/v/u/other.mp4',
    'uploads/v/u/source.mp4/extra',
    'uploads/../u/source.mp4',
    'uploads/v/u/source.MP4!',
    `uploads/${'v'.repeat(65)}/u/source`,
    'uploads/-v/u/source',
    '',
  ])('%p is not a source key', (key) => {
    expect(parseSourceObjectKey(key)).toBeUndefined();
  });

  test.each([
    [{ videoId: 'a/b', uploadId: 'u' }, 'invalid video id'],
    [{ videoId: 'v', uploadId: '' }, 'invalid upload id'],
    [{ videoId: 'v', uploadId: 'u', extension: 'm p4' }, 'invalid extension'],
  ])('making a key from %p throws', (parts, message) => {
    expect(() => sourceObjectKey(parts)).toThrow(message);
  });

  test('keys from S3 event notifications are decoded before parsing', () => {
    expect(decodeS3EventKey('uploads/v/u/source.mp4')).toBe('uploads/v/u/source.mp4');
    expect(decodeS3EventKey('a+b%2Bc%3D')).toBe('a b+c=');
  });

  test('well-known video types have extensions, others none', () => {
    expect(extensionForContentType('video/mp4')).toBe('mp4');
    expect(extensionForContentType('VIDEO/QUICKTIME')).toBe('mov');
    expect(extensionForContentType('video/x-unknown')).toBeUndefined();
  });
});
