import Stripe from 'stripe';
import { parseStripeForm, ServedStandIn, serveStripeStandIn, StripeStandIn, WebhookDelivery } from '../../sandbox/stripe/stripe-stand-in';
import { checkoutSessionForm, encodeStripeForm, VideoCheckoutRequest } from '../../src/entitlement/stripe-checkout.lambda-shared';

/**
 * The sandbox's Stripe stand-in: its API checked with requests made by
 * Stripe's own SDK and by the platform's form encoder, its payment page,
 * and the webhook events it signs, verified by the SDK.
 */

const secretKey = 'sk_test_standInSecretKey1234';
const webhookSecret = 'whsec_standInEndpointSecret';
const stripe = new Stripe('sk_test_unused');
let served: ServedStandIn;
let standIn: StripeStandIn;
const deliveries: WebhookDelivery[] = [];

beforeAll(async () => {
  served = await serveStripeStandIn({ secretKey, webhookSecret, deliver: async (delivery) => void deliveries.push(delivery) });
  standIn = served.standIn;
});
afterAll(() => served?.close());
beforeEach(() => {
  deliveries.length = 0;
});

const video: VideoCheckoutRequest = {
  mode: 'payment',
  userId: 'viewer-1',
  videoId: 'video-1',
  title: 'A film & <its> "title"',
  price: { amount: 499, currency: 'usd' },
  successUrl: 'http://localhost:8080/#/watch/video-1?checkout=success',
  cancelUrl: 'http://localhost:8080/#/watch/video-1?checkout=cancelled',
};

