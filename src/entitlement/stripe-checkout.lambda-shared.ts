import { createHash } from 'node:crypto';
import type { Price, PremiumOffer } from './prices.lambda-shared';

/**
 * Stripe Checkout Sessions, created over Stripe's REST API with `fetch`.
 *
 * The Stripe SDK is not used: it adds about 240 KB to the minified API
 * bundle for one request, where this module adds a few KB. Its request is
 * the documented one (https://docs.stripe.com/api/checkout/sessions/create):
 * a form-encoded POST whose nested parameters use Stripe's bracket notation
 * (`line_items[0][price_data][currency]=usd`), authorized with the secret
 * key as a Bearer token.
 *
 * The sessions carry exactly what Stripe's webhook handler grants on:
 * `client_reference_id` is the buyer's user id, `metadata.videoId` the video
 * of a payment-mode session, and a subscription-mode session's subscription
 * carries `metadata.userId`, which `customer.subscription.updated` events
 * are matched by.
 */

/** Stripe's API, unless the platform's settings point elsewhere (a local stand-in). */
export const STRIPE_API_BASE = 'https://api.stripe.com';

/** What the premium membership is called on Stripe's payment page. */
export const PREMIUM_PRODUCT_NAME = 'Premium membership';

/** Requests made within one such window with the same parameters are one session (a double click, a retry). */
export const IDEMPOTENCY_WINDOW_SECONDS = 600;

/**
 * The API version every request names in its `Stripe-Version` header.
 *
 * Without the header Stripe answers in the account's default version, which
 * is whatever the dashboard says today and may be moved by anyone with access
 * to it; a pinned version fixes which parameters this module may send and
 * the shape of what it reads back, whatever the account's default becomes
 * ("Requests ... use your Stripe account's default API version ... unless you
 * override it by setting the `Stripe-Version` header",
 * https://docs.stripe.com/api/versioning). Moving to a newer version is then
 * a change made here, and tested, rather than a surprise.
 *
 * 2025-03-31.basil is the version that moved a subscription's
 * `current_period_end` from the subscription to its items
 * (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end):
 * the webhook handler reads `items.data[0].current_period_end` when the
 * subscription carries none, so objects in this version are read as they
 * come. Webhook events are rendered in the webhook endpoint's version (the
 * account default unless one was set when the endpoint was created, same
 * page), so the endpoint is best created with this same version; the handler
 * also reads the older, subscription-level field.
 */
export const STRIPE_API_VERSION = '2025-03-31.basil';

/** How long to wait before sending a request again that Stripe refused because another with its key was still running. */
export const IDEMPOTENCY_CONFLICT_RETRY_MS = 1000;

interface CheckoutCommon {
  /** The buyer: becomes the session's `client_reference_id`. */
  readonly userId: string;
  readonly successUrl: string;
  readonly cancelUrl: string;
}

/** One video, paid once. */
export interface VideoCheckoutRequest extends CheckoutCommon {
  readonly mode: 'payment';
  readonly videoId: string;
  /** Shown on the payment page. */
  readonly title: string;
  readonly price: Price;
}

/** The premium membership, billed every interval until cancelled. */
export interface PremiumCheckoutRequest extends CheckoutCommon {
  readonly mode: 'subscription';
  readonly offer: PremiumOffer;
}

export type CheckoutRequest = VideoCheckoutRequest | PremiumCheckoutRequest;

/** A created session: where to send the buyer, and its id. */
export interface CheckoutSession {
  readonly sessionId: string;
  readonly checkoutUrl: string;
}

/** What the routes need of a checkout provider. */
export interface Checkout {
  createSession(request: CheckoutRequest, now: Date): Promise<CheckoutSession>;
}

/** The provider answered with an error, answered nothing usable, or could not be reached. */
export class PaymentProviderError extends Error {
  constructor(readonly failure: StripeFailure) {
    super(`Stripe did not create the checkout session: ${failure.status ?? 'no answer'} ${failure.message}`);
    this.name = 'PaymentProviderError';
  }
}

/** The platform has no usable Stripe key. */
export class CheckoutUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckoutUnavailableError';
  }
}

/** A failure as logged: Stripe's error fields, with anything resembling a key masked. */
export interface StripeFailure {
  /** HTTP status, absent when no answer came. */
  readonly status?: number;
  readonly type?: string;
  readonly code?: string;
  readonly param?: string;
  readonly message: string;
  /** Stripe's `Request-Id`, to look the request up in Stripe's dashboard. */
  readonly requestId?: string;
}

