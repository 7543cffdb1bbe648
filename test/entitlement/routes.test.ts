import { generateKeyPairSync } from 'node:crypto';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { parseCookieHeader, verifySignedRequest } from '../../sandbox/cloudfront/signed-requests';
import { startIdentity, Identity } from '../../sandbox/identity/identity-server';
import { OUTPUT_LAYOUT, TranscodeStatusDetail } from '../../src/contracts/transcode-status';
import { MediaSigner } from '../../src/delivery/media-signer';
import { API_ROUTES } from '../../src/entitlement/api-routes';
import { Authenticator } from '../../src/entitlement/auth.lambda-shared';
import { Catalog } from '../../src/entitlement/catalog.lambda-shared';
import { EntitlementStore } from '../../src/entitlement/entitlements.lambda-shared';
import { HttpResult } from '../../src/entitlement/http.lambda-shared';
import { ApiDependencies, handleApiRequest, HANDLED_ROUTES } from '../../src/entitlement/routes.lambda-shared';
import { CATALOG_INDEXES, ENTITLEMENT_INDEXES } from '../../src/entitlement/schema';
import { consumeTranscodeStatus } from '../../src/entitlement/status-consumer.lambda-shared';
import { createUploadS3Client, handleUploadRequest } from '../../src/upload/issue-upload.lambda-shared';
import { MEBIBYTE } from '../../src/upload/upload-settings';

/**
 * The API's routes with their real stores on dynalite, the real upload
 * issuance (S3 mocked: presigning needs no call), a real signer and real
 * token verification against a local JWKS.
 */

let db: LocalDynamoDB;
let identity: Identity;
let deps: ApiDependencies;
let catalog: Catalog;
let entitlements: EntitlementStore;
let tables = 0;
let ids = 0;
const retries: Array<[string, string]> = [];
const deletions: string[] = [];
const restores: Array<[string, string]> = [];
const invalidations: string[] = [];
let restoreAnswer: { outcome: string; reason?: string } = { outcome: 'restored' };
const playbackOutcomes: string[] = [];
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const s3 = createUploadS3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
const s3Mock = mockClient(s3);
s3Mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'mpu-1' });
s3Mock.on(ListPartsCommand).resolves({ Parts: [], IsTruncated: false });
s3Mock.on(AbortMultipartUploadCommand).resolves({});

const token = {
  creatorA: () => identity.token('creator-a', ['creators']),
  creatorB: () => identity.token('creator-b', ['creators']),
  viewer: () => identity.token('viewer-1'),
  premiumViewer: () => identity.token('viewer-premium'),
  buyer: () => identity.token('viewer-buyer'),
  lapsed: () => identity.token('viewer-lapsed'),
  admin: () => identity.token('admin-1', ['admins']),
};

beforeAll(async () => {
  [db, identity] = await Promise.all([startLocalDynamoDB(), startIdentity()]);
});
afterAll(async () => {
  await Promise.all([db?.close(), identity?.close()]);
});

beforeEach(async () => {
  tables += 1;
  await db.createTableWithIndexes(`catalog-${tables}`, ['videoId'], {
    [CATALOG_INDEXES.byCreator]: ['creatorId', 'createdAt'],
    [CATALOG_INDEXES.published]: ['listing', 'publishedAt'],
  });
  await db.createTableWithIndexes(`entitlements-${tables}`, ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });
  catalog = new Catalog(db.documents, `catalog-${tables}`);
  entitlements = new EntitlementStore(db.documents, `entitlements-${tables}`);
  retries.length = 0;
  deletions.length = 0;
  restores.length = 0;
  invalidations.length = 0;
  restoreAnswer = { outcome: 'restored' };
  playbackOutcomes.length = 0;
  const signer = Promise.resolve(new MediaSigner(signingKey.privateKey, 'KTESTKEYPAIR'));
  deps = {
    auth: new Authenticator({ issuer: identity.issuer, clientId: identity.clientId, jwksUri: identity.jwksUri }),
    catalog,
    entitlements,
    uploads: (request) => handleUploadRequest({
      s3,
      settings: {
        bucketName: 'sources',
        maxUploadBytes: 1024 * MEBIBYTE,
        multipartThresholdBytes: 100 * MEBIBYTE,
        partSizeBytes: 16 * MEBIBYTE,
        allowedContentTypes: ['video/*'],
        urlExpirySeconds: 900,
      },
    }, request),
    retryTranscode: async (videoId, uploadId) => {
      retries.push([videoId, uploadId]);
      return { outcome: 'submitted' };
    },
    deleteVideoFiles: async (videoId) => {
      deletions.push(videoId);
    },
    restoreVideoFiles: async (videoId, uploadId) => {
      restores.push([videoId, uploadId]);
      return restoreAnswer;
    },
    invalidate: async (paths) => {
      invalidations.push(...paths);
    },
    signer: () => signer,
    settings: { mediaDomain: 'media.example.com', sessionSeconds: 300, sameSite: 'Strict' },
    newId: () => `video-${++ids}`,
    onPlayback: (outcome, reason) => playbackOutcomes.push(reason ? `${outcome}:${reason}` : outcome),
  };
});

interface Call {
  token?: string;
  path?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  query?: Record<string, string>;
}

