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
  STRIPE_API_VERSION,
  StripeCheckout,
  StripeCheckoutOptions,
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
  served.standIn.failNext(0);
  served.standIn.latencyMs = 0;
  tables += 1;
  await db.createTableWithIndexes(`checkout-entitlements-${tables}`, ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });
  store = new EntitlementStore(db.documents, `checkout-entitlements-${tables}`);
  failures.length = 0;
  webhookAnswers.length = 0;
});

const checkout = (key = secretKey, apiBase = served.url, more: Partial<StripeCheckoutOptions> = {}) => new StripeCheckout({
  secretKey: async () => key, apiBase, onFailure: (f) => failures.push(f), ...more,
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

  test('the request is the documented one: a form POST with the key as Bearer token, an idempotency key and a pinned API version', async () => {
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
      headers: {
        'authorization': `Bearer ${secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': expect.stringMatching(/^checkout-/),
        'stripe-version': STRIPE_API_VERSION,
      },
    });
    expect(seen[0].body).toContain('line_items[0][price_data][recurring][interval]=month');
    expect(parseStripeForm(seen[0].body)).toMatchObject({ mode: 'subscription', client_reference_id: 'viewer-2', subscription_data: { metadata: { userId: 'viewer-2' } } });
  });
});

describe('the API version and Stripe\'s failures', () => {
  test('every request names the pinned API version, one whose subscriptions the webhook handler reads', async () => {
    // From 2025-03-31.basil a subscription's period end is on its items, where the handler looks when the subscription has none.
    expect(STRIPE_API_VERSION).toMatch(/^\d{4}-\d{2}-\d{2}\.[a-z]+$/);
    expect(STRIPE_API_VERSION >= '2025-03-31').toBe(true);
    const session = await checkout().createSession({ ...premium, userId: 'viewer-version' }, new Date());
    expect(served.standIn.apiVersions.get(session.sessionId)).toBe(STRIPE_API_VERSION);
  });

  test('the stand-in refuses a Stripe-Version that names no version, as Stripe does', async () => {
    const answer = await fetch(`${served.url}/v1/checkout/sessions/cs_test_none`, { headers: { 'authorization': `Bearer ${secretKey}`, 'stripe-version': 'latest' } });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toMatch(/Invalid Stripe API version/);
  });

  test('after a 500, which Stripe saves under the key, the next try sends another key and gets a session', async () => {
    const buyer = { ...video, userId: 'viewer-outage' };
    const now = new Date('2030-06-01T10:00:00Z');
    served.standIn.failNext(1);
    await expect(checkout().createSession(buyer, now)).rejects.toBeInstanceOf(PaymentProviderError);
    expect(failures).toEqual([expect.objectContaining({ status: 500, type: 'api_error' })]);
    // The stand-in answers the saved 500 again to the first key, as Stripe does for 24 hours.
    const firstKey = checkoutIdempotencyKey(buyer, encodeStripeForm(checkoutSessionForm(buyer)), now);
    const replayed = await fetch(`${served.url}/v1/checkout/sessions`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${secretKey}`, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': firstKey },
      body: encodeStripeForm(checkoutSessionForm(buyer)),
    });
    expect([replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([500, 'true']);

    const later = await checkout().createSession(buyer, new Date(now.getTime() + 30_000));
    expect(served.standIn.sessions.has(later.sessionId)).toBe(true);
    // Once it worked, a double click is one session again.
    expect(await checkout().createSession(buyer, new Date(now.getTime() + 31_000))).toEqual(later);
    expect(failures).toHaveLength(1);
  });

  test('after no answer, the next try sends another key', async () => {
    const buyer = { ...premium, userId: 'viewer-unreachable' };
    const now = new Date('2030-06-01T11:00:00Z');
    const keys: string[] = [];
    let calls = 0;
    const flaky: typeof fetch = async (input, init) => {
      keys.push(String((init?.headers as Record<string, string>)['idempotency-key']));
      calls += 1;
      if (calls === 1) {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      }
      return fetch(input, init);
    };
    await expect(checkout(secretKey, served.url, { fetch: flaky }).createSession(buyer, now)).rejects.toBeInstanceOf(PaymentProviderError);
    expect(failures.at(-1)).toMatchObject({ message: 'no answer from Stripe: TypeError (ECONNRESET)' });
    const session = await checkout(secretKey, served.url, { fetch: flaky }).createSession(buyer, new Date(now.getTime() + 5_000));
    expect(served.standIn.sessions.has(session.sessionId)).toBe(true);
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
    expect(keys[1]).toMatch(/^checkout-[0-9a-f]{64}$/);
  });

  test('a refusal (4xx) keeps the key: the same request again is answered as before', async () => {
    const buyer = { ...video, userId: 'viewer-refused', price: { amount: 10, currency: 'eur' } };
    const now = new Date('2030-06-01T12:00:00Z');
    const keys: string[] = [];
    const recording: typeof fetch = async (input, init) => {
      keys.push(String((init?.headers as Record<string, string>)['idempotency-key']));
      return fetch(input, init);
    };
    await expect(checkout(secretKey, served.url, { fetch: recording }).createSession(buyer, now)).rejects.toBeInstanceOf(PaymentProviderError);
    await expect(checkout(secretKey, served.url, { fetch: recording }).createSession(buyer, now)).rejects.toBeInstanceOf(PaymentProviderError);
    expect(keys[1]).toBe(keys[0]);
  });

  test('a double click whose requests overlap is one session: the one refused 409 "in use" tries once more', async () => {
    served.standIn.latencyMs = 150;
    const buyer = { ...video, userId: 'viewer-double-click' };
    const now = new Date('2030-06-01T13:00:00Z');
    const click = () => checkout(secretKey, served.url, { conflictRetryMs: 400 }).createSession(buyer, now);
    const [first, second] = await Promise.all([click(), new Promise((resolve) => setTimeout(resolve, 20)).then(click)]);
    expect(second).toEqual(first);
    expect(failures).toEqual([]);
  });

  test('a key still in use after the second try is a PaymentProviderError', async () => {
    served.standIn.latencyMs = 1_000;
    const buyer = { ...video, userId: 'viewer-slow' };
    const now = new Date('2030-06-01T14:00:00Z');
    const slow = checkout().createSession(buyer, now);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(checkout(secretKey, served.url, { conflictRetryMs: 50 }).createSession(buyer, now)).rejects.toBeInstanceOf(PaymentProviderError);
    expect(failures).toEqual([expect.objectContaining({ status: 409, type: 'idempotency_error' })]);
    await slow;
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
