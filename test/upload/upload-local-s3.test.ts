import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startLocalS3, LocalS3 } from '../../sandbox/s3/local-s3';
import { MultipartUpload, PostUpload, UploadResponse } from '../../src/contracts/upload-messages';
import { createUploadS3Client, handleUploadRequest, UploadDependencies } from '../../src/upload/issue-upload.lambda-shared';
import { MEBIBYTE, UploadSettings } from '../../src/upload/upload-settings';

/**
 * Uploads issued by the real issuance code, sent with fetch the way a browser
 * sends them, to a local S3-compatible server that checks them as S3 does.
 */

const credentials = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' };
const settings: UploadSettings = {
  bucketName: 'sources',
  maxUploadBytes: 64 * MEBIBYTE,
  multipartThresholdBytes: 1 * MEBIBYTE,
  partSizeBytes: 5 * MEBIBYTE,
  allowedContentTypes: ['video/*'],
  urlExpirySeconds: 300,
};

let server: LocalS3;
let clock: Date | undefined;
let s3: S3Client;
let deps: UploadDependencies;
let videoCounter = 0;

beforeAll(async () => {
  server = await startLocalS3({ buckets: ['sources'], credentials, now: () => clock ?? new Date() });
  s3 = createUploadS3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials });
  deps = { s3, settings };
});
afterAll(async () => {
  s3?.destroy();
  await server?.close();
});
beforeEach(() => {
  clock = undefined;
});

function newVideoId(): string {
  videoCounter += 1;
  return `video-${videoCounter}`;
}

async function ok<T>(response: Promise<UploadResponse>): Promise<T> {
  const answer = await response;
  if (!answer.ok) {
    throw new Error(`refused: ${JSON.stringify(answer)}`);
  }
  return answer.result as T;
}

function bytes(size: number, seed = 7): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    data[i] = (i * 31 + seed) % 256;
  }
  return data;
}

function postForm(upload: PostUpload, file: Uint8Array, overrides: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...upload.fields, ...overrides })) {
    form.append(name, value);
  }
  form.append('file', new Blob([new Uint8Array(file)], { type: overrides['Content-Type'] ?? upload.contentType }), 'clip.mp4');
  return form;
}

