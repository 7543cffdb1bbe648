import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parseSourceObjectKey } from '../../src/contracts/source-keys';
import { MultipartUpload, PostUpload } from '../../src/contracts/upload-messages';
import { createUploadS3Client, handleUploadRequest, UploadDependencies } from '../../src/upload/issue-upload.lambda-shared';
import { MEBIBYTE, S3_LIMITS, UploadSettings } from '../../src/upload/upload-settings';

const settings: UploadSettings = {
  bucketName: 'source-bucket',
  maxUploadBytes: S3_LIMITS.maxObjectBytes,
  multipartThresholdBytes: 100 * MEBIBYTE,
  partSizeBytes: 16 * MEBIBYTE,
  allowedContentTypes: ['video/*', 'application/mxf'],
  urlExpirySeconds: 900,
};
const s3 = createUploadS3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
const s3Mock = mockClient(s3);
const now = new Date('2026-01-02T03:04:05Z');
const deps: UploadDependencies = { s3, settings, now: () => now, newUploadId: () => 'upload-1' };

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'mpu-1' });
});

const issue = (overrides: Record<string, unknown> = {}) =>
  handleUploadRequest(deps, { action: 'issue', creatorId: 'creator-1', videoId: 'vid-1', size: 1000, contentType: 'video/mp4', ...overrides });

function decodePolicy(upload: PostUpload): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(upload.fields.Policy, 'base64').toString('utf8'));
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
}

