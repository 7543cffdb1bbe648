import { createCipheriv, generateKeyPairSync } from 'node:crypto';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { averageColour, BLUE, GREEN, quadrantsJpeg, RED, sameColour, WHITE } from './jpeg-images';
import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { parseCookieHeader, verifySignedRequest } from '../../sandbox/cloudfront/signed-requests';
import { startIdentity, Identity } from '../../sandbox/identity/identity-server';
import { StripeStandIn } from '../../sandbox/stripe/stripe-stand-in';
import { CaptionsTranscribedDetail, OUTPUT_LAYOUT, TranscodeStatusDetail } from '../../src/contracts/transcode-status';
import { MediaSigner } from '../../src/delivery/media-signer';
import { API_ROUTES } from '../../src/entitlement/api-routes';
import { Authenticator } from '../../src/entitlement/auth.lambda-shared';
import { putCaptionTrack } from '../../src/entitlement/caption-tracks.lambda-shared';
import { Catalog } from '../../src/entitlement/catalog.lambda-shared';
import { EntitlementStore } from '../../src/entitlement/entitlements.lambda-shared';
import { HttpResult } from '../../src/entitlement/http.lambda-shared';
import { ApiDependencies, handleApiRequest, HANDLED_ROUTES } from '../../src/entitlement/routes.lambda-shared';
import { CATALOG_INDEXES, ENTITLEMENT_INDEXES } from '../../src/entitlement/schema';
import { consumeCaptionsTranscribed, consumeTranscodeStatus } from '../../src/entitlement/status-consumer.lambda-shared';
import { LEASE_GRACE_SECONDS, StreamLeases } from '../../src/entitlement/stream-leases.lambda-shared';
import { StripeCheckout, StripeFailure } from '../../src/entitlement/stripe-checkout.lambda-shared';
import { handleStripeWebhook } from '../../src/entitlement/stripe-webhook.lambda-shared';
import { ContentKeys } from '../../src/transcode/content-keys.lambda-shared';
import { thumbnailsTrackKey, thumbnailsVtt } from '../../src/transcode/trick-play.lambda-shared';
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
let restoreAnswer: { outcome: string; reason?: string } = { outcome: 'restored' };
const playbackOutcomes: string[] = [];
/** The output bucket, in memory: key to body and content type. */
const mediaObjects = new Map<string, { body: Uint8Array; contentType?: string }>();
const invalidations: string[] = [];
const stripeKey = 'sk_test_routesStandInKey';
const webhookSecret = 'whsec_routesEndpoint';
let stripe: StripeStandIn;
const checkoutFailures: StripeFailure[] = [];
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
    [CATALOG_INDEXES.byState]: ['state', 'updatedAt'],
  });
  await db.createTableWithIndexes(`entitlements-${tables}`, ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });
  catalog = new Catalog(db.documents, `catalog-${tables}`);
  entitlements = new EntitlementStore(db.documents, `entitlements-${tables}`);
  retries.length = 0;
  deletions.length = 0;
  restores.length = 0;
  restoreAnswer = { outcome: 'restored' };
  playbackOutcomes.length = 0;
  checkoutFailures.length = 0;
  mediaObjects.clear();
  invalidations.length = 0;
  // Stripe is the sandbox's stand-in; its paid checkouts reach the platform's webhook handler.
  stripe = new StripeStandIn({
    secretKey: stripeKey,
    webhookSecret,
    baseUrl: 'https://stripe.stand-in.test',
    deliver: async ({ payload, headers }) => {
      await handleStripeWebhook({ entitlements, secret: async () => webhookSecret }, { routeKey: 'POST /api/webhooks/stripe', headers, body: payload });
    },
  });
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
    signer: () => signer,
    mediaFiles: {
      read: async (key, maxBytes) => mediaObjects.get(key)?.body.slice(0, maxBytes),
      write: async (key, body, contentType) => {
        mediaObjects.set(key, { body: Buffer.from(body), contentType });
      },
      remove: async (key) => {
        mediaObjects.delete(key);
      },
    },
    invalidate: async (paths) => {
      invalidations.push(...paths);
    },
    checkout: stripeCheckout(stripeKey),
    settings: {
      mediaDomain: 'media.example.com', sessionSeconds: 300, sameSite: 'Strict', appUrl: 'https://app.example.com', premium: { amount: 999, currency: 'usd', interval: 'month' },
    },
    newId: () => `video-${++ids}`,
    onPlayback: (outcome, reason) => playbackOutcomes.push(reason ? `${outcome}:${reason}` : outcome),
  };
});

/** The checkout module, its requests answered by the stand-in in process. */
function stripeCheckout(key: string): StripeCheckout {
  return new StripeCheckout({
    secretKey: async () => key,
    onFailure: (failure) => checkoutFailures.push(failure),
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const answer = await stripe.handle({
        method: init?.method ?? 'GET', url: `${url.pathname}${url.search}`, headers: init?.headers as Record<string, string>, body: String(init?.body ?? ''),
      });
      return new Response(answer!.body, { status: answer!.statusCode, headers: answer!.headers });
    },
  });
}

/** The buyer pays on the stand-in's page; answers where the page sends them. */
async function payCheckout(checkoutUrl: string): Promise<string> {
  const answer = await stripe.handle({ method: 'POST', url: `${new URL(checkoutUrl).pathname}/pay`, headers: {}, body: '' });
  expect(answer!.statusCode).toBe(303);
  return answer!.headers.location;
}

interface Call {
  token?: string;
  path?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  contentType?: string;
  query?: Record<string, string>;
  /** `name=value` pairs, as API Gateway passes the Cookie header. */
  cookies?: string[];
  /** Further request headers, lower case. */
  headers?: Record<string, string>;
  /** The address API Gateway saw the request come from. */
  sourceIp?: string;
}

async function call(routeKey: string, options: Call = {}): Promise<HttpResult & { json: any }> {
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const result = await handleApiRequest(deps, {
    routeKey,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json' } : {}),
      ...options.headers,
    },
    pathParameters: options.path,
    queryStringParameters: options.query,
    body,
    cookies: options.cookies,
    requestContext: options.sourceIp ? { http: { sourceIp: options.sourceIp } } : undefined,
  });
  return { ...result, json: result.body && result.headers['content-type']?.startsWith('application/json') ? JSON.parse(result.body) : undefined };
}

async function createDraft(creator = token.creatorA(), access = 'public', title = 'A film', price?: unknown): Promise<string> {
  const created = await call('POST /api/videos', { token: creator, body: { title, access, ...(price ? { price } : {}) } });
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
  readonly price?: { amount: number; currency: string };
  readonly publish?: boolean;
  /** The pipeline also made the MP4 download: at the layout's key, or at the key given. */
  readonly download?: boolean | ((videoId: string) => string);
}

/** A video taken through upload and transcode to READY (and PUBLISHED when asked). */
async function readyVideo(options: ReadyVideoOptions = {}): Promise<string> {
  const creator = options.creator ?? token.creatorA();
  const videoId = await createDraft(creator, options.access ?? 'public', 'A film', options.price ?? (options.access === 'purchase' ? { amount: 499, currency: 'usd' } : undefined));
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
    // Its files are handed to the pipeline to remove; the CDN forgets its copies once they are gone, not before.
    expect(deletions).toEqual([videoId]);
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
        expect(Object.keys(video).sort()).toEqual(['access', 'captions', 'description', 'durationSeconds', 'id', 'posterUrl', 'publishedAt', 'title']);
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

describe('prices', () => {
  test('a creator sets a price when creating or changing a video; every view shows it, and null removes it', async () => {
    const videoId = await createDraft(token.creatorA(), 'purchase', 'Priced', { amount: 499, currency: 'usd' });
    expect((await call('GET /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).json.price).toEqual({ amount: 499, currency: 'usd' });
    const changed = await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId }, body: { price: { amount: 300, currency: 'gbp' } } });
    expect(changed).toMatchObject({ statusCode: 200, json: { price: { amount: 300, currency: 'gbp' } } });
    const removed = await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId }, body: { price: null } });
    expect(removed.statusCode).toBe(200);
    expect(removed.json.price).toBeUndefined();
    expect((await catalog.get(videoId))!.price).toBeUndefined();
  });

  test('a published video\'s public view shows its price', async () => {
    const videoId = await readyVideo({ access: 'purchase', price: { amount: 1200, currency: 'jpy' } });
    const listed = (await call('GET /api/videos')).json.videos.find((v: any) => v.id === videoId);
    expect(listed.price).toEqual({ amount: 1200, currency: 'jpy' });
    expect((await call('GET /api/videos/{videoId}', { path: { videoId } })).json.price).toEqual({ amount: 1200, currency: 'jpy' });
  });

  test.each<[string, unknown]>([
    ['49 cents, under Stripe\'s minimum', { amount: 49, currency: 'usd' }],
    ['29 pence, under Stripe\'s minimum', { amount: 29, currency: 'gbp' }],
    ['49 yen, under Stripe\'s minimum', { amount: 49, currency: 'jpy' }],
    ['more than eight digits', { amount: 100_000_000, currency: 'usd' }],
    ['a fraction of a cent', { amount: 99.5, currency: 'usd' }],
    ['an amount as text', { amount: '999', currency: 'usd' }],
    ['a currency in capitals', { amount: 999, currency: 'USD' }],
    ['an unknown currency', { amount: 999, currency: 'xxx' }],
    ['no currency', { amount: 999 }],
    ['an unknown field', { amount: 999, currency: 'usd', tax: 0 }],
    ['a number, not an object', 999],
  ])('a price of %s is a 400 and changes nothing', async (_name, price) => {
    const created = await call('POST /api/videos', { token: token.creatorA(), body: { title: 't', access: 'purchase', price } });
    expect(created).toMatchObject({ statusCode: 400, json: { error: { code: 'invalid-price', message: expect.stringMatching(/^price /) } } });
    expect((await call('GET /api/me/videos', { token: token.creatorA() })).json.videos).toEqual([]);
    const videoId = await createDraft(token.creatorA(), 'purchase', 't', { amount: 500, currency: 'usd' });
    const before = await catalog.get(videoId);
    expect((await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId }, body: { price } })).statusCode).toBe(400);
    expect(await catalog.get(videoId)).toEqual(before);
  });

  test('Stripe\'s minimum and maximum themselves are accepted', async () => {
    for (const price of [{ amount: 50, currency: 'usd' }, { amount: 30, currency: 'gbp' }, { amount: 99_999_999, currency: 'eur' }]) {
      expect((await call('POST /api/videos', { token: token.creatorA(), body: { title: 't', price } })).statusCode).toBe(201);
    }
  });

  test('a video for purchase is published only with a price: 409 price-required, and it stays READY', async () => {
    const videoId = await readyVideo({ access: 'public', publish: false });
    await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId }, body: { access: 'purchase' } });
    const refused = await call('POST /api/videos/{videoId}/publish', { token: token.creatorA(), path: { videoId } });
    expect(refused).toMatchObject({ statusCode: 409, json: { error: { code: 'price-required', message: expect.stringContaining('price') } } });
    expect((await catalog.get(videoId))!.state).toBe('READY');
    await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId }, body: { price: { amount: 999, currency: 'usd' } } });
    expect((await call('POST /api/videos/{videoId}/publish', { token: token.creatorA(), path: { videoId } })).statusCode).toBe(200);
  });

  test('a published video for purchase keeps a price: removing it, or selling an unpriced one, is a 409 that changes nothing', async () => {
    const sold = await readyVideo({ access: 'purchase' });
    const before = await catalog.get(sold);
    expect(await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId: sold }, body: { price: null } }))
      .toMatchObject({ statusCode: 409, json: { error: { code: 'price-required' } } });
    expect(await catalog.get(sold)).toEqual(before);
    const free = await readyVideo({ access: 'public' });
    const freeBefore = await catalog.get(free);
    expect(await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId: free }, body: { access: 'purchase' } }))
      .toMatchObject({ statusCode: 409, json: { error: { code: 'price-required' } } });
    expect(await catalog.get(free)).toEqual(freeBefore);
    // With a price in the same change it is for sale at once.
    expect((await call('PATCH /api/videos/{videoId}', { token: token.creatorA(), path: { videoId: free }, body: { access: 'purchase', price: { amount: 200, currency: 'eur' } } })).statusCode).toBe(200);
  });
});

