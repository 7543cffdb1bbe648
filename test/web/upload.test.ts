import type { CurrentUpload, IssuedUpload, SignedPartsAnswer } from '../../web/src/api';
import { ApiError } from '../../web/src/api';
import { rememberedFile, rememberFile, forgetFile, storageMessage, TransferRequest, Uploader, UploadApi, UploadState } from '../../web/src/upload';

const PART = 10;

/** A fake bucket: records what each PUT and POST carried, answers as told. */
class FakeStorage {
  public readonly parts = new Map<number, string>();
  public readonly requests: Array<{ method: string; url: string }> = [];
  public inFlight = 0;
  public maxInFlight = 0;
  public hold = false;
  private readonly held: Array<() => void> = [];
  public answer: (request: TransferRequest) => number | 'network' = () => 200;

  public transport = async (request: TransferRequest) => {
    this.requests.push({ method: request.method, url: request.url });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const error = new Error('aborted');
          error.name = 'AbortError';
          reject(error);
        };
        if (request.signal.aborted) return onAbort();
        request.signal.addEventListener('abort', onAbort, { once: true });
        const done = () => {
          request.signal.removeEventListener('abort', onAbort);
          resolve();
        };
        if (this.hold) this.held.push(done); else setImmediate(done);
      });
      const verdict = this.answer(request);
      if (verdict === 'network') throw new Error('network down');
      if (verdict === 200 && request.method === 'PUT') {
        const partNumber = Number(new URL(request.url).searchParams.get('partNumber'));
        const body = request.body as Blob;
        request.onProgress(body.size);
        this.parts.set(partNumber, await body.text());
      }
      return { status: verdict, body: verdict === 200 ? '' : '<Error><Message>Request has expired</Message></Error>' };
    } finally {
      this.inFlight--;
    }
  };

  public release(): void {
    this.hold = false;
    this.held.splice(0).forEach((resolve) => resolve());
  }
}

function fakeApi(content: string, storage: FakeStorage, firstUrls = 2) {
  const partCount = Math.ceil(content.length / PART);
  const url = (n: number, version = 1) => `https://bucket.example.com/source?partNumber=${n}&v=${version}`;
  let version = 1;
  const api: UploadApi & { signed: Array<[number, number]>; completed: number } = {
    signed: [],
    completed: 0,
    issueUpload: jest.fn(async (_videoId: string, size: number, contentType: string): Promise<IssuedUpload> => ({
      kind: 'multipart',
      videoId: 'v1',
      uploadId: 'u1',
      key: 'uploads/v1/u1/source.mp4',
      multipartUploadId: 'm1',
      size,
      contentType,
      partSize: PART,
      partCount,
      parts: Array.from({ length: Math.min(firstUrls, partCount) }, (_, i) => ({ partNumber: i + 1, url: url(i + 1) })),
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    })),
    currentUpload: jest.fn(async (): Promise<CurrentUpload> => ({
      kind: 'multipart',
      uploadId: 'u1',
      size: content.length,
      contentType: 'video/mp4',
      partSize: PART,
      partCount,
      uploadedParts: [...storage.parts.entries()].map(([partNumber, body]) => ({ partNumber, size: body.length, etag: `"${partNumber}"` })),
    })),
    signParts: jest.fn(async (_videoId: string, first: number, count: number): Promise<SignedPartsAnswer> => {
      api.signed.push([first, count]);
      version++;
      return {
        parts: Array.from({ length: count }, (_, i) => ({ partNumber: first + i, url: url(first + i, version) })),
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      };
    }),
    completeUpload: jest.fn(async () => {
      api.completed++;
      return { kind: 'completed' };
    }),
  };
  return api;
}

const noWait = {
  setTimeout: (callback: () => void) => setImmediate(callback),
  clearTimeout: (handle: unknown) => clearImmediate(handle as NodeJS.Immediate),
};

function uploader(content: string, storage: FakeStorage, api: UploadApi, states: UploadState[] = []) {
  return new Uploader({
    videoId: 'v1',
    file: new Blob([content], { type: 'video/mp4' }),
    api,
    transport: storage.transport,
    timers: noWait,
    onChange: (state) => states.push(state),
  });
}

const assembled = (storage: FakeStorage) => [...storage.parts.entries()].sort((a, b) => a[0] - b[0]).map(([, body]) => body).join('');