async function call(routeKey: string, options: Call = {}): Promise<HttpResult & { json: any }> {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const result = await handleApiRequest(deps, {
    routeKey,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
    },
    pathParameters: options.path,
    queryStringParameters: options.query,
    body,
  });
  return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
}

async function createDraft(creator = token.creatorA(), access = 'public', title = 'A film'): Promise<string> {
  const created = await call('POST /api/videos', { token: creator, body: { title, access } });
  expect(created.statusCode).toBe(201);
  return created.json.id;
}

function status(videoId: string, uploadId: string, state: TranscodeStatusDetail['state'], extra: Partial<TranscodeStatusDetail> = {}): TranscodeStatusDetail {
  return {
    version: 1,
    pipelineId: 'P',
    videoId,
    uploadId,
    sourceKey: `uploads/${videoId}/${uploadId}/source.mp4`,
    attempt: 1,
    jobId: 'job-1',
    state,
    progressPercent: state === 'COMPLETE' ? 100 : 0,
    at: new Date().toISOString(),
    ...(state === 'COMPLETE' ? {
      outputs: {
        masterPlaylistKey: `videos/${videoId}/master.m3u8`,
        durationSeconds: 42,
        posterKey: `posters/${videoId}/poster.0000000.jpg`,
        posterKeys: [`posters/${videoId}/frame.0000002.jpg`, `posters/${videoId}/poster.0000000.jpg`],
        renditions: [{ width: 1280, height: 720, playlistKey: `videos/${videoId}/master_1280x720.m3u8` }],
      },
    } : {}),
    ...(state === 'ERROR' ? { failure: { code: '1010', message: 'unreadable' } } : {}),
    ...extra,
  };
}

interface ReadyVideoOptions {
  readonly creator?: string;
  readonly access?: string;
  readonly publish?: boolean;
  /** The pipeline also made the MP4 download: at the layout's key, or at the key given. */
  readonly download?: boolean | ((videoId: string) => string);
}

/** A video taken through upload and transcode to READY (and PUBLISHED when asked). */
async function readyVideo(options: ReadyVideoOptions = {}): Promise<string> {
  const creator = options.creator ?? token.creatorA();
  const videoId = await createDraft(creator, options.access ?? 'public');
  const upload = await call('POST /api/videos/{videoId}/upload', { token: creator, path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
  expect(upload.statusCode).toBe(201);
  expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, upload.json.uploadId, 'SUBMITTED') }, new Date())).toBe(true);
  const complete = status(videoId, upload.json.uploadId, 'COMPLETE');
  const downloadKey = typeof options.download === 'function' ? options.download(videoId) : options.download ? OUTPUT_LAYOUT.download(videoId) : undefined;
  const detail = downloadKey ? { ...complete, outputs: { ...complete.outputs!, downloadKey } } : complete;
  expect(await consumeTranscodeStatus(catalog, { detail }, new Date())).toBe(true);
  if (options.publish ?? true) {
    expect((await call('POST /api/videos/{videoId}/publish', { token: creator, path: { videoId } })).statusCode).toBe(200);
  }
  return videoId;
}

test('the handler answers every route the construct defines, and no other', () => {
  expect([...HANDLED_ROUTES].sort()).toEqual([...API_ROUTES].sort());
});

