import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalDynamoDB, startLocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { parseStripeForm, ServedStandIn, serveStripeStandIn, WebhookDelivery } from '../../sandbox/stripe/stripe-stand-in';
import { STRIPE_WEBHOOK_ROUTE } from '../../src/entitlement/api-routes';
import { EntitlementStore } from '../../src/entitlement/entitlements.lambda-shared';
import { ENTITLEMENT_INDEXES } from '../../src/entitlement/schema';
import { secretString } from '../../src/entitlement/secrets.lambda-shared';
import {
  checkoutIdempotencyKey,
  checkoutSessionForm,
  CheckoutUnavailableError,
  encodeStripeForm,
  maskKeys,
  parseBaseUrl,
  PaymentProviderError,
  PremiumCheckoutRequest,
  StripeCheckout,
  StripeFailure,
  VideoCheckoutRequest,
} from '../../src/entitlement/stripe-checkout.lambda-shared';
import { handleStripeWebhook } from '../../src/entitlement/stripe-webhook.lambda-shared';

/**
 * The checkout module over real local HTTP against the sandbox's Stripe
 * stand-in, and what a paid checkout grants once its webhook event reaches
 * the platform's webhook handler (entitlements on dynalite).
 */

const secretKey = 'sk_test_checkoutModuleKey4242';
const webhookSecret = 'whsec_checkoutModuleEndpoint';
let served: ServedStandIn;
let db: LocalDynamoDB;
let store: EntitlementStore;
let tables = 0;
const failures: StripeFailure[] = [];
const webhookAnswers: Array<{ statusCode: number; body: string }> = [];

beforeAll(async () => {
  db = await startLocalDynamoDB();
  served = await serveStripeStandIn({
    secretKey,
    webhookSecret,
    // The event goes to the platform's webhook handler, as Stripe would POST it.
    deliver: async ({ payload, headers }: WebhookDelivery) => {
      webhookAnswers.push(await handleStripeWebhook({ entitlements: store, secret: async () => webhookSecret }, {
        routeKey: STRIPE_WEBHOOK_ROUTE, headers, body: payload,
      }));
    },
  });
});
afterAll(async () => {
  await served?.close();
  await db?.close();
});
beforeEach(async () => {
  tables += 1;
  await db.createTableWithIndexes(`checkout-entitlements-${tables}`, ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });
  store = new EntitlementStore(db.documents, `checkout-entitlements-${tables}`);
  failures.length = 0;
  webhookAnswers.length = 0;
});

const checkout = (key = secretKey, apiBase = served.url) => new StripeCheckout({
  secretKey: async () => key, apiBase, onFailure: (f) => failures.push(f),
});

const video: VideoCheckoutRequest = {
  mode: 'payment',
  userId: 'viewer-1',
  videoId: 'video-7',
  title: 'Night train',
  price: { amount: 350, currency: 'eur' },
  successUrl: 'https://app.example/#/watch/video-7?checkout=success',
  cancelUrl: 'https://app.example/#/watch/video-7?checkout=cancelled',
};
const premium: PremiumCheckoutRequest = {
  mode: 'subscription',
  userId: 'viewer-2',
  offer: { amount: 999, currency: 'usd', interval: 'month' },
  successUrl: 'https://app.example/#/?checkout=success',
  cancelUrl: 'https://app.example/#/?checkout=cancelled',
};

async function pay(checkoutUrl: string): Promise<Response> {
  return fetch(`${checkoutUrl}/pay`, { method: 'POST', redirect: 'manual' });
}