describe('Uploader, multipart', () => {
  const content = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3); // 108 bytes: 11 parts, the last of 8

  test('sends every part exactly as its slice, three at a time, then completes', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    const states: UploadState[] = [];
    await uploader(content, storage, api, states).start();

    expect(assembled(storage)).toBe(content);
    expect(storage.parts.get(11)).toBe(content.slice(100));
    expect(storage.maxInFlight).toBe(3);
    expect(api.completed).toBe(1);
    // The first two URLs came with the upload; the rest were asked for in runs.
    expect(api.signed.every(([first, count]) => first >= 3 && first + count - 1 <= 11)).toBe(true);
    expect(states.at(-1)).toMatchObject({ status: 'done', loaded: content.length, total: content.length });
    const loaded = states.map((state) => state.loaded);
    expect(loaded).toEqual([...loaded].sort((a, b) => a - b));
  });

  test('pause aborts the requests in flight; resume sends only what S3 lacks', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    const states: UploadState[] = [];
    const upload = uploader(content, storage, api, states);
    storage.hold = true;
    const running = upload.start();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(storage.inFlight).toBe(3);
    upload.pause();
    await running;
    expect(upload.state.status).toBe('paused');
    expect(storage.inFlight).toBe(0);
    expect(storage.parts.size).toBe(0);

    // Let two parts land as if sent before the interruption, then resume.
    storage.parts.set(1, content.slice(0, 10));
    storage.parts.set(4, content.slice(30, 40));
    storage.parts.set(5, 'truncated'); // a wrong size: sent again
    storage.release();
    const before = storage.requests.length;
    const signedBefore = api.signed.length;
    await upload.resume();
    const sent = storage.requests.slice(before).map((request) => Number(new URL(request.url).searchParams.get('partNumber')));
    expect(sent.sort((a, b) => a - b)).toEqual([2, 3, 5, 6, 7, 8, 9, 10, 11]);
    expect(assembled(storage)).toBe(content);
    expect(api.completed).toBe(1);
    expect(upload.state.status).toBe('done');
    // After a resume no URL is known yet: they are asked for in runs of missing parts only.
    expect(api.signed.slice(signedBefore)).toEqual([[2, 2], [5, 7]]);
  });

  test('a refused (expired) part URL is signed again and the part retried', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    let refused = false;
    storage.answer = (request) => {
      if (!refused && request.url.includes('partNumber=2&v=1')) {
        refused = true;
        return 403;
      }
      return 200;
    };
    await uploader(content, storage, api).start();
    expect(refused).toBe(true);
    // Parts 3 to 11 were signed together; part 2 alone is signed again, its other URLs still being valid.
    expect(api.signed).toEqual([[3, 9], [2, 1]]);
    expect(assembled(storage)).toBe(content);
  });

  test('a part that keeps failing fails the upload with the reason, and nothing is completed', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    storage.answer = (request) => (request.url.includes('partNumber=7') ? 500 : 200);
    const upload = uploader(content, storage, api);
    await upload.start();
    expect(upload.state.status).toBe('failed');
    expect(upload.state.message).toBe('Sending part 7 failed after 5 tries (storage answered 500: Request has expired).');
    expect(api.completed).toBe(0);
  });

  test('a network failure while offline stops the run until resumed', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    let online = false;
    storage.answer = () => (online ? 200 : 'network');
    const upload = new Uploader({
      videoId: 'v1', file: new Blob([content], { type: 'video/mp4' }), api, transport: storage.transport, timers: noWait, isOnline: () => online,
    });
    await upload.start();
    expect(upload.state.status).toBe('offline');
    online = true;
    await upload.resume();
    expect(upload.state.status).toBe('done');
    expect(assembled(storage)).toBe(content);
  });

  test('resume refuses a file of another size', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    const upload = uploader(`${content}!`, storage, api);
    await upload.resume();
    expect(upload.state.status).toBe('failed');
    expect(storage.requests).toHaveLength(0);
  });

  test('an API refusal to issue the upload fails with its message', async () => {
    const storage = new FakeStorage();
    const api = fakeApi(content, storage);
    (api.issueUpload as jest.Mock).mockRejectedValue(new ApiError(400, 'invalid-type', 'Only video files can be uploaded.'));
    const upload = uploader(content, storage, api);
    await upload.start();
    expect(upload.state).toMatchObject({ status: 'failed', message: 'Only video files can be uploaded.' });
  });
});

describe('Uploader, single POST', () => {
  test('posts the policy fields in order and the file last', async () => {
    const seen: string[] = [];
    const transport = jest.fn(async (request: TransferRequest) => {
      const form = request.body as FormData;
      for (const [name] of form.entries()) seen.push(name);
      request.onProgress(5);
      return { status: 204, body: '' };
    });
    const api: UploadApi = {
      issueUpload: async (videoId, size, contentType) => ({
        kind: 'post',
        videoId,
        uploadId: 'u1',
        key: 'k',
        url: 'https://bucket.example.com/',
        size,
        contentType,
        fields: { 'key': 'k', 'Content-Type': 'video/mp4', 'Policy': 'p', 'X-Amz-Signature': 's' },
        expiresAt: new Date(Date.now() + 60_000).toISOString(),
      }),
      currentUpload: jest.fn(),
      signParts: jest.fn(),
      completeUpload: jest.fn(),
    };
    const upload = new Uploader({ videoId: 'v1', file: new Blob(['hello'], { type: 'video/mp4' }), api, transport, timers: noWait });
    await upload.start();
    expect(seen).toEqual(['key', 'Content-Type', 'Policy', 'X-Amz-Signature', 'file']);
    expect(transport.mock.calls[0][0].method).toBe('POST');
    expect(upload.state).toMatchObject({ status: 'done', loaded: 5, kind: 'post' });
    expect(api.completeUpload).not.toHaveBeenCalled();
  });
});

describe('remembered files', () => {
  test('round trip, and forgetting', () => {
    const values = new Map<string, string>();
    const store = {
      getItem: (k: string) => values.get(k) ?? null,
      setItem: (k: string, v: string) => void values.set(k, v),
      removeItem: (k: string) => void values.delete(k),
    };
    const file = Object.assign(new Blob(['x'], { type: 'video/mp4' }), { name: 'a.mp4', lastModified: 7 });
    rememberFile(store, 'v1', file);
    expect(rememberedFile(store, 'v1')).toEqual({ name: 'a.mp4', size: 1, type: 'video/mp4', lastModified: 7 });
    expect(rememberedFile(store, 'v2')).toBeUndefined();
    forgetFile(store, 'v1');
    expect(rememberedFile(store, 'v1')).toBeUndefined();
  });

  test('S3 error messages are read from its XML', () => {
    expect(storageMessage('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>')).toBe('Request has expired');
    expect(storageMessage('not xml')).toBe('');
  });
});