async function storedKeys(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'sources', Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

async function storedBytes(key: string): Promise<Uint8Array> {
  const object = await s3.send(new GetObjectCommand({ Bucket: 'sources', Key: key }));
  return object.Body!.transformToByteArray();
}

async function issuePost(size: number, contentType = 'video/mp4'): Promise<PostUpload> {
  const upload = await ok<PostUpload>(handleUploadRequest(deps, {
    action: 'issue', creatorId: 'creator-1', videoId: newVideoId(), size, contentType,
  }));
  expect(upload.kind).toBe('post');
  return upload;
}

describe('presigned POST against a local S3 server', () => {
  test('an exact-size upload is stored with its type and creator', async () => {
    const upload = await issuePost(1000);
    const file = bytes(1000);
    const response = await fetch(upload.url, { method: 'POST', body: postForm(upload, file) });
    expect(response.status).toBe(204);
    expect(Buffer.from(await storedBytes(upload.key))).toEqual(Buffer.from(file));
    const head = await s3.send(new GetObjectCommand({ Bucket: 'sources', Key: upload.key }));
    expect(head.ContentType).toBe('video/mp4');
    expect(head.Metadata).toEqual({ 'creator-id': 'creator-1' });
  });

  test.each([
    ['one byte over the declared size', 1001, 400, 'EntityTooLarge'],
    ['one byte under the declared size', 999, 400, 'EntityTooSmall'],
  ])('%s is refused and stores nothing', async (_name, actualSize, status, code) => {
    const upload = await issuePost(1000);
    const response = await fetch(upload.url, { method: 'POST', body: postForm(upload, bytes(actualSize)) });
    expect(response.status).toBe(status);
    expect(await response.text()).toContain(`<Code>${code}</Code>`);
    expect(await storedKeys(`uploads/${upload.videoId}/`)).toEqual([]);
  });

  test('a different content type is refused and stores nothing', async () => {
    const upload = await issuePost(1000);
    const response = await fetch(upload.url, { method: 'POST', body: postForm(upload, bytes(1000), { 'Content-Type': 'video/webm' }) });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Policy Condition failed');
    expect(await storedKeys(`uploads/${upload.videoId}/`)).toEqual([]);
  });

  test('a different key is refused and stores nothing under either key', async () => {
    const upload = await issuePost(1000);
    const otherKey = `uploads/${upload.videoId}/chosen-by-client/source.mp4`;
    const response = await fetch(upload.url, { method: 'POST', body: postForm(upload, bytes(1000), { key: otherKey }) });
    expect(response.status).toBe(403);
    expect(await storedKeys('uploads/')).not.toContain(otherKey);
    expect(await storedKeys(`uploads/${upload.videoId}/`)).toEqual([]);
  });

  test('a form used after its expiry is refused', async () => {
    const upload = await issuePost(1000);
    clock = new Date(Date.parse(upload.expiresAt) + 1000);
    const response = await fetch(upload.url, { method: 'POST', body: postForm(upload, bytes(1000)) });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('Policy expired');
    expect(await storedKeys(`uploads/${upload.videoId}/`)).toEqual([]);
  });

  test('a policy rewritten by the client fails its signature', async () => {
    const upload = await issuePost(1000);
    const policy = JSON.parse(Buffer.from(upload.fields.Policy, 'base64').toString('utf8'));
    policy.conditions = policy.conditions.map((condition: unknown) =>
      Array.isArray(condition) && condition[0] === 'content-length-range' ? ['content-length-range', 1, 10 ** 9] : condition);
    const forged = Buffer.from(JSON.stringify(policy)).toString('base64');
    const response = await fetch(upload.url, { method: 'POST', body: postForm(upload, bytes(5000), { Policy: forged }) });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('SignatureDoesNotMatch');
    expect(await storedKeys(`uploads/${upload.videoId}/`)).toEqual([]);
  });
});

describe('multipart upload against a local S3 server', () => {
  const size = 11 * MEBIBYTE + 12345;

  async function issueMultipart(): Promise<MultipartUpload> {
    const upload = await ok<MultipartUpload>(handleUploadRequest(deps, {
      action: 'issue', creatorId: 'creator-1', videoId: newVideoId(), size, contentType: 'video/quicktime',
    }));
    expect(upload).toMatchObject({ kind: 'multipart', partSize: 5 * MEBIBYTE, partCount: 3 });
    expect(upload.parts.map((part) => part.partNumber)).toEqual([1, 2, 3]);
    return upload;
  }

  function slice(file: Uint8Array, upload: MultipartUpload, partNumber: number): Uint8Array {
    return file.subarray((partNumber - 1) * upload.partSize, Math.min(partNumber * upload.partSize, file.length));
  }

  test('parts put to their URLs complete into the whole file, and a retried completion answers the same', async () => {
    const upload = await issueMultipart();
    const file = bytes(size, 3);
    for (const part of upload.parts) {
      const response = await fetch(part.url, { method: 'PUT', body: slice(file, upload, part.partNumber) });
      expect(response.status).toBe(200);
      expect(response.headers.get('etag')).toBeTruthy();
    }
    const complete = { action: 'complete', videoId: upload.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId, size };
    expect(await handleUploadRequest(deps, complete)).toEqual({ ok: true, result: { kind: 'completed', key: upload.key, size } });
    expect(Buffer.from(await storedBytes(upload.key)).equals(Buffer.from(file))).toBe(true);
    expect(await handleUploadRequest(deps, complete)).toEqual({ ok: true, result: { kind: 'completed', key: upload.key, size } });
  });

  test('completing before every part is stored is refused and stores nothing', async () => {
    const upload = await issueMultipart();
    const file = bytes(size);
    await fetch(upload.parts[0].url, { method: 'PUT', body: slice(file, upload, 1) });
    const answer = await handleUploadRequest(deps, {
      action: 'complete', videoId: upload.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId, size,
    });
    expect(answer).toMatchObject({ ok: false, statusCode: 409, error: { code: 'parts-mismatch' } });
    expect(await storedKeys(`uploads/${upload.videoId}/`)).toEqual([]);
  });

  test('the parts stored so far are listed, so a reloaded page sends only the missing ones', async () => {
    const upload = await issueMultipart();
    const file = bytes(size, 5);
    const ids = { videoId: upload.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId, size };
    expect(await ok(handleUploadRequest(deps, { action: 'list-parts', ...ids }))).toMatchObject({ kind: 'listed-parts', partCount: 3, parts: [] });
    const etags: Record<number, string | null> = {};
    for (const partNumber of [3, 1]) {
      const response = await fetch(upload.parts[partNumber - 1].url, { method: 'PUT', body: Buffer.from(slice(file, upload, partNumber)) });
      etags[partNumber] = response.headers.get('etag');
    }
    const listed = await ok<{ parts: Array<{ partNumber: number; size: number; etag: string }> }>(handleUploadRequest(deps, { action: 'list-parts', ...ids }));
    expect(listed.parts).toEqual([
      { partNumber: 1, size: upload.partSize, etag: etags[1] },
      { partNumber: 3, size: size - 2 * upload.partSize, etag: etags[3] },
    ]);
    // The missing part, sent after the listing, completes the file.
    await fetch(upload.parts[1].url, { method: 'PUT', body: Buffer.from(slice(file, upload, 2)) });
    expect(await handleUploadRequest(deps, { action: 'complete', ...ids })).toEqual({ ok: true, result: { kind: 'completed', key: upload.key, size } });
    expect(Buffer.from(await storedBytes(upload.key)).equals(Buffer.from(file))).toBe(true);
    expect(await handleUploadRequest(deps, { action: 'list-parts', ...ids })).toMatchObject({ ok: false, statusCode: 404, error: { code: 'no-such-upload' } });
  });

  test('a part of another size than issued fails the signed Content-Length', async () => {
    const upload = await issueMultipart();
    const response = await fetch(upload.parts[0].url, { method: 'PUT', body: bytes(upload.partSize - 1) });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('SignatureDoesNotMatch');
  });

  test('a part URL with its signature removed is refused', async () => {
    const upload = await issueMultipart();
    const url = new URL(upload.parts[0].url);
    url.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    const response = await fetch(url, { method: 'PUT', body: slice(bytes(size), upload, 1) });
    expect(response.status).toBe(403);
  });

  test('an aborted upload cannot be completed, and aborting again answers the same', async () => {
    const upload = await issueMultipart();
    const ids = { videoId: upload.videoId, key: upload.key, multipartUploadId: upload.multipartUploadId };
    expect(await handleUploadRequest(deps, { action: 'abort', ...ids })).toEqual({ ok: true, result: { kind: 'aborted', key: upload.key } });
    expect(await handleUploadRequest(deps, { action: 'complete', ...ids, size }))
      .toMatchObject({ ok: false, statusCode: 404, error: { code: 'no-such-upload' } });
    expect(await handleUploadRequest(deps, { action: 'abort', ...ids })).toEqual({ ok: true, result: { kind: 'aborted', key: upload.key } });
  });

  test('more part URLs can be signed for a range of parts', async () => {
    const upload = await issueMultipart();
    const answer = await ok<{ parts: { partNumber: number; url: string }[] }>(handleUploadRequest(deps, {
      action: 'sign-parts',
      videoId: upload.videoId,
      key: upload.key,
      multipartUploadId: upload.multipartUploadId,
      size,
      firstPartNumber: 3,
      count: 1,
    }));
    expect(answer.parts.map((part) => part.partNumber)).toEqual([3]);
    const response = await fetch(answer.parts[0].url, { method: 'PUT', body: slice(bytes(size), upload, 3) });
    expect(response.status).toBe(200);
  });
});
