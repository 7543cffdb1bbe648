import Stripe from 'stripe';
import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { EntitlementStore } from '../../src/entitlement/entitlements.lambda-shared';
import { HttpEvent } from '../../src/entitlement/http.lambda-shared';
import { ENTITLEMENT_INDEXES } from '../../src/entitlement/schema';
import { handleStripeWebhook, verifyStripeSignature } from '../../src/entitlement/stripe-webhook.lambda-shared';

/**
 * The webhook verifier and handler, with every signature made by Stripe's own
 * SDK, and entitlements on dynalite.
 */

const stripe = new Stripe('sk_test_not_used');
const secret = 'whsec_test_secret_for_the_endpoint';
let db: LocalDynamoDB;
let store: EntitlementStore;
let tables = 0;

beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(() => db?.close());
beforeEach(async () => {
  tables += 1;
  await db.createTableWithIndexes(`webhook-entitlements-${tables}`, ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });
  store = new EntitlementStore(db.documents, `webhook-entitlements-${tables}`);
});

let eventCounter = 0;
function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_test${++eventCounter}`) {
  return { id, object: 'event', type, data: { object } };
}

function delivery(payload: string, options: { timestamp?: number; signingSecret?: string; base64?: boolean; header?: string } = {}): HttpEvent {
  const signature = options.header ?? stripe.webhooks.generateTestHeaderString({
    payload, secret: options.signingSecret ?? secret, timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
  });
  return {
    routeKey: 'POST /api/webhooks/stripe',
    headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
    body: options.base64 ? Buffer.from(payload).toString('base64') : payload,
    isBase64Encoded: options.base64 ?? false,
  };
}

const deps = () => ({ entitlements: store, secret: async () => secret });
const send = async (event: object, options = {}) => {
  const result = await handleStripeWebhook(deps(), delivery(JSON.stringify(event), options));
  return { statusCode: result.statusCode, json: JSON.parse(result.body) };
};

describe('signature', () => {
  const payload = JSON.stringify(stripeEvent('ping', {}));
  const now = new Date();

  test('a signature made by the Stripe SDK verifies', () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(now.getTime() / 1000) });
    expect(() => verifyStripeSignature(payload, header, secret, now)).not.toThrow();
    // The SDK's own verifier agrees on the same header.
    expect(stripe.webhooks.constructEvent(payload, header, secret).type).toBe('ping');
  });

  test.each<[string, () => string | undefined, string]>([
    ['by another secret', () => stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_other' }), 'invalid-signature'],
    ['over another payload', () => stripe.webhooks.generateTestHeaderString({ payload: `${payload} `, secret }), 'invalid-signature'],
    ['more than five minutes old', () => stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(now.getTime() / 1000) - 301 }), 'stale-signature'],
    ['from the future', () => stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(now.getTime() / 1000) + 301 }), 'stale-signature'],
    ['missing', () => undefined, 'invalid-signature'],
    ['without v1', () => `t=${Math.floor(now.getTime() / 1000)},v0=abc`, 'invalid-signature'],
  ])('a signature %s is refused', (_name, header, code) => {
    expect(() => verifyStripeSignature(payload, header(), secret, now)).toThrow(expect.objectContaining({ statusCode: 400, code }));
  });
});

describe('events', () => {
  test('a completed checkout for a video grants that video; a refund revokes it', async () => {
    expect(await send(stripeEvent('checkout.session.completed', {
      payment_status: 'paid', mode: 'payment', client_reference_id: 'viewer-1', metadata: { videoId: 'video-9' }, payment_intent: 'pi_123',
    }))).toEqual({ statusCode: 200, json: { received: true, applied: 'purchase granted' } });
    expect(await store.isEntitled('viewer-1', 'video-9', 'purchase', new Date())).toBe(true);
    expect(await send(stripeEvent('charge.refunded', { payment_intent: 'pi_123' }))).toMatchObject({ json: { applied: 'revoked 1' } });
    expect(await store.isEntitled('viewer-1', 'video-9', 'purchase', new Date())).toBe(false);
  });

  test('a subscription checkout grants premium, an update extends it, a cancellation revokes it', async () => {
    await send(stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'subscription', client_reference_id: 'viewer-2', subscription: 'sub_1' }));
    expect(await store.isEntitled('viewer-2', 'any-video', 'premium', new Date())).toBe(true);
    const periodEnd = Math.floor(Date.now() / 1000) + 90 * 86400;
    await send(stripeEvent('customer.subscription.updated', { id: 'sub_1', status: 'active', metadata: { userId: 'viewer-2' }, current_period_end: periodEnd }));
    expect((await store.list('viewer-2'))[0]).toMatchObject({ entitlementId: 'premium', expiresAt: new Date(periodEnd * 1000).toISOString(), paymentRef: 'sub_1' });
    await send(stripeEvent('customer.subscription.deleted', { id: 'sub_1' }));
    expect(await store.list('viewer-2')).toEqual([]);
  });

  test('a replayed event changes nothing, even after what it granted was revoked', async () => {
    const purchase = stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'payment', client_reference_id: 'viewer-3', metadata: { videoId: 'v3' }, payment_intent: 'pi_3' });
    await send(purchase);
    await store.revoke('viewer-3', 'video#v3');
    expect(await send(purchase)).toEqual({ statusCode: 200, json: { received: true, duplicate: true } });
    expect(await store.list('viewer-3')).toEqual([]);
  });

  test('a delivery that failed midway is finished by Stripe\'s retry', async () => {
    const purchase = stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'payment', client_reference_id: 'viewer-4', metadata: { videoId: 'v4' } });
    const grant = jest.spyOn(store, 'grant').mockRejectedValueOnce(new Error('throttled'));
    await expect(send(purchase)).rejects.toThrow('throttled');
    expect(await send(purchase)).toMatchObject({ statusCode: 200, json: { applied: 'purchase granted' } });
    expect(grant).toHaveBeenCalledTimes(2);
    expect(await send(purchase)).toMatchObject({ json: { duplicate: true } });
  });

  test('a base64-encoded body is verified on its decoded bytes', async () => {
    expect(await send(stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'payment', client_reference_id: 'viewer-5', metadata: { videoId: 'v5' } }), { base64: true }))
      .toMatchObject({ statusCode: 200, json: { applied: 'purchase granted' } });
  });

  test.each([
    ['an unknown event type', stripeEvent('invoice.created', {}), 'ignored: not an event this platform acts on'],
    ['a checkout without a user', stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'payment', metadata: { videoId: 'v' } }), 'ignored: no client_reference_id'],
    ['a checkout of something else', stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'payment', client_reference_id: 'u' }), 'ignored: neither a subscription nor a video purchase'],
    ['a past-due subscription', stripeEvent('customer.subscription.updated', { id: 'sub_9', status: 'past_due', metadata: { userId: 'u' }, current_period_end: 1 }), 'ignored: not an active subscription of a known user'],
  ])('%s is acknowledged and changes nothing', async (_name, event, applied) => {
    expect(await send(event)).toEqual({ statusCode: 200, json: { received: true, applied } });
    expect(await store.list('u')).toEqual([]);
  });

  test('a paid checkout with no payment required (a full discount, a free trial) grants as a paid one does', async () => {
    expect(await send(stripeEvent('checkout.session.completed', {
      payment_status: 'no_payment_required', mode: 'payment', client_reference_id: 'viewer-7', metadata: { videoId: 'v7' },
    }))).toMatchObject({ statusCode: 200, json: { applied: 'purchase granted' } });
    expect(await store.isEntitled('viewer-7', 'v7', 'purchase', new Date())).toBe(true);
  });

  test('a bad signature, a stale one, or a body that is not an event gets a 400 and changes nothing', async () => {
    const event = stripeEvent('checkout.session.completed', { payment_status: 'paid', mode: 'payment', client_reference_id: 'viewer-6', metadata: { videoId: 'v6' } });
    expect(await send(event, { signingSecret: 'whsec_attacker' })).toMatchObject({ statusCode: 400, json: { error: { code: 'invalid-signature' } } });
    expect(await send(event, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).toMatchObject({ statusCode: 400, json: { error: { code: 'stale-signature' } } });
    const notJson = await handleStripeWebhook(deps(), delivery('not json'));
    expect(notJson.statusCode).toBe(400);
    const noId = await handleStripeWebhook(deps(), delivery(JSON.stringify({ type: 'x', data: { object: {} } })));
    expect(JSON.parse(noId.body).error.code).toBe('invalid-event');
    expect(await store.list('viewer-6')).toEqual([]);
  });
});

/**
 * Delayed payment methods (bank debits, vouchers): Checkout completes with
 * `payment_status: 'unpaid'`, and Stripe later sends
 * `checkout.session.async_payment_succeeded` or `..._failed` for the same
 * session (https://docs.stripe.com/checkout/fulfillment).
 */
describe('payments that settle later', () => {
  const purchaseSession = (userId: string, videoId: string, payment_status: string) => ({
    id: `cs_test_${userId}`, object: 'checkout.session', mode: 'payment', client_reference_id: userId, metadata: { videoId }, payment_intent: `pi_${userId}`, payment_status,
  });
  const subscriptionSession = (userId: string, payment_status: string) => ({
    id: `cs_test_${userId}`, object: 'checkout.session', mode: 'subscription', client_reference_id: userId, subscription: `sub_${userId}`, payment_status,
  });

  test('a completed checkout not yet paid grants nothing and is acknowledged, so Stripe does not retry', async () => {
    const completed = stripeEvent('checkout.session.completed', purchaseSession('viewer-10', 'v10', 'unpaid'));
    const answer = await send(completed);
    expect(answer).toEqual({ statusCode: 200, json: { received: true, applied: expect.stringMatching(/^ignored: /) } });
    expect(answer.json.applied).toContain('unpaid');
    expect(await store.list('viewer-10')).toEqual([]);
    expect(await store.isEntitled('viewer-10', 'v10', 'purchase', new Date())).toBe(false);
    // Recorded as handled: its replay is a duplicate.
    expect(await send(completed)).toEqual({ statusCode: 200, json: { received: true, duplicate: true } });
    expect(await store.list('viewer-10')).toEqual([]);
  });

  test('an unpaid subscription checkout grants no premium', async () => {
    expect(await send(stripeEvent('checkout.session.completed', subscriptionSession('viewer-11', 'unpaid')))).toMatchObject({ statusCode: 200, json: { applied: expect.stringMatching(/^ignored: /) } });
    expect(await store.isEntitled('viewer-11', 'any-video', 'premium', new Date())).toBe(false);
  });

  test('a completed checkout without a payment status grants nothing', async () => {
    const { payment_status: _unused, ...session } = purchaseSession('viewer-12', 'v12', 'paid');
    expect(await send(stripeEvent('checkout.session.completed', session))).toMatchObject({ statusCode: 200, json: { applied: expect.stringMatching(/^ignored: /) } });
    expect(await store.list('viewer-12')).toEqual([]);
  });

  test('the delayed payment succeeding grants exactly what a paid checkout grants', async () => {
    await send(stripeEvent('checkout.session.completed', purchaseSession('viewer-13', 'v13', 'unpaid')));
    const succeeded = stripeEvent('checkout.session.async_payment_succeeded', purchaseSession('viewer-13', 'v13', 'paid'));
    expect(await send(succeeded)).toEqual({ statusCode: 200, json: { received: true, applied: 'purchase granted' } });
    await send(stripeEvent('checkout.session.completed', purchaseSession('viewer-14', 'v13', 'paid')));
    const [delayed] = await store.list('viewer-13');
    const [immediate] = await store.list('viewer-14');
    // The same record but for who, when, by which event and which payment.
    const comparable = ({ userId: _u, grantedAt: _t, grantedBy: _g, paymentRef: _p, ...rest }: Record<string, unknown>) => rest;
    expect(comparable(delayed as any)).toEqual(comparable(immediate as any));
    expect(delayed).toMatchObject({ entitlementId: 'video#v13', paymentRef: 'pi_viewer-13', grantedBy: `stripe:${succeeded.id}` });
    expect(await store.isEntitled('viewer-13', 'v13', 'purchase', new Date())).toBe(true);
    // What it granted is revoked by a refund, as a card payment's is.
    expect(await send(stripeEvent('charge.refunded', { payment_intent: 'pi_viewer-13' }))).toMatchObject({ json: { applied: 'revoked 1' } });
    expect(await store.isEntitled('viewer-13', 'v13', 'purchase', new Date())).toBe(false);
    // Its replay changes nothing, not even after the refund.
    expect(await send(succeeded)).toEqual({ statusCode: 200, json: { received: true, duplicate: true } });
    expect(await store.list('viewer-13')).toEqual([]);
  });

  test('a subscription paid by a delayed method gets premium when the payment succeeds', async () => {
    await send(stripeEvent('checkout.session.completed', subscriptionSession('viewer-15', 'unpaid')));
    expect(await store.isEntitled('viewer-15', 'any-video', 'premium', new Date())).toBe(false);
    expect(await send(stripeEvent('checkout.session.async_payment_succeeded', subscriptionSession('viewer-15', 'paid')))).toMatchObject({ json: { applied: 'premium granted' } });
    expect(await store.isEntitled('viewer-15', 'any-video', 'premium', new Date())).toBe(true);
    expect((await store.list('viewer-15'))[0]).toMatchObject({ entitlementId: 'premium', paymentRef: 'sub_viewer-15' });
  });

  test('the delayed payment failing grants nothing; neither does its replay', async () => {
    await send(stripeEvent('checkout.session.completed', purchaseSession('viewer-16', 'v16', 'unpaid')));
    const failed = stripeEvent('checkout.session.async_payment_failed', purchaseSession('viewer-16', 'v16', 'unpaid'));
    expect(await send(failed)).toEqual({ statusCode: 200, json: { received: true, applied: expect.stringMatching(/^ignored: /) } });
    expect(await send(failed)).toEqual({ statusCode: 200, json: { received: true, duplicate: true } });
    expect(await store.list('viewer-16')).toEqual([]);
    await send(stripeEvent('checkout.session.async_payment_failed', subscriptionSession('viewer-16', 'unpaid')));
    expect(await store.list('viewer-16')).toEqual([]);
  });

  test('a failed delayed payment leaves an earlier purchase of the same video in place', async () => {
    await send(stripeEvent('checkout.session.completed', purchaseSession('viewer-17', 'v17', 'paid')));
    await send(stripeEvent('checkout.session.async_payment_failed', { ...purchaseSession('viewer-17', 'v17', 'unpaid'), id: 'cs_test_second', payment_intent: 'pi_second' }));
    expect(await store.isEntitled('viewer-17', 'v17', 'purchase', new Date())).toBe(true);
  });
});