describe('issue', () => {
  test('a small upload is one POST pinned to a server-assigned key, the exact size and the type', async () => {
    const answer = await issue();
    expect(answer.ok).toBe(true);
    const upload = (answer as { result: PostUpload }).result;
    expect(upload).toMatchObject({
      kind: 'post',
      videoId: 'vid-1',
      uploadId: 'upload-1',
      key: 'uploads/vid-1/upload-1/source.mp4',
      url: 'https://source-bucket.s3.eu-west-1.amazonaws.com/',
      size: 1000,
      contentType: 'video/mp4',
      expiresAt: '2026-01-02T03:19:05.000Z',
    });
    expect(parseSourceObjectKey(upload.key)?.videoId).toBe('vid-1');
    const policy = decodePolicy(upload);
    expect(policy.conditions).toEqual(expect.arrayContaining([
      ['content-length-range', 1000, 1000],
      { 'Content-Type': 'video/mp4' },
      { 'x-amz-meta-creator-id': 'creator-1' },
      { bucket: 'source-bucket' },
      { key: 'uploads/vid-1/upload-1/source.mp4' },
    ]));
    // one exact key, never a starts-with condition a client could widen
    expect(JSON.stringify(policy.conditions)).not.toContain('starts-with');
    expect(upload.fields.key).toBe(upload.key);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('the media type is matched case-insensitively and stored in lower case', async () => {
    const answer = await issue({ contentType: 'Video/QuickTime' });
    expect(answer).toMatchObject({ ok: true, result: { contentType: 'video/quicktime', key: 'uploads/vid-1/upload-1/source.mov' } });
  });

  test('up to the threshold is a POST; one byte more is a multipart upload', async () => {
    expect(await issue({ size: settings.multipartThresholdBytes })).toMatchObject({ ok: true, result: { kind: 'post' } });
    expect(await issue({ size: settings.multipartThresholdBytes + 1 })).toMatchObject({ ok: true, result: { kind: 'multipart' } });
  });

  test('a multipart upload carries the creator, the type, and part URLs that pin each part size without checksums', async () => {
    const size = 120 * MEBIBYTE + 5;
    const answer = await issue({ size });
    const upload = (answer as { result: MultipartUpload }).result;
    expect(upload).toMatchObject({ kind: 'multipart', multipartUploadId: 'mpu-1', partSize: 16 * MEBIBYTE, partCount: 8 });
    expect(upload.parts).toHaveLength(8);
    expect(s3Mock.commandCalls(CreateMultipartUploadCommand)[0].args[0].input).toEqual({
      Bucket: 'source-bucket', Key: 'uploads/vid-1/upload-1/source.mp4', ContentType: 'video/mp4', Metadata: { 'creator-id': 'creator-1' },
    });
    for (const part of upload.parts) {
      const url = new URL(part.url);
      expect(url.searchParams.get('partNumber')).toBe(String(part.partNumber));
      expect(url.searchParams.get('uploadId')).toBe('mpu-1');
      expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['content-length', 'host']);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
      expect(part.url.toLowerCase()).not.toContain('checksum');
    }
  });

  test('a 5 TiB upload grows its parts to fit 10,000 and answers with the first 100 URLs', async () => {
    const answer = await issue({ size: S3_LIMITS.maxObjectBytes });
    const upload = (answer as { result: MultipartUpload }).result;
    expect(upload.partCount).toBeLessThanOrEqual(S3_LIMITS.maxParts);
    expect(upload.partSize * upload.partCount).toBeGreaterThanOrEqual(S3_LIMITS.maxObjectBytes);
    expect(upload.partSize % MEBIBYTE).toBe(0);
    expect(upload.parts).toHaveLength(100);
  });

  test.each([
    ['zero size', { size: 0 }, 400, 'invalid-size'],
    ['negative size', { size: -5 }, 400, 'invalid-size'],
    ['fractional size', { size: 1.5 }, 400, 'invalid-size'],
    ['size as text', { size: '1000' }, 400, 'invalid-size'],
    ['size over the limit', { size: S3_LIMITS.maxObjectBytes + 1 }, 413, 'too-large'],
    ['type not allowed', { contentType: 'image/png' }, 415, 'unsupported-content-type'],
    ['malformed type', { contentType: 'video' }, 400, 'invalid-field'],
    ['type with parameters', { contentType: 'video/mp4; codecs=avc1' }, 400, 'invalid-field'],
    ['path in the video id', { videoId: '../other' }, 400, 'invalid-field'],
    ['slash in the video id', { videoId: 'a/b' }, 400, 'invalid-field'],
    ['overlong video id', { videoId: 'v'.repeat(65) }, 400, 'invalid-field'],
    ['missing video id', { videoId: undefined }, 400, 'missing-field'],
    ['missing creator', { creatorId: undefined }, 400, 'missing-field'],
    ['creator with a newline', { creatorId: 'a\nb' }, 400, 'invalid-field'],
    ['missing size', { size: undefined }, 400, 'missing-field'],
    ['missing type', { contentType: undefined }, 400, 'missing-field'],
    ['unknown action', { action: 'delete' }, 400, 'invalid-action'],
  ])('%s is refused with %p and issues nothing', async (_name, overrides, statusCode, code) => {
    const answer = await issue(overrides);
    expect(answer).toMatchObject({ ok: false, statusCode, error: { code } });
    expect((answer as { error: { message: string } }).error.message).toMatch(/^[a-zA-Z]+ .*/);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test.each([null, 'issue', 42, [], undefined])('a request that is not an object (%p) is refused', async (request) => {
    expect(await handleUploadRequest(deps, request)).toMatchObject({ ok: false, statusCode: 400, error: { code: 'invalid-request' } });
  });

  test('an S3 fault is not a refusal: it throws, so the caller answers with a server error', async () => {
    s3Mock.on(CreateMultipartUploadCommand).rejects(s3Error('InternalError', 500));
    await expect(issue({ size: 200 * MEBIBYTE })).rejects.toThrow('InternalError');
  });
});

describe('sign-parts', () => {
  const request = { action: 'sign-parts', videoId: 'vid-1', key: 'uploads/vid-1/upload-1/source.mp4', multipartUploadId: 'mpu-1', size: 40 * MEBIBYTE };

  test('signs the asked range', async () => {
    const answer = await handleUploadRequest(deps, { ...request, firstPartNumber: 2, count: 2 });
    expect(answer).toMatchObject({ ok: true, result: { kind: 'parts', parts: [{ partNumber: 2 }, { partNumber: 3 }] } });
  });

  test.each([
    ['a range past the last part', { firstPartNumber: 3, count: 2 }, 'invalid-part-range'],
    ['more than 100 parts', { firstPartNumber: 1, count: 101 }, 'invalid-field'],
    ['part zero', { firstPartNumber: 0, count: 1 }, 'invalid-field'],
    ['a key of another video', { key: 'uploads/vid-2/upload-1/source.mp4', firstPartNumber: 1, count: 1 }, 'invalid-key'],
    ['a key outside the uploads', { key: 'videos/vid-1/master.m3u8', firstPartNumber: 1, count: 1 }, 'invalid-key'],
  ])('%s is refused', async (_name, overrides, code) => {
    expect(await handleUploadRequest(deps, { ...request, ...overrides })).toMatchObject({ ok: false, statusCode: 400, error: { code } });
  });
});

describe('complete', () => {
  const size = 40 * MEBIBYTE + 5;
  const request = { action: 'complete', videoId: 'vid-1', key: 'uploads/vid-1/upload-1/source.mp4', multipartUploadId: 'mpu-1', size };
  const part = (n: number, bytes: number) => ({ PartNumber: n, Size: bytes, ETag: `"etag-${n}"` });

  test('reads every page of stored parts and completes with them in order', async () => {
    s3Mock.on(ListPartsCommand, { PartNumberMarker: undefined }).resolves({
      Parts: [part(2, 16 * MEBIBYTE), part(1, 16 * MEBIBYTE)], IsTruncated: true, NextPartNumberMarker: '2',
    });
    s3Mock.on(ListPartsCommand, { PartNumberMarker: '2' }).resolves({ Parts: [part(3, 8 * MEBIBYTE + 5)], IsTruncated: false });
    s3Mock.on(CompleteMultipartUploadCommand).resolves({});
    expect(await handleUploadRequest(deps, request)).toEqual({ ok: true, result: { kind: 'completed', key: request.key, size } });
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input.MultipartUpload).toEqual({
      Parts: [{ PartNumber: 1, ETag: '"etag-1"' }, { PartNumber: 2, ETag: '"etag-2"' }, { PartNumber: 3, ETag: '"etag-3"' }],
    });
  });

  test.each([
    ['a missing part', [part(1, 16 * MEBIBYTE), part(3, 8 * MEBIBYTE + 5)]],
    ['a short middle part', [part(1, 16 * MEBIBYTE), part(2, 16 * MEBIBYTE - 1), part(3, 8 * MEBIBYTE + 6)]],
    ['a long last part', [part(1, 16 * MEBIBYTE), part(2, 16 * MEBIBYTE), part(3, 8 * MEBIBYTE + 6)]],
    ['an extra part', [part(1, 16 * MEBIBYTE), part(2, 16 * MEBIBYTE), part(3, 8 * MEBIBYTE + 5), part(4, 1)]],
  ])('%s is refused with 409 and nothing is completed', async (_name, parts) => {
    s3Mock.on(ListPartsCommand).resolves({ Parts: parts, IsTruncated: false });
    expect(await handleUploadRequest(deps, request)).toMatchObject({ ok: false, statusCode: 409, error: { code: 'parts-mismatch' } });
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  test('a retry after a completion that succeeded answers the same', async () => {
    s3Mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: request.key, Size: size }] });
    expect(await handleUploadRequest(deps, request)).toEqual({ ok: true, result: { kind: 'completed', key: request.key, size } });
  });

  test('an upload that never completed is not found', async () => {
    s3Mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: `${request.key}.other`, Size: size }] });
    expect(await handleUploadRequest(deps, request)).toMatchObject({ ok: false, statusCode: 404, error: { code: 'no-such-upload' } });
  });
});