describe('creating sessions', () => {
  test('a video\'s session is a one-time payment carrying the buyer and the video', async () => {
    const session = await checkout().createSession(video, new Date());
    expect(session.checkoutUrl).toBe(`${served.url}/sandbox/stripe/checkout/${session.sessionId}`);
    const stored = served.standIn.sessions.get(session.sessionId)!;
    expect(stored.session).toMatchObject({
      mode: 'payment',
      client_reference_id: 'viewer-1',
      metadata: { videoId: 'video-7', userId: 'viewer-1' },
      success_url: video.successUrl,
      cancel_url: video.cancelUrl,
      amount_total: 350,
      currency: 'eur',
    });
    expect(stored.lineItems).toEqual([{ name: 'Night train', currency: 'eur', unitAmount: 350, quantity: 1 }]);
    expect(stored.paymentIntentMetadata).toEqual({ videoId: 'video-7', userId: 'viewer-1' });
  });

  test('premium is a subscription at the offer\'s price and interval, whose subscription names the user', async () => {
    const session = await checkout().createSession(premium, new Date());
    const stored = served.standIn.sessions.get(session.sessionId)!;
    expect(stored.session).toMatchObject({ mode: 'subscription', client_reference_id: 'viewer-2', amount_total: 999, currency: 'usd' });
    expect(stored.lineItems).toEqual([{ name: 'Premium membership', currency: 'usd', unitAmount: 999, quantity: 1, recurring: { interval: 'month' } }]);
    // customer.subscription.updated events are matched to the user by the subscription's metadata.
    expect(stored.subscriptionMetadata).toEqual({ userId: 'viewer-2' });
  });

  test('a double click is one session; a new window, another buyer or another price is a new one', async () => {
    const now = new Date('2030-05-05T10:00:00Z');
    const first = await checkout().createSession(video, now);
    const second = await checkout().createSession(video, new Date(now.getTime() + 1000));
    expect(second).toEqual(first);
    const later = await checkout().createSession(video, new Date(now.getTime() + 11 * 60_000));
    expect(later.sessionId).not.toBe(first.sessionId);
    const otherBuyer = await checkout().createSession({ ...video, userId: 'viewer-9' }, now);
    expect(otherBuyer.sessionId).not.toBe(first.sessionId);
    // The price is part of the key: a changed price is a new session, not Stripe's idempotency error.
    const repriced = await checkout().createSession({ ...video, price: { amount: 400, currency: 'eur' } }, now);
    expect(repriced.sessionId).not.toBe(first.sessionId);
    expect(failures).toEqual([]);
  });

  test('the idempotency key is within Stripe\'s 255 characters and holds nothing readable', () => {
    const body = encodeStripeForm(checkoutSessionForm(video));
    const key = checkoutIdempotencyKey(video, body, new Date());
    expect(key).toMatch(/^checkout-[0-9a-f]{64}$/);
    expect(key).not.toContain('viewer-1');
  });

  test('a wrong key is a PaymentProviderError; what is logged has Stripe\'s error and no key', async () => {
    const wrongKey = 'sk_test_notTheRightKey5555';
    await expect(checkout(wrongKey).createSession(video, new Date())).rejects.toBeInstanceOf(PaymentProviderError);
    expect(failures).toEqual([expect.objectContaining({ status: 401, type: 'invalid_request_error', message: expect.any(String), requestId: expect.stringMatching(/^req_/) })]);
    const logged = JSON.stringify(failures);
    expect(logged).not.toContain(wrongKey);
    expect(logged).not.toContain('notTheRightKey');
    expect(logged).not.toContain(secretKey);
  });

  test('a refusal of the request is logged with its parameter', async () => {
    await expect(checkout().createSession({ ...video, price: { amount: 10, currency: 'eur' } }, new Date())).rejects.toBeInstanceOf(PaymentProviderError);
    expect(failures).toEqual([expect.objectContaining({ status: 400, code: 'amount_too_small' })]);
  });

  test('a secret that holds no secret key makes checkout unavailable, without a request', async () => {
    for (const value of ['', 'pk_test_publishableKey', 'whsec_x', 'sk_test_ with space']) {
      await expect(checkout(value).createSession(video, new Date())).rejects.toBeInstanceOf(CheckoutUnavailableError);
    }
    expect(JSON.stringify(failures)).not.toContain('publishableKey');
  });

  test('no answer, an answer that is not JSON, or one without a session is a PaymentProviderError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(checkout(secretKey, closedUrl).createSession(video, new Date())).rejects.toBeInstanceOf(PaymentProviderError);
    expect(failures.at(-1)).toMatchObject({ message: expect.stringMatching(/^no answer from Stripe/) });
    expect(failures.at(-1)!.status).toBeUndefined();

    for (const [status, body] of [[500, '<html>oops</html>'], [200, '{"id":"cs_1"}'], [200, '{"id":"cs_1","url":"javascript:alert(1)"}']] as const) {
      const server: Server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'text/html' }).end(body));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await expect(checkout(secretKey, url).createSession(video, new Date())).rejects.toBeInstanceOf(PaymentProviderError);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('the request is the documented one: a form POST with the key as Bearer token and an idempotency key', async () => {
    const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => body += chunk);
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"cs_test_1","url":"https://checkout.stripe.com/c/pay/cs_test_1"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    expect(await checkout(secretKey, url).createSession(premium, new Date())).toEqual({ sessionId: 'cs_test_1', checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_test_1' });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/checkout/sessions',
      headers: { 'authorization': `Bearer ${secretKey}`, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': expect.stringMatching(/^checkout-/) },
    });
    expect(seen[0].body).toContain('line_items[0][price_data][recurring][interval]=month');
    expect(parseStripeForm(seen[0].body)).toMatchObject({ mode: 'subscription', client_reference_id: 'viewer-2', subscription_data: { metadata: { userId: 'viewer-2' } } });
  });
});