async function post(body: string, headers: Record<string, string> = {}) {
  const result = await standIn.handle({
    method: 'POST', url: '/v1/checkout/sessions', headers: { 'authorization': `Bearer ${secretKey}`, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body,
  });
  return { ...result!, json: JSON.parse(result!.body) };
}

const form = (fields: Array<[string, string]>) => encodeStripeForm(fields);

describe('the form, parsed as Stripe parses it', () => {
  test('brackets nest, indexes make arrays, + is a space, encoded brackets read the same', () => {
    expect(parseStripeForm('a[b][0][c]=1&a[b][1][c]=x+y&a%5Bd%5D=%26&e[]=p&e[]=q&f=')).toEqual({
      a: { b: [{ c: '1' }, { c: 'x y' }], d: '&' }, e: ['p', 'q'], f: '',
    });
  });

  test('a form made by Stripe\'s SDK and one made by the platform\'s encoder are the same session', async () => {
    const sdk = new Stripe(secretKey, { host: '127.0.0.1', port: Number(new URL(served.url).port), protocol: 'http', maxNetworkRetries: 0 });
    const bySdk = await sdk.checkout.sessions.create({
      mode: 'payment',
      client_reference_id: video.userId,
      success_url: video.successUrl,
      cancel_url: video.cancelUrl,
      line_items: [{ quantity: 1, price_data: { currency: 'usd', unit_amount: 499, product_data: { name: video.title } } }],
      metadata: { videoId: video.videoId, userId: video.userId },
      payment_intent_data: { metadata: { videoId: video.videoId, userId: video.userId } },
    });
    const ours = await post(encodeStripeForm(checkoutSessionForm(video)));
    expect(ours.statusCode).toBe(200);
    const comparable = (id: string) => {
      const { session: { id: _id, url: _url, created: _c, expires_at: _e, ...session }, ...kept } = standIn.sessions.get(id)!;
      return { session, ...kept };
    };
    expect(comparable(ours.json.id)).toEqual(comparable(bySdk.id));
    expect(comparable(ours.json.id)).toMatchObject({
      session: { mode: 'payment', client_reference_id: 'viewer-1', metadata: { videoId: 'video-1', userId: 'viewer-1' }, amount_total: 499, currency: 'usd' },
      lineItems: [{ name: video.title, currency: 'usd', unitAmount: 499, quantity: 1 }],
    });
  });
});

describe('sessions', () => {
  test('a session answers Stripe\'s fields and a url to its payment page', async () => {
    const answer = await post(encodeStripeForm(checkoutSessionForm(video)));
    expect(answer.statusCode).toBe(200);
    expect(answer.json).toMatchObject({
      id: expect.stringMatching(/^cs_test_[A-Za-z0-9]+$/),
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      url: `${served.url}/sandbox/stripe/checkout/${answer.json.id}`,
      success_url: video.successUrl,
      cancel_url: video.cancelUrl,
    });
    const retrieved = await standIn.handle({ method: 'GET', url: `/v1/checkout/sessions/${answer.json.id}`, headers: { authorization: `Bearer ${secretKey}` }, body: '' });
    expect(JSON.parse(retrieved!.body)).toEqual(answer.json);
  });

  const base: Array<[string, string]> = [
    ['mode', 'payment'], ['success_url', 'https://app.example/#/ok'], ['line_items[0][quantity]', '1'],
    ['line_items[0][price_data][currency]', 'usd'], ['line_items[0][price_data][unit_amount]', '50'], ['line_items[0][price_data][product_data][name]', 'x'],
  ];
  const without = (name: string) => base.filter(([key]) => !key.startsWith(name));
  const replace = (name: string, value: string) => base.map(([key, v]): [string, string] => [key, key === name ? value : v]);

  test.each<[string, Array<[string, string]>, number, Record<string, unknown>]>([
    ['no line items', without('line_items'), 400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'line_items' }],
    ['no mode', without('mode'), 400, { type: 'invalid_request_error', code: 'parameter_missing', param: 'mode' }],
    ['an unknown mode', replace('mode', 'rental'), 400, { type: 'invalid_request_error', param: 'mode' }],
    ['an amount below the minimum', replace('line_items[0][price_data][unit_amount]', '49'), 400, { type: 'invalid_request_error', code: 'amount_too_small' }],
    ['an amount over eight digits', replace('line_items[0][price_data][unit_amount]', '100000000'), 400, { code: 'amount_too_large' }],
    ['pence below the pound\'s minimum', [...replace('line_items[0][price_data][currency]', 'gbp').map(([k, v]): [string, string] =>
      [k, k.endsWith('[unit_amount]') ? '29' : v])], 400, { code: 'amount_too_small' }],
    ['an unknown parameter', [...base, ['client_reference', 'u']], 400, { code: 'parameter_unknown', param: 'client_reference' }],
    ['an unknown line item parameter', [...base, ['line_items[0][amount]', '50']], 400, { code: 'parameter_unknown', param: 'line_items[0][amount]' }],
    ['no success url', without('success_url'), 400, { code: 'parameter_missing', param: 'success_url' }],
    ['a success url that is no URL', replace('success_url', '/relative'), 400, { code: 'url_invalid', param: 'success_url' }],
    ['a recurring price in payment mode', [...base, ['line_items[0][price_data][recurring][interval]', 'month']], 400, { param: 'line_items[0][price_data][recurring]' }],
    ['subscription mode without a recurring price', replace('mode', 'subscription'), 400, { param: 'line_items' }],
    ['subscription data in payment mode', [...base, ['subscription_data[metadata][userId]', 'u']], 400, { param: 'subscription_data' }],
    ['a metadata key over 40 characters', [...base, [`metadata[${'k'.repeat(41)}]`, 'v']], 400, { type: 'invalid_request_error' }],
    ['a quantity of zero', replace('line_items[0][quantity]', '0'), 400, { code: 'parameter_invalid_integer' }],
    ['a currency in capitals', replace('line_items[0][price_data][currency]', 'USD'), 400, { param: 'line_items[0][price_data][currency]' }],
    ['a price id the stand-in does not know', [...without('line_items[0][price_data]'), ['line_items[0][price]', 'price_1']], 400, { code: 'resource_missing' }],
  ])('%s is refused as Stripe refuses it, and creates nothing', async (_name, fields, status, error) => {
    const before = standIn.sessions.size;
    const answer = await post(form(fields));
    expect(answer.statusCode).toBe(status);
    expect(answer.json).toEqual({ error: expect.objectContaining({ ...error, message: expect.any(String) }) });
    expect(standIn.sessions.size).toBe(before);
  });

  test('fifty cents is enough, as is Stripe\'s minimum in each currency', async () => {
    expect((await post(form(base))).statusCode).toBe(200);
    const pounds = replace('line_items[0][price_data][currency]', 'gbp').map(([k, v]): [string, string] => [k, k.endsWith('[unit_amount]') ? '30' : v]);
    expect((await post(form(pounds))).statusCode).toBe(200);
  });

  test('a request without the secret key, or with another, is a 401 that does not echo the key', async () => {
    const none = await standIn.handle({ method: 'POST', url: '/v1/checkout/sessions', headers: {}, body: form(base) });
    expect(none!.statusCode).toBe(401);
    const wrong = await post(form(base), { authorization: 'Bearer sk_test_someoneElsesKey9876' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining('9876') });
    expect(wrong.body).not.toContain('someoneElses');
    // HTTP Basic with the key as user name is accepted too, as Stripe accepts it.
    const basic = await post(form(base), { authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}` });
    expect(basic.statusCode).toBe(200);
  });

  test('an idempotency key reused with the same parameters answers the same session; with others, an idempotency error', async () => {
    const key = 'double-click-1';
    const first = await post(form(base), { 'idempotency-key': key });
    const again = await post(form([...base].reverse()), { 'idempotency-key': key });
    expect(again.statusCode).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await post(form(replace('line_items[0][price_data][unit_amount]', '60')), { 'idempotency-key': key });
    expect(other.statusCode).toBe(400);
    expect(other.json.error).toMatchObject({ type: 'idempotency_error' });
    expect([...standIn.sessions.values()].filter((s) => s.session.id === first.json.id)).toHaveLength(1);
  });

  test('a refused request does not take its idempotency key', async () => {
    const key = 'refused-then-fixed';
    expect((await post(form(without('mode')), { 'idempotency-key': key })).statusCode).toBe(400);
    expect((await post(form(base), { 'idempotency-key': key })).statusCode).toBe(200);
    expect((await post(form(base), { 'idempotency-key': 'k'.repeat(256) })).statusCode).toBe(400);
  });

  test('an unknown path of the API is Stripe\'s 404; other paths are not the stand-in\'s', async () => {
    const answer = await standIn.handle({ method: 'GET', url: '/v1/charges', headers: { authorization: `Bearer ${secretKey}` }, body: '' });
    expect(answer!.statusCode).toBe(404);
    expect(JSON.parse(answer!.body).error.type).toBe('invalid_request_error');
    expect(await standIn.handle({ method: 'GET', url: '/api/videos', headers: {}, body: '' })).toBeUndefined();
  });
});

describe('the payment page', () => {
  async function session(request = video) {
    return (await post(encodeStripeForm(checkoutSessionForm(request)))).json as { id: string; url: string };
  }

  test('shows what is bought and the amount, escaped, with Pay and Cancel buttons, and no script', async () => {
    const { url } = await session();
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain('default-src \'none\'');
    const html = await response.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain('A film &amp; &lt;its&gt; &quot;title&quot;');
    expect(html).not.toContain('<its>');
    expect(html).toContain('$4.99');
    expect(html).toMatch(/<button type="submit" class="pay">Pay \$4\.99<\/button>/);
    expect(html).toMatch(/<button type="submit" class="cancel">Cancel and go back<\/button>/);
    expect(html).toMatch(/<main aria-labelledby="title">/);
    expect(html).not.toMatch(/<script/i);
  });

  test('a subscription shows its interval; yen have no decimals', async () => {
    const { url } = await session({ ...video, price: { amount: 500, currency: 'jpy' } });
    expect(await (await fetch(url)).text()).toContain('¥500');
    const sub = (await post(form([
      ['mode', 'subscription'], ['success_url', 'https://app.example/'], ['line_items[0][quantity]', '1'], ['line_items[0][price_data][currency]', 'eur'],
      ['line_items[0][price_data][unit_amount]', '999'], ['line_items[0][price_data][recurring][interval]', 'month'], ['line_items[0][price_data][product_data][name]', 'Premium'],
    ]))).json;
    const html = await (await fetch(sub.url)).text();
    expect(html).toContain('€9.99');
    expect(html).toContain('every month');
  });

  test('paying marks the session paid, sends checkout.session.completed signed as Stripe signs it, and sends the buyer to success_url', async () => {
    const { id } = await session();
    const paid = await fetch(`${served.url}/sandbox/stripe/checkout/${id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(video.successUrl);
    expect(deliveries).toHaveLength(1);
    const [{ payload, headers }] = deliveries;
    expect(headers['stripe-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    // Stripe's own verifier accepts it.
    const event = stripe.webhooks.constructEvent(payload, headers['stripe-signature'], webhookSecret);
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_[A-Za-z0-9]+$/),
      type: 'checkout.session.completed',
      data: {
        object: {
          id,
          mode: 'payment',
          payment_status: 'paid',
          status: 'complete',
          client_reference_id: 'viewer-1',
          metadata: { videoId: 'video-1' },
          payment_intent: expect.stringMatching(/^pi_/),
          subscription: null,
        },
      },
    });
    expect(() => stripe.webhooks.constructEvent(payload, headers['stripe-signature'], 'whsec_other')).toThrow();
    // Paying again sends the buyer on, and no second event.
    const again = await fetch(`${served.url}/sandbox/stripe/checkout/${id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(303);
    expect(deliveries).toHaveLength(1);
    expect(await (await fetch(`${served.url}/sandbox/stripe/checkout/${id}`)).text()).toContain('Payment received');
  });

  test('a paid subscription carries its subscription id', async () => {
    const sub = (await post(form([
      ['mode', 'subscription'], ['client_reference_id', 'viewer-2'], ['success_url', 'https://app.example/#/?checkout=success'], ['line_items[0][quantity]', '1'],
      ['line_items[0][price_data][currency]', 'usd'], ['line_items[0][price_data][unit_amount]', '999'], ['line_items[0][price_data][recurring][interval]', 'month'],
      ['line_items[0][price_data][product_data][name]', 'Premium'], ['subscription_data[metadata][userId]', 'viewer-2'],
    ]))).json;
    await fetch(`${served.url}/sandbox/stripe/checkout/${sub.id}/pay`, { method: 'POST', redirect: 'manual' });
    expect(JSON.parse(deliveries[0].payload).data.object).toMatchObject({
      mode: 'subscription', payment_status: 'paid', client_reference_id: 'viewer-2', subscription: expect.stringMatching(/^sub_/), customer: expect.stringMatching(/^cus_/),
    });
    expect(standIn.sessions.get(sub.id)!.subscriptionMetadata).toEqual({ userId: 'viewer-2' });
  });

  test('cancelling sends the buyer to cancel_url; the session stays open and nothing is sent', async () => {
    const { id } = await session();
    const cancelled = await fetch(`${served.url}/sandbox/stripe/checkout/${id}/cancel`, { method: 'POST', redirect: 'manual' });
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get('location')).toBe(video.cancelUrl);
    expect(standIn.sessions.get(id)!.session).toMatchObject({ status: 'open', payment_status: 'unpaid' });
    expect(deliveries).toEqual([]);
  });

  test('an unknown session is a 404 page; paying with GET is not allowed', async () => {
    expect((await fetch(`${served.url}/sandbox/stripe/checkout/cs_test_nothing`)).status).toBe(404);
    const { id } = await session();
    expect((await fetch(`${served.url}/sandbox/stripe/checkout/${id}/pay`)).status).toBe(405);
    expect(deliveries).toEqual([]);
  });

  test('an expired session cannot be paid', async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const clocked = new StripeStandIn({ secretKey, webhookSecret, baseUrl: 'http://127.0.0.1:1', deliver: async (d) => void deliveries.push(d), now: () => now });
    const created = await clocked.handle({ method: 'POST', url: '/v1/checkout/sessions', headers: { authorization: `Bearer ${secretKey}` }, body: encodeStripeForm(checkoutSessionForm(video)) });
    const { id } = JSON.parse(created!.body);
    now = new Date(now.getTime() + 25 * 3600_000);
    const paid = await clocked.handle({ method: 'POST', url: `/sandbox/stripe/checkout/${id}/pay`, headers: {}, body: '' });
    expect(paid!.statusCode).toBe(410);
    expect(clocked.sessions.get(id)!.session.status).toBe('expired');
    expect(deliveries).toEqual([]);
  });
});