describe('a video\'s life', () => {
  test('draft → uploading → processing → ready → published → unpublished → deleted', async () => {
    const videoId = await createDraft();
    const owner = () => call('GET /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } });
    expect((await owner()).json).toMatchObject({ id: videoId, state: 'DRAFT', title: 'A film', access: 'public', creatorId: 'creator-a' });

    const upload = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    expect(upload.json).toMatchObject({ kind: 'post', videoId, key: `uploads/${videoId}/${upload.json.uploadId}/source.mp4` });
    expect((await owner()).json.state).toBe('UPLOADING');

    await consumeTranscodeStatus(catalog, { detail: status(videoId, upload.json.uploadId, 'PROGRESSING', { progressPercent: 40 }) }, new Date());
    expect((await owner()).json).toMatchObject({ state: 'PROCESSING', progressPercent: 40 });
    await consumeTranscodeStatus(catalog, { detail: status(videoId, upload.json.uploadId, 'COMPLETE') }, new Date());
    expect((await owner()).json).toMatchObject({ state: 'READY', durationSeconds: 42, posterUrl: `https://media.example.com/posters/${videoId}/poster.0000000.jpg` });

    expect((await call('POST /api/videos/{videoId}/publish', { token: token.creatorA(), path: { videoId } })).json.state).toBe('PUBLISHED');
    expect((await call('GET /api/videos')).json.videos.map((v: any) => v.id)).toEqual([videoId]);
    expect((await call('POST /api/videos/{videoId}/unpublish', { token: token.creatorA(), path: { videoId } })).json.state).toBe('READY');
    expect((await call('GET /api/videos')).json.videos).toEqual([]);
    expect((await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(204);
    expect((await owner()).statusCode).toBe(404);
    expect((await call('GET /api/me/videos', { token: token.creatorA() })).json.videos).toEqual([]);
    // Its files are handed to the pipeline to remove, and the CDN forgets its cached copies.
    expect(deletions).toEqual([videoId]);
    expect(invalidations).toEqual([`/videos/${videoId}/*`, `/posters/${videoId}/*`]);
    expect((await catalog.get(videoId))).toMatchObject({ state: 'DELETED', deletedAt: expect.any(String) });
  });

  test('deleting again finishes what a failed try left, changing the catalog no more; another creator still gets 404', async () => {
    const videoId = await createDraft();
    expect((await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(204);
    const deletedAt = (await catalog.get(videoId))!.deletedAt;
    expect((await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(204);
    expect((await catalog.get(videoId))!.deletedAt).toBe(deletedAt);
    expect(deletions).toEqual([videoId, videoId]);
    expect((await call('DELETE /api/videos/{videoId}', { token: token.creatorB(), path: { videoId } })).statusCode).toBe(404);
    expect(deletions).toHaveLength(2);
  });

  test('an admin restores a deleted video while its source is kept: FAILED with RESTORED, to transcode again; 410 once it is gone', async () => {
    const videoId = await createDraft();
    const upload = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    await consumeTranscodeStatus(catalog, { detail: status(videoId, upload.json.uploadId, 'COMPLETE') }, new Date());
    await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } });
    expect((await call('POST /api/admin/videos/{videoId}/restore', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(403);
    const restored = await call('POST /api/admin/videos/{videoId}/restore', { token: token.admin(), path: { videoId } });
    expect(restored.statusCode).toBe(200);
    expect(restored.json).toMatchObject({ state: 'FAILED', failure: { code: 'RESTORED' } });
    expect(restores).toEqual([[videoId, upload.json.uploadId]]);
    expect((await catalog.get(videoId))!.outputs).toBeUndefined();
    // Restored, it is the creator's again, and can be retried.
    expect((await call('POST /api/videos/{videoId}/retry', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(202);
    expect((await call('POST /api/admin/videos/{videoId}/restore', { token: token.admin(), path: { videoId } })).statusCode).toBe(409);

    const gone = await createDraft();
    const goneUpload = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId: gone }, body: { size: 1000, contentType: 'video/mp4' } });
    expect(goneUpload.statusCode).toBe(201);
    await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId: gone } });
    restoreAnswer = { outcome: 'gone', reason: 'its source has been removed already' };
    const refused = await call('POST /api/admin/videos/{videoId}/restore', { token: token.admin(), path: { videoId: gone } });
    expect(refused.statusCode).toBe(410);
    expect((await catalog.get(gone))!.state).toBe('DELETED');
  });

  test('status of an upload that is no longer current, duplicates and stale events change nothing', async () => {
    const videoId = await createDraft();
    const first = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    const second = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 2000, contentType: 'video/mp4' } });
    expect(second.statusCode).toBe(201);
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, first.json.uploadId, 'COMPLETE') }, new Date())).toBe(false);
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, second.json.uploadId, 'COMPLETE') }, new Date())).toBe(true);
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, second.json.uploadId, 'COMPLETE') }, new Date())).toBe(false);
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, second.json.uploadId, 'PROGRESSING', { progressPercent: 50 }) }, new Date())).toBe(false);
    expect((await catalog.get(videoId))?.state).toBe('READY');
  });

  test('of two uploads racing for one video, only one wins', async () => {
    const videoId = await createDraft();
    const request = () => call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    const answers = await Promise.all([request(), request()]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
    const winner = answers.find((a) => a.statusCode === 201)!;
    expect((await catalog.get(videoId))?.currentUploadId).toBe(winner.json.uploadId);
  });

  test('a failed transcode is retried for the current upload; nothing else can be', async () => {
    const videoId = await createDraft();
    const upload = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    await consumeTranscodeStatus(catalog, { detail: status(videoId, upload.json.uploadId, 'ERROR') }, new Date());
    expect((await call('GET /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).json)
      .toMatchObject({ state: 'FAILED', failure: { code: '1010', message: 'unreadable' } });
    expect((await call('POST /api/videos/{videoId}/retry', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(202);
    expect(retries).toEqual([[videoId, upload.json.uploadId]]);
    // The retry's new attempt moves it on again.
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, upload.json.uploadId, 'SUBMITTED', { attempt: 2 }) }, new Date())).toBe(true);
    expect((await call('POST /api/videos/{videoId}/retry', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(409);
  });

  test('a large file gets a multipart upload, whose parts, completion and abort go through the video', async () => {
    const videoId = await createDraft();
    const upload = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 200 * MEBIBYTE, contentType: 'video/mp4' } });
    expect(upload.json).toMatchObject({ kind: 'multipart', partCount: 13 });
    const parts = await call('POST /api/videos/{videoId}/upload/parts', { token: token.creatorA(), path: { videoId }, body: { firstPartNumber: 13, count: 1 } });
    expect(parts.json.parts.map((p: any) => p.partNumber)).toEqual([13]);
    // Nothing was stored yet: completion is refused, and the upload can be aborted.
    expect(await call('POST /api/videos/{videoId}/upload/complete', { token: token.creatorA(), path: { videoId } }))
      .toMatchObject({ statusCode: 409, json: { error: { code: 'parts-mismatch' } } });
    expect(s3Mock.commandCalls(ListPartsCommand).at(-1)!.args[0].input).toMatchObject({ Key: upload.json.key, UploadId: 'mpu-1' });
    expect(await call('POST /api/videos/{videoId}/upload/abort', { token: token.creatorA(), path: { videoId } }))
      .toMatchObject({ statusCode: 200, json: { kind: 'aborted', key: upload.json.key } });
  });
});

describe('bad input gets a clear 4xx and changes nothing', () => {
  test.each<[string, string, Call, number, string]>([
    ['no title', 'POST /api/videos', { body: {} }, 400, 'missing-field'],
    ['a title too long', 'POST /api/videos', { body: { title: 'x'.repeat(201) } }, 400, 'invalid-field'],
    ['a title with control characters', 'POST /api/videos', { body: { title: 'a\u0000b' } }, 400, 'invalid-field'],
    ['an unknown access mode', 'POST /api/videos', { body: { title: 't', access: 'vip' } }, 400, 'invalid-field'],
    ['an unknown field', 'POST /api/videos', { body: { title: 't', owner: 'someone-else' } }, 400, 'unknown-field'],
    ['a body that is not JSON', 'POST /api/videos', { rawBody: '{title:', contentType: 'application/json' }, 400, 'invalid-json'],
    ['a JSON array', 'POST /api/videos', { rawBody: '[]' }, 400, 'invalid-body'],
    ['a form body', 'POST /api/videos', { rawBody: 'title=t', contentType: 'application/x-www-form-urlencoded' }, 415, 'unsupported-media-type'],
    ['a body over 16 KB', 'POST /api/videos', { body: { title: 't', description: 'x'.repeat(17_000) } }, 413, 'body-too-large'],
    ['a title that is a lone high surrogate', 'POST /api/videos', { body: { title: '\uD800' } }, 400, 'invalid-text'],
    ['a title ending in a lone low surrogate', 'POST /api/videos', { body: { title: 'abc\uDC00' } }, 400, 'invalid-text'],
    ['surrogates in the wrong order', 'POST /api/videos', { body: { title: 'a\uDC00\uD800b' } }, 400, 'invalid-text'],
    ['a description with a lone surrogate', 'POST /api/videos', { body: { title: 't', description: 'text \uD83D then more' } }, 400, 'invalid-text'],
  ])('creating a draft with %s', async (_name, routeKey, options, statusCode, code) => {
    const answer = await call(routeKey, { token: token.creatorA(), ...options });
    expect(answer).toMatchObject({ statusCode, json: { error: { code, message: expect.any(String) } } });
    expect((await call('GET /api/me/videos', { token: token.creatorA() })).json.videos).toEqual([]);
  });

  test('a lone surrogate is refused as it arrives on the wire, with a message naming the field', async () => {
    const answer = await call('POST /api/videos', { token: token.creatorA(), rawBody: '{"title":"ok","description":"a\\udc00b"}' });
    expect(answer).toMatchObject({ statusCode: 400, json: { error: { code: 'invalid-text', message: expect.stringMatching(/^description must be well-formed Unicode text/) } } });
    // The answer itself is well-formed: the surrogate is not echoed back raw.
    expect(answer.body).not.toMatch(/[\uD800-\uDFFF]/);
  });

  test('text with surrogate pairs (an emoji, a CJK extension character) is well-formed and kept as sent', async () => {
    const title = 'Cats \u{1F408} and \u{20000}';
    const videoId = await createDraft(token.creatorA(), 'public', title);
    expect((await catalog.get(videoId))?.title).toBe(title);
    const patched = await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId }, body: { description: '\u{1F3AC}' } });
    expect(patched).toMatchObject({ statusCode: 200, json: { title, description: '\u{1F3AC}' } });
  });

  test.each<[string, string, Call, number, string]>([
    ['no changes', 'PATCH /api/videos/{videoId}', { body: {} }, 400, 'nothing-to-change'],
    ['an empty title', 'PATCH /api/videos/{videoId}', { body: { title: '' } }, 400, 'invalid-field'],
    ['a title with a lone surrogate', 'PATCH /api/videos/{videoId}', { body: { title: 'abc\uDC00' } }, 400, 'invalid-text'],
    ['a description with a lone surrogate', 'PATCH /api/videos/{videoId}', { body: { description: '\uD800' } }, 400, 'invalid-text'],
    ['a good title and a description with a lone surrogate', 'PATCH /api/videos/{videoId}', { body: { title: 'new', description: 'x\uDBFF' } }, 400, 'invalid-text'],
    ['a content type with a lone surrogate', 'POST /api/videos/{videoId}/upload', { body: { size: 1000, contentType: 'video/mp4\uD800' } }, 400, 'invalid-text'],
    ['no size', 'POST /api/videos/{videoId}/upload', { body: { contentType: 'video/mp4' } }, 400, 'missing-field'],
    ['a zero size', 'POST /api/videos/{videoId}/upload', { body: { size: 0, contentType: 'video/mp4' } }, 400, 'invalid-size'],
    ['a size as text', 'POST /api/videos/{videoId}/upload', { body: { size: '1000', contentType: 'video/mp4' } }, 400, 'invalid-size'],
    ['a size over the limit', 'POST /api/videos/{videoId}/upload', { body: { size: 2 * 1024 * MEBIBYTE, contentType: 'video/mp4' } }, 413, 'too-large'],
    ['an image', 'POST /api/videos/{videoId}/upload', { body: { size: 1000, contentType: 'image/png' } }, 415, 'unsupported-content-type'],
    ['parts without a multipart upload', 'POST /api/videos/{videoId}/upload/parts', { body: { firstPartNumber: 1, count: 1 } }, 409, 'no-upload'],
    ['completing without an upload', 'POST /api/videos/{videoId}/upload/complete', {}, 409, 'no-upload'],
    ['aborting without an upload', 'POST /api/videos/{videoId}/upload/abort', {}, 409, 'no-upload'],
    ['publishing a draft', 'POST /api/videos/{videoId}/publish', {}, 409, 'wrong-state'],
    ['unpublishing a draft', 'POST /api/videos/{videoId}/unpublish', {}, 409, 'wrong-state'],
    ['retrying a draft', 'POST /api/videos/{videoId}/retry', {}, 409, 'wrong-state'],
  ])('%s', async (_name, routeKey, options, statusCode, code) => {
    const videoId = await createDraft();
    const before = await catalog.get(videoId);
    const answer = await call(routeKey, { token: token.creatorA(), path: { videoId }, ...options });
    expect(answer).toMatchObject({ statusCode, json: { error: { code } } });
    expect(await catalog.get(videoId)).toEqual(before);
  });

  test.each<[string, Record<string, string>, string]>([
    ['a limit of 0', { limit: '0' }, 'invalid-field'],
    ['a limit of 51', { limit: '51' }, 'invalid-field'],
    ['a limit that is not a number', { limit: 'ten' }, 'invalid-field'],
    ['a forged cursor', { cursor: Buffer.from(JSON.stringify({ videoId: 'x', listing: 'draft', publishedAt: 'y', extra: 'z' })).toString('base64url') }, 'invalid-cursor'],
    ['a cursor that is not base64url', { cursor: '{"videoId":"x"}' }, 'invalid-cursor'],
  ])('listing with %s', async (_name, query, code) => {
    expect(await call('GET /api/videos', { query })).toMatchObject({ statusCode: 400, json: { error: { code } } });
  });

  test.each<[string, Record<string, string>, unknown, string]>([
    ['a malformed user id', { userId: 'a b', entitlementId: 'premium' }, { expiresAt: '2099-01-01T00:00:00Z' }, 'invalid-field'],
    ['a malformed entitlement id', { userId: 'u', entitlementId: '../x' }, {}, 'invalid-field'],
    ['premium without an end', { userId: 'u', entitlementId: 'premium' }, {}, 'missing-field'],
    ['premium ending in the past', { userId: 'u', entitlementId: 'premium' }, { expiresAt: '2001-01-01T00:00:00Z' }, 'invalid-field'],
    ['premium ending on no date', { userId: 'u', entitlementId: 'premium' }, { expiresAt: 'soon' }, 'invalid-field'],
    ['an unknown field', { userId: 'u', entitlementId: 'premium' }, { expiresAt: '2099-01-01T00:00:00Z', plan: 'gold' }, 'unknown-field'],
    ['an end date with a lone surrogate', { userId: 'u', entitlementId: 'premium' }, { expiresAt: '2099-01-01T00:00:00Z\uD800' }, 'invalid-text'],
  ])('granting with %s', async (_name, path, body, code) => {
    expect(await call('PUT /api/admin/users/{userId}/entitlements/{entitlementId}', { token: token.admin(), path, body }))
      .toMatchObject({ statusCode: 400, json: { error: { code } } });
    expect(await entitlements.list('u')).toEqual([]);
  });

  test('a malformed video id in the path is just not found', async () => {
    for (const routeKey of API_ROUTES.filter((key) => key.includes('{videoId}'))) {
      const caller = routeKey.includes('/api/admin/') ? token.admin() : token.creatorA();
      expect((await call(routeKey, { token: caller, path: { videoId: '../../etc' } })).statusCode).toBe(404);
    }
  });

  test('an unknown route is a 404, not a 5xx', async () => {
    expect((await call('POST /api/nothing')).statusCode).toBe(404);
  });
});

