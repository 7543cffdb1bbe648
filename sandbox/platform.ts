import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { startServices, ServicesServer } from './aws/services';
import { Edge } from './cloudfront/edge';
import { OidcProvider } from './identity/oidc-provider';
import { TokenMinter } from './identity/tokens';
import { MediaConvertOptions, MediaConvertStandIn } from './mediaconvert/mediaconvert';
import { LocalS3, startLocalS3 } from './s3/local-s3';
import { seedVideo } from './seed';
import { StripeStandIn } from './stripe/stripe-stand-in';
import { recognizerInstalled, TranscribeStandIn } from './transcribe/transcribe-stand-in';
import { MEDIA_SIGNING_ENV } from '../src/contracts/media-signing';
import { JOB_METADATA_KEYS, TRANSCODE_EVENT_SOURCE } from '../src/contracts/transcode-status';
import { ORIGIN_VERIFY_HEADER, VIEWER_ADDRESS_FUNCTION_CODE } from '../src/contracts/viewer-address';
import { API_ENV } from '../src/entitlement/api-environment';
import { STRIPE_WEBHOOK_ROUTE } from '../src/entitlement/api-routes';
import { CATALOG_INDEXES } from '../src/entitlement/schema';
import { HlsLadder } from '../src/transcode/hls-ladder';
import type { PipelineSettings } from '../src/transcode/submit-job.lambda-shared';
import { TRANSCODE_ENV, WORK_INDEX } from '../src/transcode/transcode-metrics';
import { transcriptionPrefix } from '../src/transcode/transcription-names';
import { DEFAULT_TRICK_PLAY } from '../src/transcode/trick-play.lambda-shared';
import { uploadSettingsToEnvironment } from '../src/upload/upload-settings';

// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

const root = resolve(__dirname, '..');

/**
 * The demo users of the sandbox's sign-in page (and of the README): sandbox
 * accounts only, their passwords shown on the page.
 */
export const DEMO_USERS: Record<string, { readonly groups: string[]; readonly password: string; readonly email: string }> = {
  creator: { groups: ['creators'], password: 'creator-password', email: 'creator@sandbox.example' },
  viewer: { groups: [], password: 'viewer-password', email: 'viewer@sandbox.example' },
  admin: { groups: ['admins'], password: 'admin-password', email: 'admin@sandbox.example' },
};

export interface SandboxOptions {
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Seed three short generated videos: one free, one premium, one for purchase. @default true */
  readonly seed?: boolean;
  /** Uploads of at least this size are multipart, in parts of `partSizeBytes`. @default 100 MiB, in 16 MiB parts */
  readonly multipart?: { readonly thresholdBytes: number; readonly partSizeBytes: number };
  /** Lifetime of playback cookies. @default 120 */
  readonly sessionSeconds?: number;
  /**
   * Whether each MediaConvert job event reaches the pipeline: lose or repeat
   * some to watch the scheduled check recover. @default every event, once
   */
  readonly mediaconvertDelivery?: MediaConvertOptions['deliver'];
  /** How often the pipeline's scheduled check runs, and after how long in flight it looks at an upload. @default every 5 s, after 20 s */
  readonly reconcile?: { readonly everySeconds: number; readonly stuckAfterSeconds: number };
  /**
   * Automatic captions with the offline recognizer standing in for Amazon
   * Transcribe. Off, with a line in the log, when the recognizer is not installed.
   *
   * @default true
   */
  readonly automaticCaptions?: boolean;
  /**
   * How many playback sessions a signed-in user may hold at once.
   *
   * @default 3
   */
  readonly streamLimit?: number;
  /**
   * HLS AES-128: each video's segments encrypted with its own key, which the
   * API answers only to a live playback session of that video.
   *
   * @default true
   */
  readonly encryptSegments?: boolean;
  /**
   * Playback sessions bound to the viewer's IPv4 address, told to the API by
   * the platform's CloudFront Function on `/api/*` (run by the edge as
   * CloudFront runs it); the edge listens on IPv4 only, as the platform's
   * distribution then serves.
   *
   * @default true
   */
  readonly bindPlaybackToViewerIp?: boolean;
  readonly log?: (message: string) => void;
}

