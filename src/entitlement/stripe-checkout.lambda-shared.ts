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
 */
export function checkoutIdempotencyKey(request: CheckoutRequest, body: string, now: Date): string {
  const item = request.mode === 'payment' ? `video:${request.videoId}` : 'premium';
  const window = Math.floor(now.getTime() / 1000 / IDEMPOTENCY_WINDOW_SECONDS);
  const digest = createHash('sha256').update(JSON.stringify([request.userId, item, window, body])).digest('hex');
  return `checkout-${digest}`;
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
}

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
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(`${this.apiBase}/v1/checkout/sessions`, {
        method: 'POST',
        headers: {
          'authorization': `Bearer ${key}`,
          'content-type': 'application/x-www-form-urlencoded',
          'idempotency-key': checkoutIdempotencyKey(request, body, now),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      // The error's name and its cause's code (TimeoutError, ECONNREFUSED, ENOTFOUND), never the request.
      const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
      throw this.failed({ message: `no answer from Stripe: ${String((error as Error)?.name ?? 'error')}${typeof cause === 'string' ? ` (${cause})` : ''}` });
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
      throw this.failed({
        status: response.status,
        type: stringOrUndefined(error.type),
        code: stringOrUndefined(error.code),
        param: stringOrUndefined(error.param),
        message: maskKeys(typeof error.message === 'string' ? error.message.slice(0, 500) : 'no error message'),
        requestId,
      });
    }
    if (typeof answer?.id !== 'string' || typeof answer?.url !== 'string' || !/^https?:\/\//.test(answer.url)) {
      throw this.failed({ status: response.status, message: 'the answer has no session id or url', requestId });
    }
    return { sessionId: answer.id, checkoutUrl: answer.url };
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