/** The session's parameters, in Stripe's form notation, in a fixed order. */
export function checkoutSessionForm(request: CheckoutRequest): Array<[string, string]> {
  const common: Array<[string, string]> = [
    ['mode', request.mode],
    ['client_reference_id', request.userId],
    ['success_url', request.successUrl],
    ['cancel_url', request.cancelUrl],
    ['line_items[0][quantity]', '1'],
  ];
  if (request.mode === 'payment') {
    return [
      ...common,
      ['line_items[0][price_data][currency]', request.price.currency],
      ['line_items[0][price_data][unit_amount]', String(request.price.amount)],
      ['line_items[0][price_data][product_data][name]', request.title],
      ['metadata[videoId]', request.videoId],
      ['metadata[userId]', request.userId],
      // On the payment too, so a refund or dispute seen in Stripe names what it was for.
      ['payment_intent_data[metadata][videoId]', request.videoId],
      ['payment_intent_data[metadata][userId]', request.userId],
    ];
  }
  return [
    ...common,
    ['line_items[0][price_data][currency]', request.offer.currency],
    ['line_items[0][price_data][unit_amount]', String(request.offer.amount)],
    // A subscription-mode session needs a recurring price (price_data.recurring.interval).
    ['line_items[0][price_data][recurring][interval]', request.offer.interval],
    ['line_items[0][price_data][product_data][name]', PREMIUM_PRODUCT_NAME],
    ['metadata[offer]', 'premium'],
    ['metadata[userId]', request.userId],
    // Subscription events carry the subscription's metadata, not the session's.
    ['subscription_data[metadata][userId]', request.userId],
  ];
}

/**
 * `application/x-www-form-urlencoded`, with brackets left as they are (Stripe
 * reads `a[b]` and `a%5Bb%5D` alike) and everything else percent-encoded.
 */
export function encodeStripeForm(fields: ReadonlyArray<readonly [string, string]>): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return fields.map(([key, value]) => `${encode(key).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encode(value)}`).join('&');
}

/**
 * The request's `Idempotency-Key`: the same buyer asking for the same thing
 * with the same parameters within one {@link IDEMPOTENCY_WINDOW_SECONDS}
 * window gets the same key, so Stripe answers the session it already
 * created instead of a second one. Stripe keeps a key at least 24 hours and
 * refuses a key reused with other parameters
 * (https://docs.stripe.com/api/idempotent_requests), so the parameters are
 * part of the key: a changed price is a new key, not an error. Keys may be
 * 255 characters; this one is 73.
 *
 * `attempt` counts the earlier tries with this key that ended in a server
 * error or no answer (see {@link StripeCheckout.createSession}); each count
 * is another key. Attempt 0 is the key of a first try.
 */
export function checkoutIdempotencyKey(request: CheckoutRequest, body: string, now: Date, attempt = 0): string {
  const item = request.mode === 'payment' ? `video:${request.videoId}` : 'premium';
  const window = idempotencyWindow(now);
  const parts: unknown[] = [request.userId, item, window, body];
  if (attempt > 0) {
    parts.push(attempt);
  }
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  return `checkout-${digest}`;
}

function idempotencyWindow(now: Date): number {
  return Math.floor(now.getTime() / 1000 / IDEMPOTENCY_WINDOW_SECONDS);
}

/**
 * Keys whose last try ended in a 5xx or in no answer, by their first-try
 * key: how many such tries there were, and when the key's window ends.
 *
 * Stripe saves the first answer given for a key, including a `500`, and
 * answers it again to every request with that key for at least 24 hours
 * (https://docs.stripe.com/api/idempotent_requests: "Subsequent requests
 * with the same key return the same result, including 500 errors"). Sending
 * the same key after a brief outage would answer the outage's error for the
 * rest of the window, so a try after such a failure sends the next key.
 *
 * A try that got no answer may still have created a session whose answer was
 * lost; the next key then creates a second one. That costs nothing: an
 * unpaid Checkout Session charges no one and expires, and the buyer only
 * ever holds the address of the session they were sent to.
 *
 * It is kept for the life of the container, which serves one request at a
 * time; another container that meets the saved error once moves on the same
 * way. Entries go when their window ends.
 */
const unsettledKeys = new Map<string, { attempts: number; windowEnds: number }>();

function unsettledAttempts(firstKey: string, now: Date): number {
  for (const [key, entry] of unsettledKeys) {
    if (entry.windowEnds <= now.getTime()) {
      unsettledKeys.delete(key);
    }
  }
  return unsettledKeys.get(firstKey)?.attempts ?? 0;
}

function noteUnsettled(firstKey: string, now: Date): void {
  const windowEnds = (idempotencyWindow(now) + 1) * IDEMPOTENCY_WINDOW_SECONDS * 1000;
  unsettledKeys.set(firstKey, { attempts: (unsettledKeys.get(firstKey)?.attempts ?? 0) + 1, windowEnds });
}

/** A Stripe secret (`sk_`) or restricted (`rk_`) key. */
const SECRET_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;
/** Anything that looks like a Stripe key or signing secret, masked wherever text leaves this module. */
const KEY_LIKE = /\b(sk|rk|pk)_(test|live)_[A-Za-z0-9_*]+|\bwhsec_[A-Za-z0-9_*]+/g;

export function maskKeys(text: string): string {
  return text.replace(KEY_LIKE, (match) => `${match.split('_').slice(0, match.startsWith('whsec') ? 1 : 2).join('_')}_***`);
}