export interface Sandbox {
  /** `http://localhost:<port>`: the page, `/api`, `/videos`, `/posters`, `/auth`. */
  readonly url: string;
  readonly minter: TokenMinter;
  /** The CloudFront key pair that signs cookies: its id and private key (PEM). */
  readonly signing: { readonly keyPairId: string; readonly privateKeyPem: string; readonly publicKeyPem: string };
  readonly stripeSecret: string;
  /** Stripe's stand-in, with the Checkout Sessions and webhook events it made. */
  readonly stripe: StripeStandIn;
  /** The CloudFront stand-in, with the invalidations it received. */
  readonly edge: Edge;
  /** Ids of the seeded videos. */
  readonly seeded: { publicVideoId?: string; premiumVideoId?: string; purchaseVideoId?: string };
  /** The MediaConvert stand-in, with the jobs it ran. */
  readonly mediaconvert: MediaConvertStandIn;
  /** Amazon Transcribe's stand-in, when the sandbox makes automatic captions. */
  readonly transcribe?: TranscribeStandIn;
  /** Waits until every transcode that was started has finished. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the whole platform on loopback with the real bundled handlers of
 * the four constructs (built into `assets/` by `npx projen bundle`),
 * configured only through environment variables and the SDK's standard
 * endpoint settings.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const credentials = { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox-secret-access-key' };
  const region = 'us-east-1';
  const closers: Array<() => Promise<void> | void> = [];
  const bundle = (name: string) => join(root, 'assets', name, 'index.js');
  for (const name of ['upload/upload-issuer.lambda', 'transcode/submit-job.lambda', 'transcode/job-status.lambda', 'transcode/reconcile-jobs.lambda', 'entitlement/api.lambda', 'entitlement/stripe-webhook.lambda', 'entitlement/status-consumer.lambda']) {
    if (!existsSync(bundle(name))) {
      throw new Error(`the handler bundle ${name} is missing: run "npx projen bundle" first`);
    }
  }

  // The edge listens first: its address is the platform's one origin.
  const s3Holder: { client?: S3Client } = {};
  const keyPair = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const keyPairId = 'KSANDBOXKEYPAIR';
  const bindToViewerIp = options.bindPlaybackToViewerIp ?? true;
  // The value the distribution sends the API in its origin header, as Secrets Manager would make it.
  const originVerify = randomBytes(24).toString('base64url');
  const edge = new Edge({
    get s3() {
      return s3Holder.client!;
    },
    mediaBucket: 'outputs',
    trustedKeys: new Map([[keyPairId, createPublicKey(keyPair.publicKey)]]),
    webRoot: join(root, 'assets', 'web'),
    assets: {},
    apiViewerRequestFunction: bindToViewerIp ? VIEWER_ADDRESS_FUNCTION_CODE : undefined,
    apiOriginHeaders: bindToViewerIp ? { [ORIGIN_VERIFY_HEADER]: originVerify } : undefined,
  });
  await new Promise<void>((done) => edge.server.listen(options.port ?? 0, '127.0.0.1', done));
  closers.push(() => new Promise<void>((done) => {
    edge.server.closeAllConnections();
    edge.server.close(() => done());
  }));
  const port = (edge.server.address() as AddressInfo).port;
  const host = `localhost:${port}`;
  const url = `http://${host}`;

  try {
    // DynamoDB (dynalite) with the platform's tables and indexes.
    const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((done) => dynamo.listen(0, '127.0.0.1', done));
    closers.push(() => new Promise<void>((done) => dynamo.close(() => done())));
    const dynamoEndpoint = `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
    const ddb = new DynamoDBClient({ endpoint: dynamoEndpoint, region, credentials });
    const table = async (name: string, keys: string[], indexes: Record<string, string[]> = {}, numbers: string[] = []) => {
      const schema = (k: string[]) => k.map((attribute, i) => ({ AttributeName: attribute, KeyType: (i === 0 ? 'HASH' : 'RANGE') as 'HASH' | 'RANGE' }));
      const attributes = [...new Set([...keys, ...Object.values(indexes).flat()])];
      await ddb.send(new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: schema(keys),
        AttributeDefinitions: attributes.map((a) => ({ AttributeName: a, AttributeType: numbers.includes(a) ? 'N' : 'S' })),
        GlobalSecondaryIndexes: Object.keys(indexes).length === 0 ? undefined
          : Object.entries(indexes).map(([IndexName, k]) => ({ IndexName, KeySchema: schema(k), Projection: { ProjectionType: 'ALL' } })),
      }));
    };
    await table('jobs', ['videoId', 'uploadId'], { [WORK_INDEX.name]: [WORK_INDEX.partitionKey, WORK_INDEX.sortKey] });
    await table('catalog.lambda-shared', ['videoId'], {
      [CATALOG_INDEXES.byCreator]: ['creatorId', 'createdAt'], [CATALOG_INDEXES.published]: ['listing', 'publishedAt'], [CATALOG_INDEXES.byState]: ['state', 'updatedAt'],
    });
    await table('entitlements.lambda-shared', ['userId', 'entitlementId'], { byPaymentRef: ['paymentRef'] });
    await table('sessions', ['userId', 'slot'], {}, ['slot']);
    await table('content-keys', ['videoId']);
    ddb.destroy();

    // S3 with the source and output buckets; new sources go to the submit handler, as EventBridge would.
    let onObjectCreated: (bucket: string, key: string) => void = () => undefined;
    const s3Server: LocalS3 = await startLocalS3({
      buckets: ['sources', 'outputs'],
      credentials,
      allowedOrigins: [url],
      onObjectCreated: (bucket, key) => onObjectCreated(bucket, key),
    });
    closers.push(() => s3Server.close());
    const s3 = new S3Client({ endpoint: s3Server.endpoint, forcePathStyle: true, region, credentials });
    s3Holder.client = s3;
    closers.push(() => s3.destroy());

    // Cognito's stand-in: an OpenID provider with the demo users, whose tokens the API verifies against its JWKS.
    const issuer = `${url}/auth`;
    const clientId = 'sandbox-web-client';
    const minter = new TokenMinter(issuer, clientId);
    const appUrls = [`${url}/`, `${url.replace('localhost', '127.0.0.1')}/`];
    const oidc = new OidcProvider({
      issuer,
      minter,
      users: DEMO_USERS,
      clients: [{ clientId, redirectUris: appUrls, logoutUris: appUrls }],
    });
    // What the deployment writes next to the web app.
    const webConfig = { region, clientId, signInUrl: issuer, issuer, apiPath: '/api', scopes: ['openid', 'email', 'profile'] };
    const stripeSecret = 'whsec_sandbox_webhook_signing_secret';
    const stripeApiKey = 'sk_test_sandbox_stand_in_key';
    const pipelineId = 'SandboxTranscode';
    const reconcile = options.reconcile ?? { everySeconds: 5, stuckAfterSeconds: 20 };

    // Handlers run here; what they call runs on the stand-ins.
    const handlers: Record<string, (event: any) => Promise<any>> = {};
    const asyncInvoke = (name: string, event: unknown) => {
      // Lambda's asynchronous invocation: two retries, then the failure is reported.
      const attempt = async (tries: number): Promise<void> => {
        try {
          await handlers[name](event);
        } catch (error) {
          if (tries > 0) {
            await new Promise((done) => setTimeout(done, 200));
            return attempt(tries - 1);
          }
          log(`${name} failed: ${(error as Error).message}`);
        }
      };
      return attempt(2);
    };
    const mediaconvert = new MediaConvertStandIn({
      s3,
      emit: (event) => {
        if ((event.detail.userMetadata as Record<string, string>)?.[JOB_METADATA_KEYS.pipeline] === pipelineId) {
          void asyncInvoke('transcodeStatus', event);
        }
      },
      onError: (jobId, error) => log(`transcode ${jobId} failed: ${error.message}`),
      deliver: options.mediaconvertDelivery,
    });
    const automaticCaptions = (options.automaticCaptions ?? true) && recognizerInstalled();
    if ((options.automaticCaptions ?? true) && !automaticCaptions) {
      log('automatic captions are off: the offline recognizer (Debian\'s pocketsphinx and pocketsphinx-en-us) is not installed');
    }
    const transcriptionNames = transcriptionPrefix(pipelineId);
    const transcribe = automaticCaptions ? new TranscribeStandIn({
      s3,
      emit: (event) => {
        // The pipeline's rule: its jobs' finished states.
        if (event.detail.TranscriptionJobName.startsWith(transcriptionNames)) {
          void asyncInvoke('transcodeStatus', event);
        }
      },
      onError: (name, error) => log(`transcription ${name} failed: ${error.message}`),
    }) : undefined;
    const secrets = new Map([
      ['arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/signing-key', keyPair.privateKey],
      ['arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/stripe-webhook.lambda-shared', stripeSecret],
      ['arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/stripe-api-key', stripeApiKey],
      ['arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/origin-verify', originVerify],
    ]);
    // Stripe's stand-in: Checkout Sessions, a payment page, and the signed webhook once paid.
    const stripe = new StripeStandIn({
      secretKey: stripeApiKey,
      webhookSecret: stripeSecret,
      baseUrl: url,
      log,
      deliver: async ({ payload, headers }) => {
        await handlers.webhook({ routeKey: STRIPE_WEBHOOK_ROUTE, headers, body: payload });
      },
    });
    const services: ServicesServer = await startServices({
      functions: new Map([
        ['upload-issuer', (event) => handlers.uploadIssuer(event)],
        ['transcode-submit', (event) => handlers.transcodeSubmit(event)],
      ]),
      secrets,
      invokeAsync: (name, event) => {
        const handler = { 'upload-issuer': 'uploadIssuer', 'transcode-submit': 'transcodeSubmit' }[name];
        if (handler) {
          void asyncInvoke(handler, event);
        }
      },
      putEvents: (entries) => {
        for (const entry of entries) {
          const detail = JSON.parse(entry.Detail);
          if (entry.Source === TRANSCODE_EVENT_SOURCE && detail.pipelineId === pipelineId) {
            void asyncInvoke('statusConsumer', { 'source': entry.Source, 'detail-type': entry.DetailType, detail });
          }
        }
      },
      probe: (request) => mediaconvert.probe(request),
      createJob: (request) => mediaconvert.createJob(request),
      getJob: (id) => mediaconvert.getJob(id),
      searchJobs: (query) => mediaconvert.searchJobs(query),
      invalidate: (_distributionId, paths) => edge.invalidate(paths),
      transcribe: transcribe ? (operation, request) => transcribe.handle(operation, request) : undefined,
    });
    closers.push(() => services.close());

    const pipelineSettings: PipelineSettings = {
      pipelineId,
      roleArn: 'arn:aws:iam::000000000000:role/sandbox-mediaconvert',
      sourceBucket: 'sources',
      outputBucket: 'outputs',
      plan: {
        ladder: HlsLadder.fromRungs([
          { shortSide: 240, maxBitrate: 500_000 }, { shortSide: 360, maxBitrate: 900_000 }, { shortSide: 720, maxBitrate: 2_500_000 },
        ])._toSpec(),
        segmentSeconds: 2,
        qualityTuning: 'SINGLE_PASS_HQ',
        posters: { intervalSeconds: 2, maxCaptures: 2 },
        download: false,
        trickPlay: DEFAULT_TRICK_PLAY,
        ...(automaticCaptions ? { speech: { languageCode: 'en-US', dataAccessRoleArn: 'arn:aws:iam::000000000000:role/sandbox-transcribe' } } : {}),
        overrides: [],
      },
      acceleration: 'DISABLED',
      priority: 0,
      reconcile: { stuckAfterSeconds: reconcile.stuckAfterSeconds, maxSubmitTries: 5 },
      ...(options.encryptSegments ?? true ? { encryption: { keyServerUrl: url, keysTable: 'content-keys' } } : {}),
    };
    Object.assign(process.env, {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3Server.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
      AWS_ENDPOINT_URL_LAMBDA: services.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: services.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: services.endpoint,
      AWS_ENDPOINT_URL_MEDIACONVERT: services.endpoint,
      AWS_ENDPOINT_URL_CLOUDFRONT: services.endpoint,
      AWS_ENDPOINT_URL_TRANSCRIBE: services.endpoint,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
      // SecureUploadBucket's issuer
      ...uploadSettingsToEnvironment({
        bucketName: 'sources',
        maxUploadBytes: 2 * 1024 ** 3,
        multipartThresholdBytes: options.multipart?.thresholdBytes ?? 100 * 1024 ** 2,
        partSizeBytes: options.multipart?.partSizeBytes ?? 16 * 1024 ** 2,
        allowedContentTypes: ['video/*'],
        urlExpirySeconds: 900,
      }),
      // HlsTranscodePipeline's handlers
      [TRANSCODE_ENV.settings]: JSON.stringify(pipelineSettings),
      [TRANSCODE_ENV.table]: 'jobs',
      [TRANSCODE_ENV.eventBus]: 'default',
      // EntitlementApi's handlers, and SignedCookieDistribution's signer
      [API_ENV.catalogTable]: 'catalog.lambda-shared',
      [API_ENV.entitlementsTable]: 'entitlements.lambda-shared',
      [API_ENV.issuer]: issuer,
      [API_ENV.clientId]: clientId,
      [API_ENV.uploadIssuer]: 'upload-issuer',
      [API_ENV.transcodeSubmit]: 'transcode-submit',
      [API_ENV.mediaDomain]: host,
      [API_ENV.distributionId]: 'ESANDBOXEDGE',
      [API_ENV.outputBucket]: 'outputs',
      [API_ENV.sessionSeconds]: String(options.sessionSeconds ?? 120),
      [API_ENV.sessionsTable]: 'sessions',
      [API_ENV.streamLimit]: String(options.streamLimit ?? 3),
      ...(options.encryptSegments ?? true ? { [API_ENV.contentKeysTable]: 'content-keys' } : {}),
      ...(bindToViewerIp ? {
        [API_ENV.viewerAddress]: 'cloudfront',
        [API_ENV.originVerifySecret]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/origin-verify',
      } : {}),
      [API_ENV.sameSite]: 'Strict',
      [API_ENV.metricsScope]: 'sandbox',
      [MEDIA_SIGNING_ENV.keyPairId]: keyPairId,
      [MEDIA_SIGNING_ENV.privateKeySecretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/signing-key',
      [API_ENV.stripeSecret]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/stripe-webhook.lambda-shared',
      [API_ENV.stripeApiKey]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:sandbox/stripe-api-key',
      [API_ENV.stripeApiBase]: url,
      [API_ENV.appUrl]: url,
      [API_ENV.premiumPrice]: JSON.stringify({ amount: 999, currency: 'usd', interval: 'month' }),
    });
    // Each handler reads its environment when it loads: a second sandbox in this process loads them afresh, as new containers.
    for (const name of Object.keys(require.cache).filter((path) => path.startsWith(join(root, 'assets')))) {
      delete require.cache[name];
    }
    /* eslint-disable @typescript-eslint/no-require-imports */
    handlers.uploadIssuer = require(bundle('upload/upload-issuer.lambda')).handler;
    handlers.transcodeSubmit = require(bundle('transcode/submit-job.lambda')).handler;
    handlers.transcodeStatus = require(bundle('transcode/job-status.lambda')).handler;
    handlers.transcodeReconcile = require(bundle('transcode/reconcile-jobs.lambda')).handler;
    handlers.api = require(bundle('entitlement/api.lambda')).handler;
    handlers.webhook = require(bundle('entitlement/stripe-webhook.lambda')).handler;
    handlers.statusConsumer = require(bundle('entitlement/status-consumer.lambda')).handler;
    /* eslint-enable @typescript-eslint/no-require-imports */
    onObjectCreated = (bucket, key) => {
      if (bucket === 'sources' && key.startsWith('uploads/')) {
        void asyncInvoke('transcodeSubmit', { 'source': 'aws.s3', 'detail-type': 'Object Created', 'detail': { bucket: { name: bucket }, object: { key } } });
      }
    };

