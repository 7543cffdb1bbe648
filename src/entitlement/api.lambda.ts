import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { API_ENV, API_METRICS, requiredEnv } from './api-environment';
import { Authenticator } from './auth.lambda-shared';
import { Catalog } from './catalog.lambda-shared';
import { EntitlementStore } from './entitlements.lambda-shared';
import { HttpEvent, HttpResult } from './http.lambda-shared';
import { s3MediaFiles } from './media-files.lambda-shared';
import { parsePremiumOffer } from './prices.lambda-shared';
import { ApiDependencies, handleApiRequest } from './routes.lambda-shared';
import { secretString } from './secrets.lambda-shared';
import { StreamLeases } from './stream-leases.lambda-shared';
import { parseBaseUrl, StripeCheckout } from './stripe-checkout.lambda-shared';
import { UploadRequest, UploadResponse } from '../contracts/upload-messages';
import { ViewerAddressSource } from '../contracts/viewer-address';
import { MediaSigner } from '../delivery/media-signer';
import { Documents } from '../internal/documents.lambda-shared';
import { onceUntilFailure } from '../internal/once.lambda-shared';
import { ContentKeys } from '../transcode/content-keys.lambda-shared';

const env = process.env;
const documents = new Documents(new DynamoDBClient({}));
const lambda = new LambdaClient({});
const secrets = new SecretsManagerClient({});
const logger = new Logger({ serviceName: API_METRICS.service });
const metrics = new Metrics({
  namespace: API_METRICS.namespace,
  serviceName: API_METRICS.service,
  defaultDimensions: { [API_METRICS.scopeDimension]: requiredEnv(env, API_ENV.metricsScope) },
});
const authenticator = new Authenticator({
  issuer: requiredEnv(env, API_ENV.issuer),
  clientId: requiredEnv(env, API_ENV.clientId),
  jwksUri: env[API_ENV.jwksUri] || undefined,
});

async function invoke<T>(functionName: string, payload: unknown): Promise<T> {
  const answer = await lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }));
  const body = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : 'null';
  if (answer.FunctionError) {
    throw new Error(`${functionName} failed: ${answer.FunctionError}`);
  }
  return JSON.parse(body) as T;
}

const uploadIssuer = requiredEnv(env, API_ENV.uploadIssuer);
const transcodeSubmit = requiredEnv(env, API_ENV.transcodeSubmit);
const stripeApiKeyArn = env[API_ENV.stripeApiKey] || undefined;
/** An optional URL setting, checked at start-up. */
function baseUrl(name: string): string | undefined {
  const value = env[name];
  return value ? parseBaseUrl(value, name) : undefined;
}

/** The stream limit, checked at start-up: a whole number from 1, or none. */
function streamLimit(value: string | undefined): number | undefined {
  if (!value) {
    return undefined;
  }
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`${API_ENV.streamLimit} must be a whole number from 1, got ${JSON.stringify(value)}`);
  }
  return limit;
}

function viewerAddressSource(value: string | undefined): ViewerAddressSource | undefined {
  if (!value) {
    return undefined;
  }
  if (value !== 'cloudfront') {
    throw new Error(`${API_ENV.viewerAddress} must be cloudfront, got ${JSON.stringify(value)}`);
  }
  return value;
}

const outputBucket = env[API_ENV.outputBucket] || undefined;
const distributionId = env[API_ENV.distributionId] || undefined;
/** Caption and poster changes are rare: the CloudFront client loads on the first one. */
const cloudfront = onceUntilFailure(async () => {
  const { CloudFrontClient, CreateInvalidationCommand } = await import('@aws-sdk/client-cloudfront');
  return { client: new CloudFrontClient({}), CreateInvalidationCommand };
});

const deps: ApiDependencies = {
  auth: authenticator,
  catalog: new Catalog(documents, requiredEnv(env, API_ENV.catalogTable)),
  entitlements: new EntitlementStore(documents, requiredEnv(env, API_ENV.entitlementsTable)),
  uploads: (request: UploadRequest) => invoke<UploadResponse>(uploadIssuer, request),
  retryTranscode: (videoId, uploadId) => invoke(transcodeSubmit, { action: 'retry', videoId, uploadId }),
  // Removing files may take a while: the pipeline does it asynchronously, with Lambda's retries and its dead-letter queue.
  deleteVideoFiles: async (videoId) => {
    await lambda.send(new InvokeCommand({
      FunctionName: transcodeSubmit, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ action: 'delete-video', videoId })),
    }));
  },
  restoreVideoFiles: (videoId, uploadId) => invoke(transcodeSubmit, { action: 'restore-video', videoId, uploadId }),
  // The signing key is read and parsed once per container; a failed read is tried again on the next request.
  signer: onceUntilFailure(() => MediaSigner.fromEnvironment(secrets, env)),
  // The Stripe key is read once per container, as the webhook's secret is; what is logged of a failure never holds it.
  checkout: stripeApiKeyArn ? new StripeCheckout({
    secretKey: secretString(secrets, stripeApiKeyArn),
    apiBase: baseUrl(API_ENV.stripeApiBase),
    onFailure: (failure) => logger.warn('checkout session not created', { ...failure }),
  }) : undefined,
  leases: env[API_ENV.sessionsTable] ? new StreamLeases(documents, env[API_ENV.sessionsTable]!) : undefined,
  contentKeys: env[API_ENV.contentKeysTable] ? new ContentKeys(documents, env[API_ENV.contentKeysTable]!) : undefined,
  originVerifier: env[API_ENV.originVerifySecret] ? secretString(secrets, env[API_ENV.originVerifySecret]!) : undefined,
  mediaFiles: outputBucket ? s3MediaFiles(outputBucket) : undefined,
  invalidate: distributionId ? async (paths) => {
    const { client, CreateInvalidationCommand } = await cloudfront();
    await client.send(new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: { CallerReference: `api-${randomUUID()}`, Paths: { Quantity: paths.length, Items: paths } },
    }));
  } : undefined,
  settings: {
    mediaDomain: requiredEnv(env, API_ENV.mediaDomain),
    sessionSeconds: Number(requiredEnv(env, API_ENV.sessionSeconds)),
    sameSite: env[API_ENV.sameSite] === 'None' ? 'None' : 'Strict',
    appUrl: baseUrl(API_ENV.appUrl),
    premium: parsePremiumOffer(env[API_ENV.premiumPrice], API_ENV.premiumPrice),
    streamLimit: streamLimit(env[API_ENV.streamLimit]),
    viewerAddress: viewerAddressSource(env[API_ENV.viewerAddress]),
  },
  onPlayback: (outcome, reason) => {
    metrics.addMetric(outcome === 'issued' ? API_METRICS.sessionsIssued : API_METRICS.sessionsDenied, MetricUnit.Count, 1);
    if (reason) {
      logger.info('playback denied', { reason });
    }
  },
};

/** The HTTP API's routes (payload format 2.0). Logs name the route and status, never tokens or cookies. */
export async function handler(event: HttpEvent): Promise<HttpResult> {
  const started = Date.now();
  try {
    const result = await handleApiRequest(deps, event);
    logger.info('request', { routeKey: event.routeKey, statusCode: result.statusCode, ms: Date.now() - started });
    return result;
  } finally {
    if (metrics.hasStoredMetrics()) {
      metrics.publishStoredMetrics();
    }
  }
}