describe('who may do what', () => {
  test('another creator cannot read, change, upload to, publish or delete a video, and cannot tell it exists', async () => {
    const videoId = await readyVideo({ publish: false, download: true });
    const before = await catalog.get(videoId);
    for (const [routeKey, body] of [
      ['GET /api/videos/{videoId}', undefined], ['PATCH /api/videos/{videoId}', { title: 'mine now' }], ['DELETE /api/videos/{videoId}', undefined],
      ['POST /api/videos/{videoId}/upload', { size: 1000, contentType: 'video/mp4' }], ['POST /api/videos/{videoId}/publish', undefined],
      ['POST /api/videos/{videoId}/unpublish', undefined], ['POST /api/videos/{videoId}/retry', undefined], ['POST /api/videos/{videoId}/playback', undefined],
      ['POST /api/videos/{videoId}/download', undefined],
    ] as const) {
      const asOther = await call(routeKey, { token: token.creatorB(), path: { videoId }, body });
      const missing = await call(routeKey, { token: token.creatorB(), path: { videoId: 'no-such-video' }, body });
      expect([routeKey, asOther.statusCode, asOther.json]).toEqual([routeKey, 404, missing.json]);
    }
    expect(await catalog.get(videoId)).toEqual(before);
  });

  test('creator routes need a token (401) and the creators group (403)', async () => {
    expect(await call('POST /api/videos', { body: { title: 't' } })).toMatchObject({ statusCode: 401, json: { error: { code: 'sign-in-required' } } });
    expect(await call('POST /api/videos', { token: token.viewer(), body: { title: 't' } })).toMatchObject({ statusCode: 403, json: { error: { code: 'creators-only' } } });
    expect(await call('GET /api/me/videos', { token: token.viewer() })).toMatchObject({ statusCode: 403 });
  });

  test('admin routes need the admins group', async () => {
    const grant = { path: { userId: 'viewer-1', entitlementId: 'premium' }, body: { expiresAt: '2099-01-01T00:00:00Z' } };
    expect((await call('PUT /api/admin/users/{userId}/entitlements/{entitlementId}', { token: token.creatorA(), ...grant })).statusCode).toBe(403);
    expect((await call('PUT /api/admin/users/{userId}/entitlements/{entitlementId}', grant)).statusCode).toBe(401);
    expect(await entitlements.list('viewer-1')).toEqual([]);
  });

  test('an admin may unpublish or delete any video, but not upload to it', async () => {
    const videoId = await readyVideo();
    expect((await call('POST /api/videos/{videoId}/upload', { token: token.admin(), path: { videoId }, body: { size: 1, contentType: 'video/mp4' } })).statusCode).toBe(404);
    expect((await call('POST /api/videos/{videoId}/unpublish', { token: token.admin(), path: { videoId } })).statusCode).toBe(200);
    expect((await call('DELETE /api/videos/{videoId}', { token: token.admin(), path: { videoId } })).statusCode).toBe(204);
  });

  test('an invalid token is refused even on routes that need none', async () => {
    expect((await call('GET /api/videos', { token: 'a.b.c' })).statusCode).toBe(401);
  });
});