    // The pipeline's scheduled check, as its EventBridge schedule invokes it.
    const reconcileTimer = setInterval(() => {
      handlers.transcodeReconcile({}).catch((error: Error) => log(`the scheduled check failed: ${error.message}`));
    }, reconcile.everySeconds * 1000);
    closers.push(() => clearInterval(reconcileTimer));

    edge.handlers = {
      api: (event) => handlers.api(event),
      webhook: (event) => handlers.webhook(event),
      sandbox: async (req, body) => {
        const path = (req.url ?? '/').split('?')[0];
        const request = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
        const own = await oidc.handle(request) ?? await stripe.handle(request);
        if (own) {
          return own;
        }
        if (path === '/config.json') {
          return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-cache' }, body: JSON.stringify(webConfig) };
        }
        return undefined;
      },
    };

    const sandbox: Sandbox = {
      url,
      minter,
      signing: { keyPairId, privateKeyPem: keyPair.privateKey, publicKeyPem: keyPair.publicKey },
      stripeSecret,
      stripe,
      edge,
      seeded: {},
      mediaconvert,
      transcribe,
      settle: async () => {
        while (mediaconvert.running.size > 0 || (transcribe?.running.size ?? 0) > 0) {
          await Promise.all([...mediaconvert.running, ...(transcribe?.running ?? [])]);
        }
      },
      close: async () => {
        for (const close of closers.reverse()) {
          await close();
        }
      },
    };
    if (options.seed ?? true) {
      sandbox.seeded.publicVideoId = await seedVideo(sandbox, 'Test pattern', 'public');
      sandbox.seeded.premiumVideoId = await seedVideo(sandbox, 'Premium test pattern', 'premium');
      sandbox.seeded.purchaseVideoId = await seedVideo(sandbox, 'Test pattern for sale', 'purchase', { amount: 199, currency: 'usd' });
    }
    return sandbox;
  } catch (error) {
    for (const close of closers.reverse()) {
      await close();
    }
    throw error;
  }
}

/** Seeding and uploads through the API, for the sandbox's own seed and for tests and benchmarks. */
export { generateClip, seedVideo, uploadAndWait } from './seed';