describe('a paid checkout grants what it bought, through the webhook', () => {
  test('a paid video checkout grants that video, and a refund of its payment would revoke it', async () => {
    const session = await checkout().createSession(video, new Date());
    expect(await store.isEntitled('viewer-1', 'video-7', 'purchase', new Date())).toBe(false);
    const paid = await pay(session.checkoutUrl);
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(video.successUrl);
    expect(webhookAnswers.map((a) => [a.statusCode, JSON.parse(a.body)])).toEqual([[200, { received: true, applied: 'purchase granted' }]]);
    expect(await store.isEntitled('viewer-1', 'video-7', 'purchase', new Date())).toBe(true);
    expect(await store.isEntitled('viewer-1', 'video-8', 'purchase', new Date())).toBe(false);
    const [grant] = await store.list('viewer-1');
    const paymentIntent = served.standIn.sessions.get(session.sessionId)!.session.payment_intent;
    expect(grant).toMatchObject({ entitlementId: 'video#video-7', paymentRef: paymentIntent, grantedBy: `stripe:${served.standIn.events.at(-1)!.id}` });
  });

  test('a paid premium checkout grants premium, tied to its subscription', async () => {
    const session = await checkout().createSession(premium, new Date());
    await pay(session.checkoutUrl);
    expect(JSON.parse(webhookAnswers[0].body)).toEqual({ received: true, applied: 'premium granted' });
    expect(await store.hasPremium('viewer-2', new Date())).toBe(true);
    const [grant] = await store.list('viewer-2');
    expect(grant).toMatchObject({ entitlementId: 'premium', paymentRef: served.standIn.sessions.get(session.sessionId)!.session.subscription });
  });

  test('a cancelled checkout grants nothing', async () => {
    const session = await checkout().createSession(video, new Date());
    const cancelled = await fetch(`${session.checkoutUrl}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(cancelled.headers.get('location')).toBe(video.cancelUrl);
    expect(webhookAnswers).toEqual([]);
    expect(await store.list('viewer-1')).toEqual([]);
  });
});

describe('settings and secrets', () => {
  test('the secret key is read from Secrets Manager once per container', async () => {
    const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const secrets = mockClient(client);
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: secretKey });
    const read = secretString(client, 'arn:aws:secretsmanager:us-east-1:1:secret:stripe');
    await expect(read()).rejects.toThrow('throttled');
    expect(await read()).toBe(secretKey);
    expect(await read()).toBe(secretKey);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  test.each([
    ['https://d111.cloudfront.net', 'https://d111.cloudfront.net'],
    ['https://video.example.com/', 'https://video.example.com'],
    ['https://example.com/app/', 'https://example.com/app'],
    ['http://localhost:8080', 'http://localhost:8080'],
    ['http://127.0.0.1:9/', 'http://127.0.0.1:9'],
  ])('%s is a base URL', (setting, expected) => {
    expect(parseBaseUrl(setting, 'APP_URL')).toBe(expected);
  });

  test.each(['http://example.com', 'example.com', 'https://example.com/?x=1', 'https://example.com/#/', 'ftp://example.com', 'https://user@example.com'])(
    '%s is refused at start-up', (setting) => {
      expect(() => parseBaseUrl(setting, 'APP_URL')).toThrow(/^APP_URL must be an https URL/);
    });

  test('keys and signing secrets are masked wherever they show up', () => {
    expect(maskKeys('Invalid API Key provided: sk_live_abcDEF123 and rk_test_x and whsec_abc')).toBe('Invalid API Key provided: sk_live_*** and rk_test_*** and whsec_***');
  });

  test('the form encodes every character a title may hold, and Stripe\'s parser reads it back', () => {
    const title = 'Cats & dogs = 100% [live] + \u{1F408} \'quoted\' (1)';
    const body = encodeStripeForm(checkoutSessionForm({ ...video, title }));
    expect(body).toContain('line_items[0][price_data][product_data][name]=');
    expect(parseStripeForm(body)).toMatchObject({ line_items: [{ price_data: { product_data: { name: title } } }] });
  });
});