describe('list-parts', () => {
  const size = 40 * MEBIBYTE + 5;
  const request = { action: 'list-parts', videoId: 'vid-1', key: 'uploads/vid-1/upload-1/source.mp4', multipartUploadId: 'mpu-1', size };

  test('reads every page of stored parts and answers them in order with the upload\'s layout', async () => {
    s3Mock.on(ListPartsCommand, { PartNumberMarker: undefined }).resolves({
      Parts: [{ PartNumber: 3, Size: 8 * MEBIBYTE + 5, ETag: '"e3"' }], IsTruncated: true, NextPartNumberMarker: '3',
    });
    s3Mock.on(ListPartsCommand, { PartNumberMarker: '3' }).resolves({ Parts: [{ PartNumber: 1, Size: 16 * MEBIBYTE, ETag: '"e1"' }], IsTruncated: false });
    expect(await handleUploadRequest(deps, request)).toEqual({
      ok: true,
      result: {
        kind: 'listed-parts',
        key: request.key,
        partSize: 16 * MEBIBYTE,
        partCount: 3,
        parts: [{ partNumber: 1, size: 16 * MEBIBYTE, etag: '"e1"' }, { partNumber: 3, size: 8 * MEBIBYTE + 5, etag: '"e3"' }],
      },
    });
    expect(s3Mock.commandCalls(ListPartsCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: 'source-bucket', Key: request.key, UploadId: 'mpu-1', PartNumberMarker: undefined },
      { Bucket: 'source-bucket', Key: request.key, UploadId: 'mpu-1', PartNumberMarker: '3' },
    ]);
    // Listing changes nothing.
    expect(s3Mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(0);
  });

  test('an upload with no parts yet lists none', async () => {
    s3Mock.on(ListPartsCommand).resolves({ IsTruncated: false });
    expect(await handleUploadRequest(deps, request)).toMatchObject({ ok: true, result: { kind: 'listed-parts', parts: [] } });
  });

  test('an upload that is gone (completed or aborted) is not found', async () => {
    s3Mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
    expect(await handleUploadRequest(deps, request)).toMatchObject({ ok: false, statusCode: 404, error: { code: 'no-such-upload' } });
  });

  test.each([
    ['a key of another video', { key: 'uploads/vid-2/upload-1/source.mp4' }, 400, 'invalid-key'],
    ['no size', { size: undefined }, 400, 'missing-field'],
    ['a size over the limit', { size: S3_LIMITS.maxObjectBytes + 1 }, 413, 'too-large'],
    ['a malformed multipart upload id', { multipartUploadId: 'a b' }, 400, 'invalid-field'],
  ])('%s is refused without asking S3', async (_name, overrides, statusCode, code) => {
    expect(await handleUploadRequest(deps, { ...request, ...overrides })).toMatchObject({ ok: false, statusCode, error: { code } });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('an S3 fault throws', async () => {
    s3Mock.on(ListPartsCommand).rejects(s3Error('InternalError', 500));
    await expect(handleUploadRequest(deps, request)).rejects.toThrow('InternalError');
  });
});

describe('abort', () => {
  const request = { action: 'abort', videoId: 'vid-1', key: 'uploads/vid-1/upload-1/source.mp4', multipartUploadId: 'mpu-1' };

  test('aborts, and aborting an upload that is gone answers the same', async () => {
    s3Mock.on(AbortMultipartUploadCommand).resolvesOnce({}).rejectsOnce(s3Error('NoSuchUpload', 404));
    const expected = { ok: true, result: { kind: 'aborted', key: request.key } };
    expect(await handleUploadRequest(deps, request)).toEqual(expected);
    expect(await handleUploadRequest(deps, request)).toEqual(expected);
    expect(s3Mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(2);
  });

  test('a malformed multipart upload id is refused', async () => {
    expect(await handleUploadRequest(deps, { ...request, multipartUploadId: 'a b' }))
      .toMatchObject({ ok: false, statusCode: 400, error: { code: 'invalid-field' } });
    expect(s3Mock.calls()).toHaveLength(0);
  });
});