describe('playback sessions', () => {
  const later = new Date(Date.now() + 30 * 86400_000).toISOString();
  const earlier = new Date(Date.now() - 86400_000).toISOString();

  async function entitle(): Promise<void> {
    await entitlements.grant({ userId: 'viewer-premium', entitlementId: 'premium', expiresAt: later, grantedAt: earlier, grantedBy: 'admin:a' });
    await entitlements.grant({ userId: 'viewer-lapsed', entitlementId: 'premium', expiresAt: earlier, grantedAt: earlier, grantedBy: 'admin:a' });
  }

  const callers: Record<string, () => string | undefined> = {
    anonymous: () => undefined,
    viewer: token.viewer,
    premiumViewer: token.premiumViewer,
    lapsedPremium: token.lapsed,
    buyer: token.buyer,
    owner: token.creatorA,
    otherCreator: token.creatorB,
    admin: token.admin,
  };
  // Expected status per access mode and caller; the buyer bought this very video.
  const matrix: Record<string, Record<string, number>> = {
    public: { anonymous: 200, viewer: 200, premiumViewer: 200, lapsedPremium: 200, buyer: 200, owner: 200, otherCreator: 200, admin: 200 },
    premium: { anonymous: 401, viewer: 403, premiumViewer: 200, lapsedPremium: 403, buyer: 200, owner: 200, otherCreator: 403, admin: 200 },
    purchase: { anonymous: 401, viewer: 403, premiumViewer: 403, lapsedPremium: 403, buyer: 200, owner: 200, otherCreator: 403, admin: 200 },
  };

  test.each(Object.keys(matrix))('a published %s video: who may play it', async (access) => {
    await entitle();
    const videoId = await readyVideo({ access });
    await entitlements.grant({ userId: 'viewer-buyer', entitlementId: `video#${videoId}`, grantedAt: earlier, grantedBy: 'stripe:evt_1' });
    const outcome: Record<string, number> = {};
    for (const [name, make] of Object.entries(callers)) {
      outcome[name] = (await call('POST /api/videos/{videoId}/playback', { token: make(), path: { videoId } })).statusCode;
    }
    expect(outcome).toEqual(matrix[access]);
    expect(playbackOutcomes.filter((o) => o === 'issued')).toHaveLength(Object.values(matrix[access]).filter((s) => s === 200).length);
  });

  test('an unpublished video plays for its owner and admins only; for anyone else it does not exist', async () => {
    const videoId = await readyVideo({ publish: false });
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(200);
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.admin(), path: { videoId } })).statusCode).toBe(200);
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.viewer(), path: { videoId } })).statusCode).toBe(404);
    expect((await call('POST /api/videos/{videoId}/playback', { path: { videoId } })).statusCode).toBe(404);
    expect(playbackOutcomes.slice(-2)).toEqual(['denied:not-found', 'denied:not-found']);
  });

  test('a session sets the three cookies for this video\'s folder, which open it and no other, and answers the playlist URL', async () => {
    const videoId = await readyVideo();
    const other = await readyVideo();
    const answer = await call('POST /api/videos/{videoId}/playback', { path: { videoId } });
    expect(answer.json).toMatchObject({ playlistUrl: `https://media.example.com/videos/${videoId}/master.m3u8`, refreshAfterSeconds: 240 });
    expect(answer.cookies).toHaveLength(3);
    for (const cookie of answer.cookies!) {
      expect(cookie).toMatch(new RegExp(`; Path=/videos/${videoId}/; Expires=.+; Secure; HttpOnly; SameSite=Strict$`));
    }
    const jar = parseCookieHeader(answer.cookies!.map((c) => c.split(';')[0]).join('; '));
    const trustedKeys = new Map([['KTESTKEYPAIR', signingKey.publicKey]]);
    const verdict = (path: string) => verifySignedRequest({ url: `https://media.example.com${path}`, cookies: jar, now: new Date(), trustedKeys }).allowed;
    expect(verdict(`/videos/${videoId}/master.m3u8`)).toBe(true);
    expect(verdict(`/videos/${other}/master.m3u8`)).toBe(false);
    expect(Date.parse(answer.json.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);
  });

  test('an admin grant opens a premium video; revoking closes it', async () => {
    const videoId = await readyVideo({ access: 'premium' });
    const play = () => call('POST /api/videos/{videoId}/playback', { token: token.viewer(), path: { videoId } });
    expect((await play()).statusCode).toBe(403);
    const path = { userId: 'viewer-1', entitlementId: 'premium' };
    expect((await call('PUT /api/admin/users/{userId}/entitlements/{entitlementId}', { token: token.admin(), path, body: { expiresAt: later } })).statusCode).toBe(200);
    expect((await play()).statusCode).toBe(200);
    expect((await call('GET /api/me', { token: token.viewer() })).json).toEqual({ userId: 'viewer-1', groups: [], entitlements: [{ id: 'premium', expiresAt: later }] });
    expect((await call('DELETE /api/admin/users/{userId}/entitlements/{entitlementId}', { token: token.admin(), path })).statusCode).toBe(204);
    expect((await play()).statusCode).toBe(403);
    expect((await call('DELETE /api/admin/users/{userId}/entitlements/{entitlementId}', { token: token.admin(), path })).statusCode).toBe(204);
  });
});