export interface StripeCheckoutOptions {
  /** The secret key, read once per container (see `secretString`). */
  readonly secretKey: () => Promise<string>;
  /** @default {@link STRIPE_API_BASE} */
  readonly apiBase?: string;
  /** @default the platform's fetch */
  readonly fetch?: typeof fetch;
  /** @default 10000 */
  readonly timeoutMs?: number;
  /** Told of every failure, for the logs; what it is given never holds the key. */
  readonly onFailure?: (failure: StripeFailure) => void;
  /** @default {@link IDEMPOTENCY_CONFLICT_RETRY_MS} */
  readonly conflictRetryMs?: number;
}

/** One request's outcome: a session, or a failure and whether it leaves the key's saved answer unusable. */
type Outcome =
  | { readonly session: CheckoutSession }
  | { readonly failure: StripeFailure; readonly unsettled: boolean; readonly inUse: boolean };

/** Creates Checkout Sessions with Stripe's REST API. */
export class StripeCheckout implements Checkout {
  private readonly apiBase: string;

  constructor(private readonly options: StripeCheckoutOptions) {
    this.apiBase = (options.apiBase ?? STRIPE_API_BASE).replace(/\/+$/, '');
  }

  public async createSession(request: CheckoutRequest, now: Date): Promise<CheckoutSession> {
    const key = await this.options.secretKey();
    if (!SECRET_KEY.test(key)) {
      const failure = { message: 'the Stripe API key secret does not hold a secret key (sk_... or rk_...)' };
      this.options.onFailure?.(failure);
      throw new CheckoutUnavailableError(failure.message);
    }
    const body = encodeStripeForm(checkoutSessionForm(request));
    const firstKey = checkoutIdempotencyKey(request, body, now);
    const idempotencyKey = checkoutIdempotencyKey(request, body, now, unsettledAttempts(firstKey, now));
    let outcome = await this.post(key, body, idempotencyKey);
    if ('failure' in outcome && outcome.inUse) {
      // Another request with this key is still running (a double click served by two containers). Stripe saves
      // nothing under the key for a request that conflicts with one executing concurrently
      // (https://docs.stripe.com/idempotency), so the same request a moment later gets the other one's session.
      await new Promise((resolve) => setTimeout(resolve, this.options.conflictRetryMs ?? IDEMPOTENCY_CONFLICT_RETRY_MS));
      outcome = await this.post(key, body, idempotencyKey);
    }
    if ('session' in outcome) {
      return outcome.session;
    }
    if (outcome.unsettled) {
      noteUnsettled(firstKey, now);
    }
    throw this.failed(outcome.failure);
  }

  private async post(key: string, body: string, idempotencyKey: string): Promise<Outcome> {
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(`${this.apiBase}/v1/checkout/sessions`, {
        method: 'POST',
        headers: {
          'authorization': `Bearer ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': idempotencyKey,
          'stripe-version': STRIPE_API_VERSION,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // The error's name and its cause's code (TimeoutError, ECONNREFUSED, ENOTFOUND), never the request.
      const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
      const message = `no answer from Stripe: ${String((error as Error)?.name ?? 'error')}${typeof cause === 'string' ? ` (${cause})` : ''}`;
      return { failure: { message }, unsettled: true, inUse: false };
    }
    const requestId = response.headers.get('request-id') ?? undefined;
    const text = await response.text().catch(() => '');
    let answer: any;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    if (!response.ok) {
      const error = answer?.error ?? {};
      const failure: StripeFailure = {
        status: response.status,
        type: stringOrUndefined(error.type),
        code: stringOrUndefined(error.code),
        param: stringOrUndefined(error.param),
        message: maskKeys(typeof error.message === 'string' ? error.message.slice(0, 500) : 'no error message'),
        requestId,
      };
      // 409 idempotency_error: another request with this key is running ("in use"); 400 idempotency_error is a key
      // reused with other parameters, which waiting does not change.
      return { failure, unsettled: response.status >= 500, inUse: response.status === 409 && error.type === 'idempotency_error' };
    }
    if (typeof answer?.id !== 'string' || typeof answer?.url !== 'string' || !/^https?:\/\//.test(answer.url)) {
      return { failure: { status: response.status, message: 'the answer has no session id or url', requestId }, unsettled: false, inUse: false };
    }
    return { session: { sessionId: answer.id, checkoutUrl: answer.url } };
  }

  private failed(failure: StripeFailure): PaymentProviderError {
    this.options.onFailure?.(failure);
    return new PaymentProviderError(failure);
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? maskKeys(value.slice(0, 200)) : undefined;
}

/**
 * A base URL from a setting (the web app's, or Stripe's API), without a
 * trailing slash: https, or http on a loopback host (a local sandbox). A
 * malformed setting fails the function's start.
 */
export function parseBaseUrl(setting: string, settingName: string): string {
  let url: URL | undefined;
  try {
    url = new URL(setting);
  } catch {
    url = undefined;
  }
  const loopback = url !== undefined && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new Error(`${settingName} must be an https URL (http only on localhost) without query or fragment, such as https://d111.cloudfront.net, got ${JSON.stringify(setting)}`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