describe('offers', () => {
  test('the premium price and whether checkout works, to anyone', async () => {
    expect(await call('GET /api/offers')).toMatchObject({ statusCode: 200, json: { premium: { amount: 999, currency: 'usd', interval: 'month' }, checkout: true } });
    deps = { ...deps, checkout: undefined, settings: { ...deps.settings, premium: undefined } };
    expect((await call('GET /api/offers', { token: token.viewer() })).json).toEqual({ premium: null, checkout: false });
  });
});

describe('resuming an upload', () => {
  const upload = (videoId: string, callerToken = token.creatorA()) => call('GET /api/videos/{videoId}/upload', { token: callerToken, path: { videoId } });

  test('a multipart upload answers its layout and the parts S3 holds', async () => {
    const videoId = await createDraft();
    const issued = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 200 * MEBIBYTE, contentType: 'video/mp4' } });
    s3Mock.on(ListPartsCommand).resolves({
      Parts: [{ PartNumber: 1, Size: 16 * MEBIBYTE, ETag: '"a"' }, { PartNumber: 2, Size: 16 * MEBIBYTE, ETag: '"b"' }], IsTruncated: false,
    });
    const answer = await upload(videoId).finally(() => s3Mock.on(ListPartsCommand).resolves({ Parts: [], IsTruncated: false }));
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(answer.json).toEqual({
      kind: 'multipart',
      uploadId: issued.json.uploadId,
      size: 200 * MEBIBYTE,
      contentType: 'video/mp4',
      partSize: 16 * MEBIBYTE,
      partCount: 13,
      uploadedParts: [{ partNumber: 1, size: 16 * MEBIBYTE, etag: '"a"' }, { partNumber: 2, size: 16 * MEBIBYTE, etag: '"b"' }],
    });
    expect(s3Mock.commandCalls(ListPartsCommand).at(-1)!.args[0].input).toMatchObject({ Key: issued.json.key, UploadId: 'mpu-1' });
  });

  test('a single POST upload answers what it is, to be sent again whole', async () => {
    const videoId = await createDraft();
    const issued = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    expect((await upload(videoId)).json).toEqual({ kind: 'post', uploadId: issued.json.uploadId, size: 1000, contentType: 'video/mp4' });
  });

  test('no upload in progress is 409 no-upload; another creator gets 404; a viewer 403', async () => {
    const videoId = await createDraft();
    expect(await upload(videoId)).toMatchObject({ statusCode: 409, json: { error: { code: 'no-upload' } } });
    const ready = await readyVideo({ publish: false });
    expect(await upload(ready)).toMatchObject({ statusCode: 409, json: { error: { code: 'no-upload' } } });
    await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    expect(await upload(videoId, token.creatorB())).toMatchObject({ statusCode: 404, json: { error: { code: 'not-found' } } });
    expect((await upload(videoId, token.viewer())).statusCode).toBe(403);
    expect((await call('GET /api/videos/{videoId}/upload', { path: { videoId } })).statusCode).toBe(401);
  });
});

describe('buying a video', () => {
  const checkout = (videoId: string, callerToken?: string) => call('POST /api/videos/{videoId}/checkout', { token: callerToken, path: { videoId } });

  test('a viewer buys a published video: a payment session for them and the video; paying entitles them, and a second checkout is 409', async () => {
    const videoId = await readyVideo({ access: 'purchase', price: { amount: 799, currency: 'eur' } });
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.viewer(), path: { videoId } })).statusCode).toBe(403);
    const answer = await checkout(videoId, token.viewer());
    expect(answer.statusCode).toBe(201);
    expect(answer.json).toEqual({ checkoutUrl: `https://stripe.stand-in.test/sandbox/stripe/checkout/${answer.json.sessionId}`, sessionId: answer.json.sessionId });
    const stored = stripe.sessions.get(answer.json.sessionId)!;
    expect(stored.session).toMatchObject({
      mode: 'payment',
      client_reference_id: 'viewer-1',
      metadata: { videoId },
      amount_total: 799,
      currency: 'eur',
      success_url: `https://app.example.com/#/watch/${videoId}?checkout=success`,
      cancel_url: `https://app.example.com/#/watch/${videoId}?checkout=cancelled`,
    });
    expect(stored.lineItems[0].name).toBe('A film');
    // A double click is the same session.
    expect((await checkout(videoId, token.viewer())).json.sessionId).toBe(answer.json.sessionId);
    expect(await payCheckout(answer.json.checkoutUrl)).toBe(`https://app.example.com/#/watch/${videoId}?checkout=success`);
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.viewer(), path: { videoId } })).statusCode).toBe(200);
    expect(await checkout(videoId, token.viewer())).toMatchObject({ statusCode: 409, json: { error: { code: 'already-entitled' } } });
  });

  test('whoever may watch it already gets 409 already-entitled: its owner, an admin, anyone for a public video, a buyer', async () => {
    const sold = await readyVideo({ access: 'purchase' });
    const free = await readyVideo({ access: 'public' });
    await entitlements.grant({ userId: 'viewer-buyer', entitlementId: `video#${sold}`, grantedAt: new Date().toISOString(), grantedBy: 'admin:a' });
    for (const [videoId, callerToken] of [[sold, token.creatorA()], [sold, token.admin()], [free, token.viewer()], [sold, token.buyer()]]) {
      expect(await checkout(videoId, callerToken)).toMatchObject({ statusCode: 409, json: { error: { code: 'already-entitled' } } });
    }
    expect(stripe.sessions.size).toBe(0);
  });

  test('a premium video is not sold on its own: 409 not-for-sale', async () => {
    const videoId = await readyVideo({ access: 'premium' });
    expect(await checkout(videoId, token.viewer())).toMatchObject({ statusCode: 409, json: { error: { code: 'not-for-sale', message: expect.stringContaining('premium') } } });
    expect(stripe.sessions.size).toBe(0);
  });

  test('an unpublished, deleted or missing video is 404 to a viewer; without a token 401', async () => {
    const unpublished = await readyVideo({ access: 'purchase', publish: false });
    const deleted = await readyVideo({ access: 'purchase' });
    await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId: deleted } });
    for (const videoId of [unpublished, deleted, 'no-such-video']) {
      expect(await checkout(videoId, token.viewer())).toMatchObject({ statusCode: 404, json: { error: { code: 'not-found' } } });
    }
    expect(await checkout(unpublished)).toMatchObject({ statusCode: 401, json: { error: { code: 'sign-in-required' } } });
    expect(stripe.sessions.size).toBe(0);
  });

  test('without Stripe, checkout is 503 checkout-unavailable', async () => {
    const videoId = await readyVideo({ access: 'purchase' });
    deps = { ...deps, checkout: undefined };
    expect(await checkout(videoId, token.viewer())).toMatchObject({ statusCode: 503, json: { error: { code: 'checkout-unavailable' } } });
  });

  test('Stripe refusing is a 502 with a message that tells nothing of Stripe\'s answer or the key', async () => {
    const videoId = await readyVideo({ access: 'purchase' });
    deps = { ...deps, checkout: stripeCheckout('sk_test_revokedKey7777') };
    const answer = await checkout(videoId, token.viewer());
    expect(answer).toMatchObject({ statusCode: 502, json: { error: { code: 'payment-provider-error' } } });
    expect(answer.body).not.toMatch(/sk_test|7777|Invalid API Key/);
    expect(checkoutFailures).toEqual([expect.objectContaining({ status: 401 })]);
    expect(JSON.stringify(checkoutFailures)).not.toContain('revokedKey');
    expect(await entitlements.list('viewer-1')).toEqual([]);
  });
});

