import { marshall } from '@aws-sdk/util-dynamodb';
import { Identity, startIdentity } from '../../sandbox/identity/identity-server';
import { ServedStandIn, serveStripeStandIn } from '../../sandbox/stripe/stripe-stand-in';
import { API_ENV } from '../../src/entitlement/api-environment';
import type { VideoRecord } from '../../src/entitlement/catalog-model.lambda-shared';
import type { HttpEvent, HttpResult } from '../../src/entitlement/http.lambda-shared';

/**
 * The API's entry point as deployed: checkout configured only through its
 * environment, the Stripe key read from Secrets Manager once per container,
 * sessions created over HTTP (here on the sandbox's Stripe stand-in), and
 * logs that never hold the key.
 */

const stripeKey = 'sk_test_entryPointKey31337';
const keyArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:stripe-api-key';
let identity: Identity;
let served: ServedStandIn;
let output: string[] = [];
type Handler = (event: HttpEvent) => Promise<HttpResult>;

const video: VideoRecord = {
  videoId: 'video-1',
  creatorId: 'creator-1',
  title: 'For sale',
  description: '',
  access: 'purchase',
  price: { amount: 250, currency: 'usd' },
  state: 'PUBLISHED',
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  publishedAt: '2030-01-01T00:00:00.000Z#video-1',
  listing: 'published',
};

interface Container {
  readonly handler: Handler;
  /** How many times the container read the Stripe key's secret. */
  secretReads(): number;
}

/**
 * A fresh container: the entry point and its AWS clients loaded anew (the
 * clients mocked: the video is for sale, nobody is entitled) with this
 * environment and this Stripe key in Secrets Manager.
 */
function container(secret: string, extra: Record<string, string> = {}): Container {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDENTRY',
    AWS_SECRET_ACCESS_KEY: 'entry-secret',
    POWERTOOLS_METRICS_DISABLED: 'true',
    [API_ENV.catalogTable]: 'catalog',
    [API_ENV.entitlementsTable]: 'entitlements',
    [API_ENV.issuer]: identity.issuer,
    [API_ENV.clientId]: identity.clientId,
    [API_ENV.jwksUri]: identity.jwksUri,
    [API_ENV.uploadIssuer]: 'upload-issuer',
    [API_ENV.transcodeSubmit]: 'transcode-submit',
    [API_ENV.mediaDomain]: 'd111.cloudfront.net',
    [API_ENV.sessionSeconds]: '300',
    [API_ENV.metricsScope]: 'entry-test',
    [API_ENV.stripeApiKey]: keyArn,
    [API_ENV.stripeApiBase]: served.url,
    [API_ENV.premiumPrice]: '{"amount":999,"currency":"usd","interval":"month"}',
    [API_ENV.appUrl]: '',
    ...extra,
  });
  let loaded: Container | undefined;
  jest.isolateModules(() => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { mockClient } = require('aws-sdk-client-mock');
    const dynamodb = require('@aws-sdk/client-dynamodb');
    const secretsmanager = require('@aws-sdk/client-secrets-manager');
    const dynamoMock = mockClient(dynamodb.DynamoDBClient);
    dynamoMock.on(dynamodb.GetItemCommand, { TableName: 'catalog' }).resolves({ Item: marshall(video, { removeUndefinedValues: true }) });
    dynamoMock.on(dynamodb.GetItemCommand, { TableName: 'entitlements' }).resolves({});
    const secretsMock = mockClient(secretsmanager.SecretsManagerClient);
    secretsMock.on(secretsmanager.GetSecretValueCommand, { SecretId: keyArn }).resolves({ SecretString: secret });
    const { handler } = require('../../src/entitlement/api.lambda');
    /* eslint-enable @typescript-eslint/no-require-imports */
    loaded = { handler, secretReads: () => secretsMock.commandCalls(secretsmanager.GetSecretValueCommand).length };
  });
  return loaded!;
}

beforeAll(async () => {
  identity = await startIdentity();
  served = await serveStripeStandIn({ secretKey: stripeKey, webhookSecret: 'whsec_entry', deliver: async () => undefined });
});
afterAll(async () => {
  await served?.close();
  await identity?.close();
});
beforeEach(() => {
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

const buy = (handler: Handler) => handler({
  routeKey: 'POST /api/videos/{videoId}/checkout', pathParameters: { videoId: 'video-1' }, headers: { authorization: `Bearer ${identity.token('viewer-1')}` },
});

test('offers come from the environment; a checkout reads the key once and returns to the media domain by default', async () => {
  const { handler, secretReads } = container(stripeKey);
  const offers = await handler({ routeKey: 'GET /api/offers' });
  expect(JSON.parse(offers.body)).toEqual({ premium: { amount: 999, currency: 'usd', interval: 'month' }, checkout: true });
  const first = await buy(handler);
  expect(first.statusCode).toBe(201);
  const { sessionId, checkoutUrl } = JSON.parse(first.body);
  expect(checkoutUrl).toBe(`${served.url}/sandbox/stripe/checkout/${sessionId}`);
  expect(served.standIn.sessions.get(sessionId)!.session).toMatchObject({
    client_reference_id: 'viewer-1', metadata: { videoId: 'video-1' }, success_url: 'https://d111.cloudfront.net/#/watch/video-1?checkout=success',
  });
  await buy(handler);
  expect(secretReads()).toBe(1);
  expect(output.join('')).not.toContain(stripeKey);
});

test('Stripe refusing the key is a 502; the log names Stripe\'s answer and never the key', async () => {
  const wrongKey = 'sk_test_rotatedAwayKey2718';
  const { handler } = container(wrongKey, { [API_ENV.appUrl]: 'https://video.example.com/' });
  const answer = await buy(handler);
  expect(answer.statusCode).toBe(502);
  expect(JSON.parse(answer.body)).toEqual({ error: { code: 'payment-provider-error', message: expect.any(String) } });
  const logged = output.join('');
  const warning = logged.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line)).find((r) => r.message === 'checkout session not created');
  expect(warning).toMatchObject({ level: 'WARN', status: 401, type: 'invalid_request_error' });
  expect(logged).not.toContain(wrongKey);
  expect(logged).not.toContain('rotatedAwayKey');
  expect(answer.body).not.toContain('rotatedAwayKey');
});

test('without a Stripe key there is no checkout: offers say so and checkout is 503', async () => {
  const { handler, secretReads } = container(stripeKey, { [API_ENV.stripeApiKey]: '', [API_ENV.premiumPrice]: '' });
  expect(JSON.parse((await handler({ routeKey: 'GET /api/offers' })).body)).toEqual({ premium: null, checkout: false });
  expect((await buy(handler)).statusCode).toBe(503);
  expect(secretReads()).toBe(0);
});

test('a malformed setting fails the container\'s start, naming the setting', () => {
  expect(() => container(stripeKey, { [API_ENV.premiumPrice]: '{"amount":1,"currency":"usd","interval":"month"}' })).toThrow(/^PREMIUM_PRICE/);
  expect(() => container(stripeKey, { [API_ENV.appUrl]: 'http://video.example.com' })).toThrow(/^APP_URL/);
  expect(() => container(stripeKey, { [API_ENV.stripeApiBase]: 'api.stripe.com' })).toThrow(/^STRIPE_API_BASE_URL/);
});