describe('MP4 downloads', () => {
  const later = new Date(Date.now() + 30 * 86400_000).toISOString();
  const earlier = new Date(Date.now() - 86400_000).toISOString();
  const trustedKeys = new Map([['KTESTKEYPAIR', signingKey.publicKey]]);
  const download = (videoId: string, callerToken?: string) => call('POST /api/videos/{videoId}/download', { token: callerToken, path: { videoId } });
  /** The download URL's signature and policy, applied to another URL. */
  const sameSignature = (signedUrl: string, path: string) => `https://media.example.com${path}${new URL(signedUrl).search}`;
  const allowed = (url: string, now = new Date()) => verifySignedRequest({ url, cookies: {}, now, trustedKeys }).allowed;

  test('the owner gets a short-lived signed URL for exactly the video\'s MP4, not to be cached', async () => {
    const videoId = await readyVideo({ download: true });
    const answer = await download(videoId, token.creatorA());
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.cookies).toBeUndefined();
    const url = new URL(answer.json.downloadUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`https://media.example.com/videos/${videoId}/download.mp4`);
    expect([...url.searchParams.keys()].sort()).toEqual(['Expires', 'Key-Pair-Id', 'Signature']);
    expect(url.searchParams.get('Key-Pair-Id')).toBe('KTESTKEYPAIR');
    // Short-lived: it ends with a playback session's lifetime (300 s here), and says when.
    const expires = Number(url.searchParams.get('Expires')) * 1000;
    expect(expires - Date.now()).toBeGreaterThan(0);
    expect(expires - Date.now()).toBeLessThanOrEqual(300_000);
    expect(Date.parse(answer.json.expiresAt)).toBe(expires);

    // CloudFront's own check, independent of the signer library, with the test key.
    expect(verifySignedRequest({ url: answer.json.downloadUrl, cookies: {}, now: new Date(), trustedKeys })).toEqual({ allowed: true, keyPairId: 'KTESTKEYPAIR' });
    expect(allowed(answer.json.downloadUrl, new Date(expires + 1000))).toBe(false);
    expect(verifySignedRequest({ url: answer.json.downloadUrl, cookies: {}, now: new Date(), trustedKeys: new Map([['KTESTKEYPAIR', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey]]) }).allowed).toBe(false);
  });

  test('the URL\'s policy covers that one file and nothing else', async () => {
    const videoId = await readyVideo({ download: true });
    const other = await readyVideo({ download: true });
    const signed = (await download(videoId, token.creatorA())).json.downloadUrl;
    expect(allowed(signed)).toBe(true);
    for (const path of [
      `/videos/${videoId}/master.m3u8`,
      `/videos/${videoId}/master_1280x720.m3u8`,
      `/videos/${videoId}/download.mp4x`,
      `/videos/${videoId}/`,
      `/videos/${other}/download.mp4`,
      `/posters/${videoId}/poster.0000000.jpg`,
    ]) {
      expect([path, allowed(sameSignature(signed, path))]).toEqual([path, false]);
    }
    expect(allowed(`http://media.example.com/videos/${videoId}/download.mp4${new URL(signed).search}`)).toBe(false);
    expect(allowed(`https://elsewhere.example.com/videos/${videoId}/download.mp4${new URL(signed).search}`)).toBe(false);
  });

  // The same rules as playback: the buyer bought this very video.
  const callers: Record<string, () => string | undefined> = {
    anonymous: () => undefined,
    viewer: token.viewer,
    premiumViewer: token.premiumViewer,
    lapsedPremium: token.lapsed,
    buyer: token.buyer,
    owner: token.creatorA,
    otherCreator: token.creatorB,
    admin: token.admin,
  };
  const matrix: Record<string, Record<string, number>> = {
    public: { anonymous: 200, viewer: 200, premiumViewer: 200, lapsedPremium: 200, buyer: 200, owner: 200, otherCreator: 200, admin: 200 },
    premium: { anonymous: 401, viewer: 403, premiumViewer: 200, lapsedPremium: 403, buyer: 200, owner: 200, otherCreator: 403, admin: 200 },
    purchase: { anonymous: 401, viewer: 403, premiumViewer: 403, lapsedPremium: 403, buyer: 200, owner: 200, otherCreator: 403, admin: 200 },
  };

  test.each(Object.keys(matrix))('a published %s video: who may download it is who may play it', async (access) => {
    await entitlements.grant({ userId: 'viewer-premium', entitlementId: 'premium', expiresAt: later, grantedAt: earlier, grantedBy: 'admin:a' });
    await entitlements.grant({ userId: 'viewer-lapsed', entitlementId: 'premium', expiresAt: earlier, grantedAt: earlier, grantedBy: 'admin:a' });
    const videoId = await readyVideo({ access, download: true });
    await entitlements.grant({ userId: 'viewer-buyer', entitlementId: `video#${videoId}`, grantedAt: earlier, grantedBy: 'stripe:evt_1' });
    const downloads: Record<string, number> = {};
    const playbacks: Record<string, number> = {};
    for (const [name, make] of Object.entries(callers)) {
      const answer = await download(videoId, make());
      downloads[name] = answer.statusCode;
      playbacks[name] = (await call('POST /api/videos/{videoId}/playback', { token: make(), path: { videoId } })).statusCode;
      if (answer.statusCode === 200) {
        expect(allowed(answer.json.downloadUrl)).toBe(true);
      } else {
        expect(answer.json.downloadUrl).toBeUndefined();
        expect(answer.json.error.code).toBe({ 401: 'sign-in-required', 403: 'not-entitled' }[answer.statusCode]);
      }
    }
    expect(downloads).toEqual(matrix[access]);
    expect(downloads).toEqual(playbacks);
  });

  test('an unpublished video downloads for its owner and admins only; for anyone else it does not exist', async () => {
    const videoId = await readyVideo({ publish: false, download: true });
    expect((await download(videoId, token.creatorA())).statusCode).toBe(200);
    expect((await download(videoId, token.admin())).statusCode).toBe(200);
    const missing = await download('no-such-video', token.viewer());
    expect(missing).toMatchObject({ statusCode: 404, json: { error: { code: 'not-found' } } });
    expect(await download(videoId, token.viewer())).toMatchObject({ statusCode: 404, json: missing.json });
    expect(await download(videoId)).toMatchObject({ statusCode: 404, json: missing.json });
    expect((await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(204);
    expect((await download(videoId, token.creatorA())).statusCode).toBe(404);
  });

  test('a video the pipeline made no download for answers 404, even to its owner', async () => {
    const videoId = await readyVideo();
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(200);
    expect(await download(videoId, token.creatorA())).toMatchObject({ statusCode: 404, json: { error: { code: 'no-download', message: expect.any(String) } } });
    expect(await download(videoId)).toMatchObject({ statusCode: 404, json: { error: { code: 'no-download' } } });
  });

  test('a draft has no download', async () => {
    const videoId = await createDraft();
    expect((await download(videoId, token.creatorA())).statusCode).toBe(404);
  });

  test('a download key outside the video\'s own folder is never signed', async () => {
    for (const key of [() => 'videos/someone-else/download.mp4', (id: string) => `videos/${id}/../other/download.mp4`, (id: string) => `videos/${id}/*`, (id: string) => `posters/${id}/download.mp4`]) {
      const videoId = await readyVideo({ download: key });
      expect([key(videoId), (await download(videoId, token.creatorA())).statusCode]).toEqual([key(videoId), 404]);
    }
  });
});

describe('catalog listing', () => {
  test('published videos page newest first with an opaque cursor; drafts and others\' unpublished videos never show', async () => {
    const published: string[] = [];
    for (let i = 0; i < 5; i++) {
      published.push(await readyVideo({ creator: i % 2 === 0 ? token.creatorA() : token.creatorB() }));
    }
    await readyVideo({ publish: false });
    await createDraft();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('GET /api/videos', { query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.statusCode).toBe(200);
      expect(page.json.videos.length).toBeLessThanOrEqual(2);
      for (const video of page.json.videos) {
        expect(Object.keys(video).sort()).toEqual(['access', 'description', 'durationSeconds', 'id', 'posterUrl', 'publishedAt', 'title']);
      }
      seen.push(...page.json.videos.map((v: any) => v.id));
      cursor = page.json.cursor;
    } while (cursor);
    expect(seen).toEqual([...published].reverse());
  });

  test('a creator lists their own videos in every state but deleted', async () => {
    await createDraft(token.creatorA(), 'public', 'one');
    await readyVideo();
    await createDraft(token.creatorB(), 'public', 'not mine');
    const mine = await call('GET /api/me/videos', { token: token.creatorA() });
    expect(mine.json.videos.map((v: any) => v.state).sort()).toEqual(['DRAFT', 'PUBLISHED']);
  });
});