describe('buying premium', () => {
  const checkout = (callerToken?: string) => call('POST /api/me/premium/checkout', { token: callerToken });

  test('a subscription session at the premium price; paying grants premium, which opens premium videos; a second checkout is 409', async () => {
    const videoId = await readyVideo({ access: 'premium' });
    const answer = await checkout(token.viewer());
    expect(answer.statusCode).toBe(201);
    const stored = stripe.sessions.get(answer.json.sessionId)!;
    expect(stored.session).toMatchObject({
      mode: 'subscription',
      client_reference_id: 'viewer-1',
      amount_total: 999,
      currency: 'usd',
      success_url: 'https://app.example.com/#/?checkout=success',
      cancel_url: 'https://app.example.com/#/?checkout=cancelled',
    });
    expect(stored.lineItems[0].recurring).toEqual({ interval: 'month' });
    expect(stored.subscriptionMetadata).toEqual({ userId: 'viewer-1' });
    await payCheckout(answer.json.checkoutUrl);
    expect((await call('POST /api/videos/{videoId}/playback', { token: token.viewer(), path: { videoId } })).statusCode).toBe(200);
    expect((await call('GET /api/me', { token: token.viewer() })).json.entitlements).toEqual([{ id: 'premium', expiresAt: expect.any(String) }]);
    expect(await checkout(token.viewer())).toMatchObject({ statusCode: 409, json: { error: { code: 'already-entitled' } } });
  });

  test('lapsed premium may be bought again; without a premium price it is not for sale; without Stripe 503; without a token 401', async () => {
    await entitlements.grant({ userId: 'viewer-lapsed', entitlementId: 'premium', expiresAt: new Date(Date.now() - 1000).toISOString(), grantedAt: '2020-01-01T00:00:00Z', grantedBy: 'admin:a' });
    expect((await checkout(token.lapsed())).statusCode).toBe(201);
    expect(await checkout()).toMatchObject({ statusCode: 401 });
    deps = { ...deps, settings: { ...deps.settings, premium: undefined } };
    expect(await checkout(token.viewer())).toMatchObject({ statusCode: 409, json: { error: { code: 'not-for-sale' } } });
    deps = { ...deps, checkout: undefined, settings: { ...deps.settings, premium: { amount: 500, currency: 'eur', interval: 'year' } } };
    expect(await checkout(token.viewer())).toMatchObject({ statusCode: 503, json: { error: { code: 'checkout-unavailable' } } });
    expect(stripe.sessions.size).toBe(1);
  });
});

describe('admin views', () => {
  test('a user\'s entitlements, with who granted them and when', async () => {
    const later = new Date(Date.now() + 86400_000).toISOString();
    await entitlements.grant({ userId: 'viewer-1', entitlementId: 'premium', expiresAt: later, grantedAt: '2030-01-01T00:00:00.000Z', grantedBy: 'admin:admin-1' });
    await entitlements.grant({ userId: 'viewer-1', entitlementId: 'video#v-9', grantedAt: '2030-01-02T00:00:00.000Z', grantedBy: 'stripe:evt_1', paymentRef: 'pi_1' });
    const answer = await call('GET /api/admin/users/{userId}', { token: token.admin(), path: { userId: 'viewer-1' } });
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(answer.json).toEqual({
      userId: 'viewer-1',
      entitlements: [
        { id: 'premium', expiresAt: later, grantedBy: 'admin:admin-1', grantedAt: '2030-01-01T00:00:00.000Z' },
        { id: 'v-9', grantedBy: 'stripe:evt_1', grantedAt: '2030-01-02T00:00:00.000Z' },
      ],
    });
    expect((await call('GET /api/admin/users/{userId}', { token: token.admin(), path: { userId: 'nobody' } })).json).toEqual({ userId: 'nobody', entitlements: [] });
  });

  test('admin views need the admins group; a malformed user id is a 400', async () => {
    for (const routeKey of ['GET /api/admin/users/{userId}', 'GET /api/admin/videos']) {
      expect(await call(routeKey, { token: token.creatorA(), path: { userId: 'viewer-1' } })).toMatchObject({ statusCode: 403, json: { error: { code: 'admins-only' } } });
      expect(await call(routeKey, { path: { userId: 'viewer-1' } })).toMatchObject({ statusCode: 401 });
    }
    expect(await call('GET /api/admin/users/{userId}', { token: token.admin(), path: { userId: 'stripe-event#evt_1' } }))
      .toMatchObject({ statusCode: 400, json: { error: { code: 'invalid-field' } } });
  });

  async function everyPage(query: Record<string, string>): Promise<any[]> {
    const seen: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await call('GET /api/admin/videos', { token: token.admin(), query: { ...query, ...(cursor ? { cursor } : {}) } });
      expect(page.statusCode).toBe(200);
      expect(page.json.videos.length).toBeLessThanOrEqual(Number(query.limit ?? 20));
      seen.push(...page.json.videos);
      cursor = page.json.cursor;
      pages += 1;
    } while (cursor && pages < 50);
    return seen;
  }

  test('videos of every creator in one state, or in every state but deleted, most recently updated first, page by page', async () => {
    const drafts = [await createDraft(token.creatorA()), await createDraft(token.creatorB())];
    const published = [await readyVideo(), await readyVideo({ creator: token.creatorB() })];
    const ready = [await readyVideo({ publish: false })];
    const failedVideo = await createDraft();
    const failedUpload = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId: failedVideo }, body: { size: 1000, contentType: 'video/mp4' } });
    await consumeTranscodeStatus(catalog, { detail: status(failedVideo, failedUpload.json.uploadId, 'ERROR') }, new Date());
    const deleted = await createDraft();
    await call('DELETE /api/videos/{videoId}', { token: token.creatorA(), path: { videoId: deleted } });

    const byState = await everyPage({ state: 'PUBLISHED', limit: '1' });
    expect(byState.map((v) => v.id).sort()).toEqual([...published].sort());
    expect(byState[0]).toMatchObject({ state: 'PUBLISHED', creatorId: expect.any(String), renditions: expect.any(Array) });
    expect((await everyPage({ state: 'DRAFT' })).map((v) => v.id).sort()).toEqual([...drafts].sort());
    expect((await everyPage({ state: 'DELETED' })).map((v) => v.id)).toEqual([deleted]);

    for (const limit of ['1', '2', '3', '50']) {
      const all = await everyPage({ limit });
      expect([limit, all.map((v) => v.id).sort()]).toEqual([limit, [...drafts, ...published, ...ready, failedVideo].sort()]);
      const times = all.map((v) => v.updatedAt);
      expect(times).toEqual([...times].sort().reverse());
    }
  });

  test.each<[string, Record<string, string>]>([
    ['an unknown state', { state: 'ARCHIVED' }],
    ['a state in lower case', { state: 'draft' }],
    ['a limit of 0', { limit: '0' }],
    ['a forged cursor', { cursor: Buffer.from(JSON.stringify({ PUBLISHED: { videoId: 'x', state: 'DRAFT', updatedAt: 'y' } })).toString('base64url') }],
    ['a cursor of one state used for every state', { cursor: Buffer.from(JSON.stringify({ videoId: 'x', state: 'DRAFT', updatedAt: 'y' })).toString('base64url') }],
    ['a cursor of every state used for one', { state: 'DRAFT', cursor: Buffer.from(JSON.stringify({ DRAFT: null })).toString('base64url') }],
  ])('listing with %s is a 400', async (_name, query) => {
    expect(await call('GET /api/admin/videos', { token: token.admin(), query })).toMatchObject({ statusCode: 400, json: { error: { code: expect.stringMatching(/^invalid-/) } } });
  });
});

describe('caption tracks', () => {
  const MASTER = [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    '#EXT-X-STREAM-INF:BANDWIDTH=3628000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720',
    'master_1280x720.m3u8',
    '',
  ].join('\n');
  const VTT = 'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello\n';
  const SRT = '1\n00:00:01,000 --> 00:00:02,500\nBonjour\n';

  /** A transport stream segment whose first PES packet has the PTS given. */
  function segmentStartingAt(pts: number): Uint8Array {
    const packet = new Uint8Array(188).fill(0xff);
    const hi = Math.floor(pts / 2 ** 30);
    const mid = Math.floor(pts / 2 ** 15) % 2 ** 15;
    const lo = pts % 2 ** 15;
    packet.set([0x47, 0x41, 0x00, 0x10, 0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5,
      0x21 + hi * 2, Math.floor(mid / 128), (mid % 128) * 2 + 1, Math.floor(lo / 128), (lo % 128) * 2 + 1]);
    return packet;
  }

  /** A video whose renditions the pipeline wrote: master, variant and first segment. */
  async function transcoded(options: ReadyVideoOptions = {}): Promise<string> {
    const videoId = await readyVideo(options);
    mediaObjects.set(`videos/${videoId}/master.m3u8`, { body: Buffer.from(MASTER) });
    mediaObjects.set(`videos/${videoId}/master_1280x720.m3u8`, { body: Buffer.from('#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nmaster_1280x720_00001.ts\n#EXT-X-ENDLIST\n') });
    mediaObjects.set(`videos/${videoId}/master_1280x720_00001.ts`, { body: segmentStartingAt(183_000) });
    return videoId;
  }

  const put = (videoId: string, language: string, body: unknown, callerToken = token.creatorA()) =>
    call('PUT /api/videos/{videoId}/captions/{language}', { token: callerToken, path: { videoId, language }, body });
  const remove = (videoId: string, language: string, callerToken = token.creatorA()) =>
    call('DELETE /api/videos/{videoId}/captions/{language}', { token: callerToken, path: { videoId, language } });
  const file = (key: string) => Buffer.from(mediaObjects.get(key)?.body ?? []).toString('utf8');

  test('a new upload of a captioned video drops its tracks: its new master playlist does not list them', async () => {
    const videoId = await transcoded({ publish: false });
    expect((await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
    expect((await catalog.get(videoId))!.captions).toHaveLength(1);
    const again = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    expect(again.statusCode).toBe(201);
    expect((await catalog.get(videoId))!.captions).toBeUndefined();
  });

  test.each([
    ['its IV in the playlist', (sequence: number) => `#EXT-X-KEY:METHOD=AES-128,URI="https://media.example.com/key",IV=0x${sequence.toString(16).padStart(32, '0')}\n`],
    ['the IV left to the media sequence number', () => '#EXT-X-KEY:METHOD=AES-128,URI="https://media.example.com/key"\n'],
  ])('an encrypted video\'s track is timed from its first segment decrypted with the video\'s key (%s)', async (_name, keyTag) => {
    await db.createTable(`keys-${tables}`, 'videoId');
    const keys = new ContentKeys(db.documents, `keys-${tables}`);
    const videoId = await transcoded();
    const key = await keys.keyFor(videoId, new Date());
    const sequence = 7;
    const iv = Buffer.from(sequence.toString(16).padStart(32, '0'), 'hex');
    const cipher = createCipheriv('aes-128-cbc', key, iv);
    mediaObjects.set(`videos/${videoId}/master_1280x720_00001.ts`, { body: Buffer.concat([cipher.update(segmentStartingAt(183_000)), cipher.final()]) });
    mediaObjects.set(`videos/${videoId}/master_1280x720.m3u8`, {
      body: Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:${sequence}\n${keyTag(sequence)}#EXTINF:6.0,\nmaster_1280x720_00001.ts\n#EXT-X-ENDLIST\n`),
    });
    // Without the key, the stream's start cannot be read: the track has no timestamp map rather than a wrong one.
    expect((await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
    expect(file(`videos/${videoId}/captions/en.vtt`)).not.toContain('X-TIMESTAMP-MAP');
    deps = { ...deps, contentKeys: keys };
    expect((await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
    expect(file(`videos/${videoId}/captions/en.vtt`)).toContain('X-TIMESTAMP-MAP=MPEGTS:183000,LOCAL:00:00:00.000');
  });

  test('adding English and French, then removing English, without touching the renditions', async () => {
    const videoId = await transcoded();
    const en = await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT });
    expect(en.statusCode).toBe(200);
    expect(en.json).toEqual({ language: 'en', label: 'English', cues: 1, captions: [{ language: 'en', label: 'English' }] });
    // The cue times are tied to where the segments start.
    expect(file(`videos/${videoId}/captions/en.vtt`)).toBe('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:183000,LOCAL:00:00:00.000\n\n00:00:01.000 --> 00:00:02.500\nHello\n');
    expect(mediaObjects.get(`videos/${videoId}/captions/en.vtt`)?.contentType).toBe('text/vtt; charset=utf-8');
    expect(file(`videos/${videoId}/captions/en.m3u8`)).toContain('#EXTINF:42.000,\nen.vtt\n#EXT-X-ENDLIST');
    // The master, and the track's own files (cached a day like segments), so a replaced track is not served stale.
    expect(invalidations).toEqual([`/videos/${videoId}/master.m3u8`, `/videos/${videoId}/captions/en.vtt`, `/videos/${videoId}/captions/en.m3u8`]);

    expect((await put(videoId, 'fr', { label: 'Français', format: 'srt', content: SRT })).statusCode).toBe(200);
    expect(file(`videos/${videoId}/captions/fr.vtt`)).toContain('00:00:01.000 --> 00:00:02.500\nBonjour');
    const master = file(`videos/${videoId}/master.m3u8`);
    expect(master.match(/^#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs".*$/gm)).toEqual([
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="captions/en.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Français",LANGUAGE="fr",DEFAULT=NO,AUTOSELECT=YES,URI="captions/fr.m3u8"',
    ]);
    expect(master).toContain('RESOLUTION=1280x720,SUBTITLES="subs"\nmaster_1280x720.m3u8');

    // Anyone sees the tracks of the published video.
    const listed = (await call('GET /api/videos')).json.videos.find((v: any) => v.id === videoId);
    expect(listed.captions).toEqual([{ language: 'en', label: 'English' }, { language: 'fr', label: 'Français' }]);

    // Replacing a track keeps one entry for it.
    expect((await put(videoId, 'en', { label: 'English (CC)', format: 'vtt', content: VTT })).statusCode).toBe(200);
    expect(file(`videos/${videoId}/master.m3u8`).match(/#EXT-X-MEDIA:/g)).toHaveLength(2);
    expect((await call('GET /api/videos/{videoId}', { path: { videoId } })).json.captions[0]).toEqual({ language: 'en', label: 'English (CC)' });

    expect((await remove(videoId, 'en')).statusCode).toBe(204);
    expect(mediaObjects.has(`videos/${videoId}/captions/en.vtt`)).toBe(false);
    expect(mediaObjects.has(`videos/${videoId}/captions/en.m3u8`)).toBe(false);
    const after = file(`videos/${videoId}/master.m3u8`);
    expect(after).not.toContain('LANGUAGE="en"');
    expect(after.match(/#EXT-X-MEDIA:/g)).toHaveLength(1);
    // Removing it again answers the same; removing the last track gives back the master as the pipeline wrote it.
    expect((await remove(videoId, 'en')).statusCode).toBe(204);
    expect((await remove(videoId, 'fr')).statusCode).toBe(204);
    expect(file(`videos/${videoId}/master.m3u8`)).toBe(MASTER);
    expect(mediaObjects.has(`videos/${videoId}/master_1280x720_00001.ts`)).toBe(true);
  });

  test.each([
    ['a malformed cue', { label: 'English', format: 'vtt', content: 'WEBVTT\n\n00:00:03.000 --> 00:00:01.000\nHi\n' }, 400, /ends .* before/],
    ['no cues', { label: 'English', format: 'vtt', content: 'WEBVTT\n' }, 400, /no cues/],
    ['an unknown format', { label: 'English', format: 'ass', content: VTT }, 400, /format must be one of/],
    ['no label', { format: 'vtt', content: VTT }, 400, /label must be text/],
    ['a label with quotes', { label: 'The "best"', format: 'vtt', content: VTT }, 400, /double quotes/],
    ['no content', { label: 'English', format: 'vtt' }, 400, /content is required/],
    ['content that is not text', { label: 'English', format: 'vtt', content: [1, 2] }, 400, /content must be the file's text/],
    ['an unknown field', { label: 'English', format: 'vtt', content: VTT, url: 'x' }, 400, /unknown field "url"/],
    ['a file over 1 MiB', { label: 'English', format: 'vtt', content: `WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n${'a'.repeat(1024 * 1024)}\n` }, 400, /at most 1048576 bytes/],
  ])('refuses %s with a clear message, changing nothing', async (_name, body, statusCode, message) => {
    const videoId = await transcoded();
    const before = new Map(mediaObjects);
    const answer = await put(videoId, 'en', body);
    expect(answer.statusCode).toBe(statusCode);
    expect(answer.json.error.message).toMatch(message);
    expect(mediaObjects).toEqual(before);
    expect((await call('GET /api/videos/{videoId}', { path: { videoId } })).json.captions).toEqual([]);
  });

  test('a bad language tag is a 400', async () => {
    const videoId = await transcoded();
    for (const language of ['english', 'EN', '..', 'en_US']) {
      const answer = await put(videoId, language, { label: 'English', format: 'vtt', content: VTT });
      expect(answer.statusCode).toBe(400);
      expect(answer.json.error.message).toMatch(/BCP 47/);
    }
  });

  test('the video must be READY or PUBLISHED, and the caller its owner', async () => {
    const draft = await createDraft();
    const answer = await put(draft, 'en', { label: 'English', format: 'vtt', content: VTT });
    expect(answer.statusCode).toBe(409);
    expect(answer.json.error.code).toBe('wrong-state');
    expect((await remove(draft, 'en')).statusCode).toBe(409);
    const ready = await transcoded({ publish: false });
    expect((await put(ready, 'en', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
    expect((await put(ready, 'fr', { label: 'Français', format: 'vtt', content: VTT }, token.creatorB())).statusCode).toBe(404);
    expect((await remove(ready, 'en', token.viewer())).statusCode).toBe(403);
  });

  test('labels are distinct, and a video has at most 20 tracks', async () => {
    const videoId = await transcoded();
    expect((await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
    const same = await put(videoId, 'en-GB', { label: 'English', format: 'vtt', content: VTT });
    expect(same.statusCode).toBe(409);
    expect(same.json.error.code).toBe('duplicate-label');
    for (let i = 1; i < 20; i++) {
      expect((await put(videoId, `x${String.fromCharCode(96 + i)}`, { label: `Track ${i}`, format: 'vtt', content: VTT })).statusCode).toBe(200);
    }
    const full = await put(videoId, 'de', { label: 'Deutsch', format: 'vtt', content: VTT });
    expect(full.statusCode).toBe(409);
    expect(full.json.error.code).toBe('too-many-captions');
    // Replacing one of the twenty is still fine.
    expect((await put(videoId, 'en', { label: 'English', format: 'srt', content: SRT })).statusCode).toBe(200);
  });

  test('a change that loses the race for the catalog writes no file: the winner\'s track stays as written', async () => {
    const videoId = await transcoded();
    const stale = (await catalog.get(videoId))!;
    expect((await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
    const store = { catalog, files: deps.mediaFiles!, invalidate: deps.invalidate, now: new Date() };
    await expect(putCaptionTrack(store, stale, { language: 'en', label: 'Other' }, 'WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nStale\n'))
      .rejects.toMatchObject({ statusCode: 409, code: 'conflict' });
    expect(file(`videos/${videoId}/captions/en.vtt`)).toContain('Hello');
    expect(file(`videos/${videoId}/captions/en.vtt`)).not.toContain('Stale');
  });

  test('two changes racing for the master playlist both end up in it: a master written from an older list is written again', async () => {
    const videoId = await transcoded();
    const files = deps.mediaFiles!;
    const master = `videos/${videoId}/master.m3u8`;
    // The first change's master write is held until the second change has finished, as a slow request would be.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = true;
    deps = {
      ...deps,
      mediaFiles: {
        ...files,
        write: async (key, body, contentType) => {
          if (key === master && holding) {
            holding = false;
            await held;
          }
          await files.write(key, body, contentType);
        },
      },
    };
    const english = put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT });
    // The second starts once the first has recorded its track and waits to write the master.
    while (!(await catalog.get(videoId))!.captions?.length) await new Promise((done) => setTimeout(done, 5));
    expect((await put(videoId, 'fr', { label: 'Français', format: 'srt', content: SRT })).statusCode).toBe(200);
    release();
    expect((await english).statusCode).toBe(200);
    const written = file(master);
    expect(written).toContain('NAME="English"');
    expect(written).toContain('NAME="Français"');
  });

  test('without the output bucket the routes say so', async () => {
    const videoId = await transcoded();
    deps = { ...deps, mediaFiles: undefined };
    const answer = await put(videoId, 'en', { label: 'English', format: 'vtt', content: VTT });
    expect(answer.statusCode).toBe(503);
  });

  describe('automatic captions from the pipeline', () => {
    const JOB = 'vod-0123456789ab-';
    /** What the pipeline tells, for the video's current upload unless another is named. */
    async function told(videoId: string, state: CaptionsTranscribedDetail['state'], more: Partial<CaptionsTranscribedDetail> = {}) {
      const uploadId = more.uploadId ?? (await catalog.get(videoId))!.currentUploadId!;
      const transcriptionJobName = `${JOB}${videoId}.${uploadId}.1`;
      const detail: CaptionsTranscribedDetail = {
        version: 1,
        pipelineId: 'Pipeline',
        videoId,
        uploadId,
        state,
        transcriptionJobName,
        at: new Date().toISOString(),
        ...(state === 'COMPLETE' ? { language: 'en-US', captionsKey: `videos/${videoId}/transcript/${transcriptionJobName}.vtt` } : {}),
        ...more,
      };
      const store = { catalog, files: deps.mediaFiles!, invalidate: deps.invalidate, now: new Date() };
      return consumeCaptionsTranscribed(catalog, store, { detail }, new Date());
    }
    /** Amazon Transcribe's WebVTT file for the video's current upload. */
    const transcript = async (videoId: string, body: string) => {
      const { currentUploadId } = (await catalog.get(videoId))!;
      mediaObjects.set(`videos/${videoId}/transcript/${JOB}${videoId}.${currentUploadId}.1.vtt`, { body: Buffer.from(body) });
    };
    const owner = async (videoId: string) => (await call('GET /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).json;

    test('started, then complete: a track marked automatic, listed in the master playlist, its cues timed like a creator\'s', async () => {
      const videoId = await transcoded();
      expect(await told(videoId, 'STARTED')).toBe('IN_PROGRESS');
      expect((await owner(videoId)).automaticCaptions).toMatchObject({ state: 'IN_PROGRESS' });
      await transcript(videoId, 'WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nHello there.\n');
      expect(await told(videoId, 'COMPLETE')).toBe('ADDED');
      const view = await owner(videoId);
      expect(view.automaticCaptions).toMatchObject({ state: 'ADDED', language: 'en-US' });
      expect(view.captions).toEqual([{ language: 'en-US', label: 'English (United States) (automatic)', automatic: true }]);
      expect(view.state).toBe('PUBLISHED');
      expect(file(`videos/${videoId}/captions/en-US.vtt`)).toContain('X-TIMESTAMP-MAP=MPEGTS:183000,LOCAL:00:00:00.000');
      expect(file(`videos/${videoId}/captions/en-US.vtt`)).toContain('00:00:00.500 --> 00:00:02.000\nHello there.');
      expect(file(`videos/${videoId}/master.m3u8`)).toContain('NAME="English (United States) (automatic)",LANGUAGE="en-US"');
      expect(invalidations).toContain(`/videos/${videoId}/master.m3u8`);

      // A duplicate, and a late STARTED, change nothing.
      const before = (await catalog.get(videoId))!.updatedAt;
      invalidations.length = 0;
      expect(await told(videoId, 'COMPLETE')).toBe('ignored');
      expect(await told(videoId, 'STARTED')).toBe('ignored');
      expect((await catalog.get(videoId))!.updatedAt).toBe(before);
      expect(invalidations).toEqual([]);

      // The creator's own file replaces it, and is no longer automatic.
      expect((await put(videoId, 'en-US', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
      expect((await owner(videoId)).captions).toEqual([{ language: 'en-US', label: 'English' }]);
    });

    test('a failed transcription is recorded and the video stays as it was', async () => {
      const videoId = await transcoded({ publish: false });
      const before = (await catalog.get(videoId))!.updatedAt;
      expect(await told(videoId, 'FAILED', { reason: 'The media format provided does not match the detected media format.' })).toBe('FAILED');
      // A state alone is not a change of the video: a creator's edit begun before it still goes through.
      expect((await catalog.get(videoId))!.updatedAt).toBe(before);
      const view = await owner(videoId);
      expect(view).toMatchObject({ state: 'READY', automaticCaptions: { state: 'FAILED', reason: 'The media format provided does not match the detected media format.' } });
      expect(view.captions).toEqual([]);
    });

    test('a creator\'s own track of that language stays; a transcript without cues adds nothing', async () => {
      const videoId = await transcoded();
      expect((await put(videoId, 'en-US', { label: 'English', format: 'vtt', content: VTT })).statusCode).toBe(200);
      await transcript(videoId, 'WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nHello there.\n');
      expect(await told(videoId, 'COMPLETE')).toBe('SKIPPED');
      expect((await owner(videoId)).captions).toEqual([{ language: 'en-US', label: 'English' }]);
      expect(file(`videos/${videoId}/captions/en-US.vtt`)).toContain('Hello\n');

      const silent = await transcoded();
      await transcript(silent, 'WEBVTT\n\n');
      expect(await told(silent, 'COMPLETE')).toBe('SKIPPED');
      expect((await owner(silent)).automaticCaptions.reason).toMatch(/no captions from the transcription: the file holds no cues/);
      expect((await owner(silent)).captions).toEqual([]);
    });

    test('an event of an earlier upload, a file outside the transcript folder or a missing file adds nothing', async () => {
      const videoId = await transcoded();
      expect(await told(videoId, 'COMPLETE', { uploadId: 'an-earlier-upload' })).toBe('ignored');
      expect(await told(videoId, 'COMPLETE', { captionsKey: `videos/${videoId}/captions/en.vtt` })).toBe('FAILED');
      expect((await owner(videoId)).automaticCaptions.reason).toMatch(/not in the video's transcript folder/);
      const other = await transcoded();
      expect(await told(other, 'COMPLETE')).toBe('FAILED');
      expect((await owner(other)).automaticCaptions.reason).toMatch(/is missing/);
      await expect(told(other, 'COMPLETE', { version: 2 as 1 })).rejects.toThrow('not a version 1 captions-transcribed event');
      expect((await owner(other)).captions).toEqual([]);
    });

    test('a refusal that retries cannot mend (the renditions are gone) is recorded as FAILED, not retried for ever', async () => {
      const videoId = await transcoded();
      await transcript(videoId, 'WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\nHello there.\n');
      mediaObjects.delete(`videos/${videoId}/master.m3u8`);
      expect(await told(videoId, 'COMPLETE')).toBe('FAILED');
      expect((await owner(videoId)).automaticCaptions).toMatchObject({ state: 'FAILED', reason: expect.stringContaining('renditions are not there') });
    });

    test('a new upload forgets the automatic captions of the last one', async () => {
      const videoId = await transcoded({ publish: false });
      await told(videoId, 'STARTED');
      const again = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
      expect(again.statusCode).toBe(201);
      expect((await catalog.get(videoId))!.automaticCaptions).toBeUndefined();
    });
  });
});

describe('picked posters', () => {
  /** The pipeline's tile image: 2x2 thumbnails of 320x180, red and green above, blue and white below. */
  const TILE = 'master_thumbnails_00001.jpg';
  /** Four thumbnails of 10.5 seconds in one tile: the 42 seconds of the video. */
  const IMAGES_PLAYLIST = [
    '#EXTM3U', '#EXT-X-IMAGES-ONLY',
    '#EXTINF:42.000,', '#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=2x2,DURATION=10.500', TILE,
    '#EXT-X-ENDLIST', '',
  ].join('\n');

  /** A video whose encode wrote its poster, its thumbnails track and its tile image. */
  async function withThumbnails(options: ReadyVideoOptions = {}): Promise<string> {
    const videoId = await readyVideo(options);
    mediaObjects.set(`posters/${videoId}/poster.0000000.jpg`, { body: quadrantsJpeg(64, 36), contentType: 'image/jpeg' });
    mediaObjects.set(thumbnailsTrackKey(videoId), { body: Buffer.from(thumbnailsVtt(IMAGES_PLAYLIST)), contentType: 'text/vtt' });
    mediaObjects.set(`videos/${videoId}/${TILE}`, { body: quadrantsJpeg(640, 360), contentType: 'image/jpeg' });
    return videoId;
  }

  const pick = (videoId: string, body: unknown, callerToken = token.creatorA()) =>
    call('PUT /api/videos/{videoId}/poster', { token: callerToken, path: { videoId }, body });
  const unpick = (videoId: string, callerToken = token.creatorA()) =>
    call('DELETE /api/videos/{videoId}/poster', { token: callerToken, path: { videoId } });
  const pickedKeys = () => [...mediaObjects.keys()].filter((key) => key.includes('/picked-'));
  const publicPoster = async (videoId: string) => (await call('GET /api/videos/{videoId}', { path: { videoId } })).json.posterUrl;

  test('the thumbnail at a time becomes the poster, under a new name; the one picked before goes, and leaves the CDN', async () => {
    const videoId = await withThumbnails();
    const first = await pick(videoId, { time: 25 });
    expect(first.statusCode).toBe(200);
    const [firstKey] = pickedKeys();
    expect(firstKey).toMatch(new RegExp(`^posters/${videoId}/picked-\\d+\\.jpg$`));
    expect(first.json).toEqual({ posterUrl: `https://media.example.com/${firstKey}`, pickedPoster: { timeSeconds: 25, pickedAt: expect.any(String) } });
    // 25 s is the third thumbnail: the tile's bottom left, blue, at its size.
    expect(mediaObjects.get(firstKey)?.contentType).toBe('image/jpeg');
    const frame = averageColour(mediaObjects.get(firstKey)!.body);
    expect([frame.width, frame.height]).toEqual([320, 180]);
    expect(sameColour(frame.colour, BLUE)).toBe(true);
    expect((await catalog.get(videoId))!.pickedPoster).toEqual({ key: firstKey, timeSeconds: 25, pickedAt: first.json.pickedPoster.pickedAt });
    expect(await publicPoster(videoId)).toBe(`https://media.example.com/${firstKey}`);
    // Nothing was cached under a name never used before.
    expect(invalidations).toEqual([]);

    // The last second shows the last thumbnail; the first pick is removed and invalidated, the pipeline's capture kept.
    const second = await pick(videoId, { time: 42 });
    expect(second.statusCode).toBe(200);
    const [secondKey] = pickedKeys();
    expect(secondKey).not.toBe(firstKey);
    expect(second.json.posterUrl).toBe(`https://media.example.com/${secondKey}`);
    expect(sameColour(averageColour(mediaObjects.get(secondKey)!.body).colour, WHITE)).toBe(true);
    expect(mediaObjects.has(firstKey)).toBe(false);
    expect(invalidations).toEqual([`/${firstKey}`]);
    expect(mediaObjects.has(`posters/${videoId}/poster.0000000.jpg`)).toBe(true);

    // Back to the first frame: the pipeline's poster, the picked file gone from the bucket and the CDN.
    const back = await unpick(videoId);
    expect(back.statusCode).toBe(200);
    expect(back.json).toEqual({ posterUrl: `https://media.example.com/posters/${videoId}/poster.0000000.jpg` });
    expect(pickedKeys()).toEqual([]);
    expect(invalidations).toEqual([`/${firstKey}`, `/${secondKey}`]);
    expect((await catalog.get(videoId))!.pickedPoster).toBeUndefined();
    expect(await publicPoster(videoId)).toBe(`https://media.example.com/posters/${videoId}/poster.0000000.jpg`);
    // Again, it answers the same and changes nothing.
    expect((await unpick(videoId)).json).toEqual(back.json);
    expect(invalidations).toHaveLength(2);
    expect(mediaObjects.has(`posters/${videoId}/poster.0000000.jpg`)).toBe(true);
  });

  test('each thumbnail of the tile is cut where its cue says', async () => {
    const videoId = await withThumbnails({ publish: false });
    // Cues of 10.5 seconds, row by row: red, green, then blue, white.
    for (const [time, colour] of [[0, RED], [10.5, GREEN], [21, BLUE], [31.5, WHITE]] as const) {
      expect((await pick(videoId, { time })).statusCode).toBe(200);
      const [key] = pickedKeys();
      const seen = averageColour(mediaObjects.get(key)!.body).colour;
      expect({ time, seen, same: sameColour(seen, colour) }).toEqual({ time, seen, same: true });
    }
  });

  test.each([
    ['no time', {}, 'missing-field', /time is required/],
    ['a negative time', { time: -1 }, 'invalid-field', /from 0 to 42 \(the video's duration\), got -1/],
    ['a time past the end', { time: 42.5 }, 'invalid-field', /from 0 to 42/],
    ['a time as text', { time: '5' }, 'invalid-field', /got "5"/],
    ['an unknown field', { time: 5, frame: 2 }, 'unknown-field', /unknown field "frame"/],
  ])('refuses %s with a 400, changing nothing', async (_name, body, code, message) => {
    const videoId = await withThumbnails();
    const before = new Map(mediaObjects);
    const record = await catalog.get(videoId);
    const answer = await pick(videoId, body);
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.code).toBe(code);
    expect(answer.json.error.message).toMatch(message);
    expect(mediaObjects).toEqual(before);
    expect(await catalog.get(videoId)).toEqual(record);
  });

  test('a time that is not a finite number is a 400', async () => {
    const videoId = await withThumbnails();
    const answer = await call('PUT /api/videos/{videoId}/poster', { token: token.creatorA(), path: { videoId }, rawBody: '{"time": 1e400}' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json.error.message).toMatch(/from 0 to 42 \(the video's duration\), got Infinity$/);
    expect(pickedKeys()).toEqual([]);
  });

  test('a video without thumbnails has none to pick: 409 no-thumbnails', async () => {
    const videoId = await readyVideo();
    const answer = await pick(videoId, { time: 5 });
    expect(answer.statusCode).toBe(409);
    expect(answer.json.error.code).toBe('no-thumbnails');
    expect(pickedKeys()).toEqual([]);
    expect((await catalog.get(videoId))!.pickedPoster).toBeUndefined();
  });

  test.each([
    ['a region outside its tile', (videoId: string) => mediaObjects.set(thumbnailsTrackKey(videoId), {
      body: Buffer.from(`WEBVTT\n\n00:00:00.000 --> 00:00:42.000\n${TILE}#xywh=400,200,320,180\n`),
    }), /region 320x180 at 400,200 is not inside its 640x360 tile image/],
    ['a missing tile image', (videoId: string) => mediaObjects.delete(`videos/${videoId}/${TILE}`), /tile image is missing/],
    ['a tile image that is no JPEG', (videoId: string) => mediaObjects.set(`videos/${videoId}/${TILE}`, { body: Buffer.from('<html>') }), /not a JPEG image/],
    ['a tile image of another video', (videoId: string) => mediaObjects.set(thumbnailsTrackKey(videoId), {
      body: Buffer.from(`WEBVTT\n\n00:00:00.000 --> 00:00:42.000\n../other/${TILE}#xywh=0,0,320,180\n`),
    }), /is not a JPEG image of the video/],
  ])('a thumbnail with %s is a 409, changing nothing', async (_name, spoil, message) => {
    const videoId = await withThumbnails();
    spoil(videoId);
    const before = new Map(mediaObjects);
    const answer = await pick(videoId, { time: 5 });
    expect(answer.statusCode).toBe(409);
    expect(answer.json.error).toEqual({ code: 'unusable-thumbnail', message: expect.stringMatching(message) });
    expect(mediaObjects).toEqual(before);
    expect((await catalog.get(videoId))!.pickedPoster).toBeUndefined();
  });

  test('only the owner or an admin picks, READY or PUBLISHED videos only', async () => {
    const videoId = await withThumbnails();
    expect((await pick(videoId, { time: 5 }, token.creatorB())).statusCode).toBe(404);
    expect((await pick(videoId, { time: 5 }, token.viewer())).statusCode).toBe(403);
    expect((await unpick(videoId, token.creatorB())).statusCode).toBe(404);
    expect(pickedKeys()).toEqual([]);
    expect((await pick(videoId, { time: 5 }, token.admin())).statusCode).toBe(200);
    expect((await unpick(videoId, token.admin())).statusCode).toBe(200);

    const draft = await createDraft();
    const answer = await pick(draft, { time: 0 });
    expect(answer.statusCode).toBe(409);
    expect(answer.json.error.code).toBe('wrong-state');
    expect((await unpick(draft)).json.error.code).toBe('wrong-state');
  });

  test('a change of the video meanwhile is a 409, and the frame written for it is removed', async () => {
    const videoId = await withThumbnails();
    expect((await pick(videoId, { time: 0 })).statusCode).toBe(200);
    const [kept] = pickedKeys();
    const transition = catalog.transition.bind(catalog);
    const spy = jest.spyOn(catalog, 'transition').mockImplementationOnce(async (id, change) => {
      // Another request changes the video between this one's read and its write.
      await transition(id, { from: ['READY', 'PUBLISHED'], set: { title: 'Renamed', updatedAt: new Date(Date.now() + 60_000).toISOString() } });
      return transition(id, change);
    });
    try {
      const answer = await pick(videoId, { time: 20 });
      expect(answer.statusCode).toBe(409);
      expect(answer.json.error.code).toBe('conflict');
    } finally {
      spy.mockRestore();
    }
    expect(pickedKeys()).toEqual([kept]);
    expect((await catalog.get(videoId))!.pickedPoster?.key).toBe(kept);
    expect(invalidations).toEqual([]);
  });

  test('a new upload drops the pick, its file and its cached copy; its encode brings its own poster', async () => {
    const videoId = await withThumbnails({ publish: false });
    expect((await pick(videoId, { time: 12 })).statusCode).toBe(200);
    const [picked] = pickedKeys();
    const again = await call('POST /api/videos/{videoId}/upload', { token: token.creatorA(), path: { videoId }, body: { size: 1000, contentType: 'video/mp4' } });
    expect(again.statusCode).toBe(201);
    expect((await catalog.get(videoId))!.pickedPoster).toBeUndefined();
    expect(mediaObjects.has(picked)).toBe(false);
    expect(invalidations).toEqual([`/${picked}`]);

    // Whatever recorded a pick meanwhile, the new encode's COMPLETE status drops it.
    await catalog.transition(videoId, { from: ['UPLOADING'], set: { pickedPoster: { key: picked, timeSeconds: 12, pickedAt: new Date().toISOString() } } });
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, again.json.uploadId, 'PROGRESSING', { progressPercent: 50 }) }, new Date())).toBe(true);
    expect((await catalog.get(videoId))!.pickedPoster?.key).toBe(picked);
    expect(await consumeTranscodeStatus(catalog, { detail: status(videoId, again.json.uploadId, 'COMPLETE') }, new Date())).toBe(true);
    const video = (await call('GET /api/videos/{videoId}', { token: token.creatorA(), path: { videoId } })).json;
    expect(video).toMatchObject({ state: 'READY', posterUrl: `https://media.example.com/posters/${videoId}/poster.0000000.jpg` });
    expect(video.pickedPoster).toBeUndefined();
  });

  test('without the output bucket the routes say so', async () => {
    const videoId = await withThumbnails();
    deps = { ...deps, mediaFiles: undefined };
    expect((await pick(videoId, { time: 5 })).statusCode).toBe(503);
    expect((await unpick(videoId)).statusCode).toBe(503);
  });
});

describe('stream limits: playback sessions as leases', () => {
  let leases: StreamLeases;
  beforeEach(async () => {
    await db.createTable(`sessions-${tables}`, 'userId', 'slot', 'N');
    leases = new StreamLeases(db.documents, `sessions-${tables}`);
    deps = { ...deps, leases, settings: { ...deps.settings, streamLimit: 2 } };
  });

  const play = (videoId: string, callerToken?: string, body?: unknown) =>
    call('POST /api/videos/{videoId}/playback', { token: callerToken, path: { videoId }, body });

  test('a signed-in viewer holds at most the limit; past it, a 429 lists the sessions to stop, and stopping one lets this device in', async () => {
    const [first, second, third] = [await readyVideo(), await readyVideo(), await readyVideo()];
    const one = await play(first, token.viewer(), { device: 'Firefox on a laptop' });
    const two = await play(second, token.viewer(), { device: 'Safari on a phone' });
    expect([one.statusCode, two.statusCode]).toEqual([200, 200]);
    expect(one.json.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(one.cookies).toHaveLength(3);

    const refused = await play(third, token.viewer(), { device: 'Chrome on a TV' });
    expect(refused.statusCode).toBe(429);
    expect(refused.cookies).toBeUndefined();
    expect(refused.json.error).toMatchObject({
      code: 'too-many-streams',
      limit: 2,
      sessions: [
        { sessionId: one.json.sessionId, device: 'Firefox on a laptop', videoId: first, videoTitle: 'A film', startedAt: expect.any(String) },
        { sessionId: two.json.sessionId, device: 'Safari on a phone', videoId: second, videoTitle: 'A film', startedAt: expect.any(String) },
      ],
    });
    expect((await call('GET /api/me/sessions', { token: token.viewer() })).json.sessions.map((s: any) => s.sessionId).sort())
      .toEqual([one.json.sessionId, two.json.sessionId].sort());

    // "Stop watching there": the slot is free at once, and the stopped device's renewal is refused.
    expect((await call('DELETE /api/me/sessions/{sessionId}', { token: token.viewer(), path: { sessionId: one.json.sessionId } })).statusCode).toBe(204);
    expect((await play(third, token.viewer(), { device: 'Chrome on a TV' })).statusCode).toBe(200);
    const stopped = await play(first, token.viewer(), { sessionId: one.json.sessionId });
    expect(stopped.statusCode).toBe(409);
    expect(stopped.json.error.code).toBe('session-ended');
    expect(stopped.cookies).toBeUndefined();
    // Another user's session cannot be stopped by this one (it is not theirs: nothing happens).
    expect((await call('DELETE /api/me/sessions/{sessionId}', { token: token.buyer(), path: { sessionId: two.json.sessionId } })).statusCode).toBe(204);
    expect((await play(second, token.viewer(), { sessionId: two.json.sessionId })).statusCode).toBe(200);
  });

  test('a renewal keeps the same session and renews its cookies; viewers who are not signed in hold none', async () => {
    const videoId = await readyVideo();
    const started = await play(videoId, token.viewer());
    const renewed = await play(videoId, token.viewer(), { sessionId: started.json.sessionId });
    expect(renewed.statusCode).toBe(200);
    expect(renewed.json.sessionId).toBe(started.json.sessionId);
    expect(renewed.cookies).toHaveLength(3);
    // The device named from the User-Agent when the app gives none.
    expect((await call('GET /api/me/sessions', { token: token.viewer() })).json.sessions[0].device).toBe('A device');
    const anonymous = await play(videoId);
    expect(anonymous.statusCode).toBe(200);
    expect(anonymous.json.sessionId).toBeUndefined();
    for (let i = 0; i < 3; i++) expect((await play(videoId)).statusCode).toBe(200);
  });

  test('an admin ends all of a user\'s sessions: none renews; revoking an entitlement stops renewals too', async () => {
    const later = new Date(Date.now() + 86_400_000).toISOString();
    await entitlements.grant({ userId: 'viewer-premium', entitlementId: 'premium', expiresAt: later, grantedAt: new Date().toISOString(), grantedBy: 'admin:a' });
    const premium = await readyVideo({ access: 'premium' });
    const session = (await play(premium, token.premiumViewer())).json.sessionId;
    const other = (await play(await readyVideo(), token.premiumViewer())).json.sessionId;
    expect((await call('DELETE /api/admin/users/{userId}/sessions', { token: token.viewer(), path: { userId: 'viewer-premium' } })).statusCode).toBe(403);
    const ended = await call('DELETE /api/admin/users/{userId}/sessions', { token: token.admin(), path: { userId: 'viewer-premium' } });
    expect(ended.json).toEqual({ ended: 2 });
    expect((await play(premium, token.premiumViewer(), { sessionId: session })).statusCode).toBe(409);
    expect(other).toBeDefined();

    const again = (await play(premium, token.premiumViewer())).json.sessionId;
    expect((await call('DELETE /api/admin/users/{userId}/entitlements/{entitlementId}', {
      token: token.admin(), path: { userId: 'viewer-premium', entitlementId: 'premium' },
    })).statusCode).toBeLessThan(300);
    const revoked = await play(premium, token.premiumViewer(), { sessionId: again });
    expect(revoked.statusCode).toBe(403);
    expect(revoked.json.error.code).toBe('not-entitled');
  });

  test.each<[string, unknown]>([
    ['a session id that is no UUID', { sessionId: 'session-1' }],
    ['a device label of 61 characters', { device: 'x'.repeat(61) }],
    ['a device label with a control character', { device: 'TV\u0007' }],
    ['an unknown field', { slot: 1 }],
  ])('a playback request with %s is a 400 and takes no slot', async (_name, body) => {
    const videoId = await readyVideo();
    expect((await play(videoId, token.viewer(), body)).statusCode).toBe(400);
    expect((await call('GET /api/me/sessions', { token: token.viewer() })).json.sessions).toEqual([]);
  });

  test('without a stream limit there are no sessions to list or end', async () => {
    deps = { ...deps, leases: undefined, settings: { ...deps.settings, streamLimit: undefined } };
    const videoId = await readyVideo();
    expect((await play(videoId, token.viewer())).json.sessionId).toBeUndefined();
    expect((await call('GET /api/me/sessions', { token: token.viewer() })).json).toEqual({ limit: null, sessions: [] });
    expect((await call('DELETE /api/admin/users/{userId}/sessions', { token: token.admin(), path: { userId: 'viewer-1' } })).statusCode).toBe(409);
  });
});

describe('encrypted segments: a video\'s content key, for a live playback session of that video only', () => {
  let contentKeys: ContentKeys;
  const premiumUntil = () => new Date(Date.now() + 86_400_000).toISOString();
  beforeEach(async () => {
    await db.createTable(`sessions-${tables}`, 'userId', 'slot', 'N');
    await db.createTable(`keys-${tables}`, 'videoId');
    contentKeys = new ContentKeys(db.documents, `keys-${tables}`);
    deps = { ...deps, leases: new StreamLeases(db.documents, `sessions-${tables}`), contentKeys, settings: { ...deps.settings, streamLimit: 3 } };
    await entitlements.grant({ userId: 'viewer-premium', entitlementId: 'premium', expiresAt: premiumUntil(), grantedAt: new Date().toISOString(), grantedBy: 'admin:a' });
  });

  const play = (videoId: string, callerToken?: string, body?: unknown) =>
    call('POST /api/videos/{videoId}/playback', { token: callerToken, path: { videoId }, body });
  /** The cookie the playback route set for the key route, as a browser sends it back, with its attributes. */
  const sessionCookie = (played: HttpResult) => {
    const set = (played.cookies ?? []).find((cookie) => cookie.startsWith('vod-playback-session='));
    return set ? { pair: set.split(';')[0], attributes: set.split(';').slice(1).map((part) => part.trim()) } : undefined;
  };
  const key = (videoId: string, cookies?: string[]) => call('GET /api/videos/{videoId}/key', { path: { videoId }, cookies });
  const encryptedVideo = async (access = 'premium') => {
    const videoId = await readyVideo({ access });
    await contentKeys.keyFor(videoId, new Date());
    return videoId;
  };

  test('a live session gets the 16-byte key, never to be stored; the cookie naming it is for the key route alone', async () => {
    const videoId = await encryptedVideo();
    const played = await play(videoId, token.premiumViewer());
    expect(played.statusCode).toBe(200);
    const cookie = sessionCookie(played)!;
    expect(cookie.pair).toBe(`vod-playback-session=${played.json.sessionId}.viewer-premium`);
    expect(cookie.attributes).toEqual([`Path=/api/videos/${videoId}/key`, `Max-Age=${deps.settings.sessionSeconds + LEASE_GRACE_SECONDS}`,
      'Secure', 'HttpOnly', 'SameSite=Strict']);

    const answered = await key(videoId, [cookie.pair, 'other=1']);
    expect(answered.statusCode).toBe(200);
    expect(answered.isBase64Encoded).toBe(true);
    expect(answered.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
    expect(Buffer.from(answered.body, 'base64').equals(Buffer.from((await contentKeys.read(videoId))!))).toBe(true);
  });

  test('refused without a session, with another video\'s session, with a made-up one, after the session ended, after revocation and after lapse', async () => {
    const videoId = await encryptedVideo();
    const otherVideo = await encryptedVideo();
    const refused = async (cookies?: string[]) => {
      const answer = await key(videoId, cookies);
      expect({ status: answer.statusCode, code: answer.json?.error?.code }).toEqual({ status: 403, code: 'no-playback-session' });
      expect(answer.body).not.toContain(Buffer.from((await contentKeys.read(videoId))!).toString('base64'));
    };
    await refused();
    await refused([sessionCookie(await play(otherVideo, token.premiumViewer()))!.pair]);
    await refused(['vod-playback-session=00000000-0000-4000-8000-000000000000.viewer-premium']);
    await refused(['vod-playback-session=not-a-session']);

    // Ended from another device ("stop watching there").
    const ended = await play(videoId, token.premiumViewer());
    expect((await key(videoId, [sessionCookie(ended)!.pair])).statusCode).toBe(200);
    await call('DELETE /api/me/sessions/{sessionId}', { token: token.premiumViewer(), path: { sessionId: ended.json.sessionId } });
    await refused([sessionCookie(ended)!.pair]);

    // Revoked by an admin.
    const revoked = await play(videoId, token.premiumViewer());
    expect((await call('DELETE /api/admin/users/{userId}/sessions', { token: token.admin(), path: { userId: 'viewer-premium' } })).statusCode).toBe(200);
    await refused([sessionCookie(revoked)!.pair]);

    // Lapsed: not renewed within its cookies' lifetime and the grace after it.
    const lapsing = await play(videoId, token.premiumViewer());
    expect((await key(videoId, [sessionCookie(lapsing)!.pair])).statusCode).toBe(200);
    const started = Date.now();
    deps = { ...deps, now: () => new Date(started + (deps.settings.sessionSeconds + LEASE_GRACE_SECONDS + 1) * 1000) };
    await refused([sessionCookie(lapsing)!.pair]);
  });

  test('revoking the entitlement stops the renewal, and with it the key once the session lapses', async () => {
    const videoId = await encryptedVideo();
    const played = await play(videoId, token.premiumViewer());
    await call('DELETE /api/admin/users/{userId}/entitlements/{entitlementId}', {
      token: token.admin(), path: { userId: 'viewer-premium', entitlementId: 'premium' },
    });
    expect((await play(videoId, token.premiumViewer(), { sessionId: played.json.sessionId })).statusCode).toBe(403);
    const started = Date.now();
    deps = { ...deps, now: () => new Date(started + (deps.settings.sessionSeconds + LEASE_GRACE_SECONDS + 1) * 1000) };
    expect((await key(videoId, [sessionCookie(played)!.pair])).statusCode).toBe(403);
  });

  test('a public video\'s key is anyone\'s, as its playback is; an unpublished one\'s is not', async () => {
    const published = await encryptedVideo('public');
    expect((await play(published)).statusCode).toBe(200);
    expect((await key(published)).statusCode).toBe(200);
    const draft = await readyVideo({ access: 'public', publish: false });
    await contentKeys.keyFor(draft, new Date());
    expect((await key(draft)).statusCode).toBe(403);
  });

  test('a video without a key, or a platform that does not encrypt, answers 404; a bad id is a 404 too', async () => {
    const plain = await readyVideo({ access: 'public' });
    expect((await key(plain)).json.error.code).toBe('not-encrypted');
    deps = { ...deps, contentKeys: undefined };
    const videoId = await readyVideo({ access: 'public' });
    const played = await play(videoId, token.viewer());
    expect(sessionCookie(played)).toBeUndefined();
    expect((await key(videoId)).statusCode).toBe(404);
    expect((await key('../etc')).statusCode).toBe(404);
  });
});

describe('playback bound to the viewer\'s address', () => {
  let contentKeys: ContentKeys;
  const edgeServer = '130.176.0.10';
  const originVerify = 'origin-verify-value-of-the-distribution';
  const trustedKeys = () => new Map([['KTESTKEYPAIR', signingKey.publicKey]]);
  beforeEach(async () => {
    await db.createTable(`sessions-${tables}`, 'userId', 'slot', 'N');
    await db.createTable(`keys-${tables}`, 'videoId');
    contentKeys = new ContentKeys(db.documents, `keys-${tables}`);
    deps = {
      ...deps,
      leases: new StreamLeases(db.documents, `sessions-${tables}`),
      contentKeys,
      originVerifier: async () => originVerify,
      settings: { ...deps.settings, streamLimit: 2, viewerAddress: 'cloudfront' },
    };
  });

  /**
   * A request through the distribution: its function has set the viewer's
   * address, its origin added its header; API Gateway saw an edge server's address.
   */
  const from = (address: string | undefined, options: Call = {}, verify: string | null = originVerify): Call => ({
    ...options,
    headers: {
      ...options.headers,
      ...(address !== undefined ? { 'x-vod-viewer-address': address } : {}),
      ...(verify !== null ? { 'x-vod-origin-verify': verify } : {}),
    },
    sourceIp: edgeServer,
  });
  const play = (videoId: string, address: string | undefined, body?: unknown, callerToken = token.viewer()) =>
    call('POST /api/videos/{videoId}/playback', from(address, { token: callerToken, path: { videoId }, body }));
  const jarOf = (answer: HttpResult) => parseCookieHeader((answer.cookies ?? []).map((c) => c.split(';')[0]).join('; '));
  const opens = (answer: HttpResult, videoId: string, clientIp: string) => verifySignedRequest({
    url: `https://media.example.com/videos/${videoId}/master.m3u8`, cookies: jarOf(answer), now: new Date(), trustedKeys: trustedKeys(), clientIp,
  }).allowed;
  const key = (videoId: string, answer: HttpResult, address: string | undefined) => call('GET /api/videos/{videoId}/key', from(address, {
    path: { videoId }, cookies: (answer.cookies ?? []).filter((c) => c.startsWith('vod-playback-session=')).map((c) => c.split(';')[0]),
  }));

  test('the cookies open the video from the address the distribution saw, and from no other', async () => {
    const videoId = await readyVideo();
    const played = await play(videoId, '203.0.113.7');
    expect(played.statusCode).toBe(200);
    expect(opens(played, videoId, '203.0.113.7')).toBe(true);
    expect(opens(played, videoId, '203.0.113.8')).toBe(false);
    // Not the address API Gateway saw: behind CloudFront that is an edge server's.
    expect(opens(played, videoId, edgeServer)).toBe(false);
  });

  test('with encrypted segments the session\'s key is answered at its address alone; a renewal from a new network moves it there', async () => {
    // Premium: a public video's key is anyone's, as its playback is.
    const videoId = await readyVideo({ access: 'premium' });
    await contentKeys.keyFor(videoId, new Date());
    await entitlements.grant({
      userId: 'viewer-premium', entitlementId: 'premium', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), grantedAt: new Date().toISOString(), grantedBy: 'admin:a',
    });
    const played = await play(videoId, '203.0.113.7', undefined, token.premiumViewer());
    expect((await key(videoId, played, '203.0.113.7')).statusCode).toBe(200);
    const elsewhere = await key(videoId, played, '198.51.100.9');
    expect({ status: elsewhere.statusCode, code: elsewhere.json.error.code }).toEqual({ status: 403, code: 'no-playback-session' });
    expect((await key(videoId, played, undefined)).statusCode).toBe(403);

    // The phone moves from Wi-Fi to mobile data: its next refresh binds the session, its cookies and its key to the new address.
    const renewed = await play(videoId, '198.51.100.9', { sessionId: played.json.sessionId }, token.premiumViewer());
    expect(renewed.statusCode).toBe(200);
    expect(opens(renewed, videoId, '198.51.100.9')).toBe(true);
    expect((await key(videoId, renewed, '198.51.100.9')).statusCode).toBe(200);
    expect((await key(videoId, renewed, '203.0.113.7')).statusCode).toBe(403);
  });

  test('a request that shows no IPv4 address is a 403 that takes no slot', async () => {
    const videoId = await readyVideo();
    for (const address of [undefined, '2001:db8::7', 'not-an-address', '203.0.113.7, 198.51.100.9']) {
      const refused = await play(videoId, address);
      expect({ status: refused.statusCode, code: refused.json.error.code }).toEqual({ status: 403, code: 'viewer-address' });
      expect(refused.cookies).toBeUndefined();
    }
    expect((await call('GET /api/me/sessions', { token: token.viewer() })).json.sessions).toEqual([]);
    // Counted with the sessions denied, with its reason in the log.
    expect(playbackOutcomes).toEqual(Array(4).fill('denied:viewer-address'));
  });

  test('the address header is trusted only beside the distribution\'s origin header: a call to the API\'s own endpoint names no address', async () => {
    const videoId = await readyVideo({ access: 'premium' });
    await contentKeys.keyFor(videoId, new Date());
    await entitlements.grant({
      userId: 'viewer-premium', entitlementId: 'premium', expiresAt: new Date(Date.now() + 86_400_000).toISOString(), grantedAt: new Date().toISOString(), grantedBy: 'admin:a',
    });
    for (const verify of [null, '', 'a-guess', `${originVerify}x`]) {
      const refused = await call('POST /api/videos/{videoId}/playback', from('203.0.113.7', { token: token.premiumViewer(), path: { videoId } }, verify));
      expect({ status: refused.statusCode, code: refused.json.error.code }).toEqual({ status: 403, code: 'viewer-address' });
    }
    // A session's cookie, leaked, with the viewer's address named at the API's endpoint: no key.
    const played = await call('POST /api/videos/{videoId}/playback', from('203.0.113.7', { token: token.premiumViewer(), path: { videoId } }));
    const cookie = played.cookies!.filter((c) => c.startsWith('vod-playback-session=')).map((c) => c.split(';')[0]);
    expect((await call('GET /api/videos/{videoId}/key', from('203.0.113.7', { path: { videoId }, cookies: cookie }))).statusCode).toBe(200);
    expect((await call('GET /api/videos/{videoId}/key', from('203.0.113.7', { path: { videoId }, cookies: cookie }, null))).statusCode).toBe(403);
    expect((await call('GET /api/videos/{videoId}/key', from('203.0.113.7', { path: { videoId }, cookies: cookie }, 'a-guess'))).statusCode).toBe(403);
    // Without the secret to compare with, nothing is trusted.
    deps = { ...deps, originVerifier: undefined };
    expect((await call('GET /api/videos/{videoId}/key', from('203.0.113.7', { path: { videoId }, cookies: cookie }))).statusCode).toBe(403);
  });

  test('the download URL is bound too', async () => {
    const videoId = await readyVideo({ download: true });
    const answer = await call('POST /api/videos/{videoId}/download', from('203.0.113.7', { token: token.viewer(), path: { videoId } }));
    expect(answer.statusCode).toBe(200);
    const check = (clientIp: string) => verifySignedRequest({
      url: answer.json.downloadUrl, cookies: {}, now: new Date(), trustedKeys: trustedKeys(), clientIp,
    }).allowed;
    expect(check('203.0.113.7')).toBe(true);
    expect(check('203.0.113.8')).toBe(false);
  });

  test('unbound, cookies open the video from anywhere', async () => {
    deps = { ...deps, settings: { ...deps.settings, viewerAddress: undefined } };
    const videoId = await readyVideo();
    const played = await play(videoId, undefined);
    expect(opens(played, videoId, '203.0.113.7')).toBe(true);
    expect(opens(played, videoId, '198.51.100.9')).toBe(true);
  });
});
