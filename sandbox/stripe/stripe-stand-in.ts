import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import type { HttpResult } from '../../src/entitlement/http.lambda-shared';
import { MAXIMUM_CHARGE, MINIMUM_CHARGE, ZERO_DECIMAL_CURRENCIES } from '../../src/entitlement/prices.lambda-shared';

/**
 * A stand-in for the part of Stripe the platform uses, for the sandbox and
 * tests: the Checkout Sessions API (`POST /v1/checkout/sessions`, `GET
 * /v1/checkout/sessions/<id>`), a payment page where a person pays or
 * cancels (`/sandbox/stripe/checkout/<id>`), and the webhook event a paid
 * checkout sends, signed as Stripe signs it.
 *
 * What it checks is what Stripe checks of the requests this platform could
 * send: the secret key; the form, parsed as Stripe parses bracket notation;
 * unknown parameters; the mode; line items and their prices; the currency's
 * minimum and maximum charge; metadata limits; and idempotency keys (the
 * same key and parameters answer the saved result, the same key with other
 * parameters is an `idempotency_error`, and so, with 409, is a key sent
 * while a request with it is still running); and the `Stripe-Version`
 * header, which must name a version. Errors have Stripe's shape:
 * `{ "error": { "type", "code"?, "param"?, "message" } }` with its status.
 *
 * Tests can make it fail: {@link StripeStandIn.failNext} answers the next
 * requests with a 500, saved under their idempotency key as Stripe saves
 * it, and {@link StripeStandIn.latencyMs} keeps a session's creation
 * running for a while, so that requests can overlap.
 */

export interface StandInRequest {
  readonly method: string;
  /** Path and query, as a server receives it. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: string;
}

/** A webhook event as Stripe would POST it to the endpoint. */
export interface WebhookDelivery {
  readonly event: StripeEvent;
  /** The raw JSON body. */
  readonly payload: string;
  /** `stripe-signature` (`t=<unix time>,v1=<HMAC-SHA256 hex>`) and `content-type`. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface StripeEvent {
  readonly id: string;
  readonly object: 'event';
  readonly type: string;
  readonly created: number;
  readonly livemode: false;
  readonly data: { readonly object: CheckoutSessionObject };
}

export interface StripeStandInOptions {
  /** The secret API key requests must carry. */
  readonly secretKey: string;
  /** The webhook endpoint's signing secret (`whsec_...`). */
  readonly webhookSecret: string;
  /** Where this stand-in's pages are served from, e.g. `http://localhost:8080`; sessions' `url` points there. */
  readonly baseUrl: string;
  /** Sends an event to the webhook endpoint; awaited before the buyer is sent back. */
  readonly deliver: (delivery: WebhookDelivery) => Promise<void>;
  readonly now?: () => Date;
  readonly log?: (message: string) => void;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Params = { [key: string]: FormValue };
type FormValue = string | FormValue[] | Params;

export interface LineItem {
  readonly name: string;
  readonly currency: string;
  readonly unitAmount: number;
  readonly quantity: number;
  readonly recurring?: { readonly interval: string };
}

export interface CheckoutSessionObject {
  readonly id: string;
  readonly object: 'checkout.session';
  readonly mode: 'payment' | 'subscription';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'unpaid' | 'paid';
  readonly url: string;
  readonly success_url: string;
  readonly cancel_url: string | null;
  readonly client_reference_id: string | null;
  readonly metadata: Record<string, string>;
  readonly currency: string;
  readonly amount_subtotal: number;
  readonly amount_total: number;
  readonly created: number;
  readonly expires_at: number;
  readonly livemode: false;
  customer: string | null;
  subscription: string | null;
  payment_intent: string | null;
}

/** A session and what the stand-in keeps beside it. */
export interface StandInSession {
  readonly session: CheckoutSessionObject;
  readonly lineItems: readonly LineItem[];
  /** `subscription_data.metadata`, which the subscription would carry. */
  readonly subscriptionMetadata: Record<string, string>;
  /** `payment_intent_data.metadata`, which the payment would carry. */
  readonly paymentIntentMetadata: Record<string, string>;
}

/** A refusal, answered in Stripe's error shape. */
class StripeError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly param?: string, readonly code?: string) {
    super(message);
  }
}

const MODES = ['payment', 'setup', 'subscription'];
const INTERVALS = ['day', 'week', 'month', 'year'];
/** The session parameters this stand-in knows; Stripe refuses any parameter it does not know. */
const SESSION_PARAMS = ['mode', 'success_url', 'cancel_url', 'line_items', 'client_reference_id', 'metadata', 'subscription_data', 'payment_intent_data', 'customer_email', 'expires_at', 'locale'];
const LINE_ITEM_PARAMS = ['price', 'price_data', 'quantity'];
const PRICE_DATA_PARAMS = ['currency', 'unit_amount', 'product', 'product_data', 'recurring'];
const IDEMPOTENCY_KEY_MAX = 255;
/** An API version as Stripe names them: `2025-03-31.basil`, or a date for the versions before 2024-09-30.acacia. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/;
const SESSION_SECONDS = 24 * 3600;
const PAGE_PREFIX = '/sandbox/stripe/checkout/';

export class StripeStandIn {
  /** Every session created, by id. */
  public readonly sessions = new Map<string, StandInSession>();
  /** Every event sent to the webhook, in order. */
  public readonly events: StripeEvent[] = [];
  /** The `Stripe-Version` each session was created with, by session id (absent when the request named none). */
  public readonly apiVersions = new Map<string, string>();
  /** How long creating a session takes, in milliseconds; a request with the key of one still running is answered 409. */
  public latencyMs = 0;
  private readonly idempotent = new Map<string, { readonly params: string; readonly result: HttpResult }>();
  private readonly running = new Set<string>();
  private faults = 0;
  private readonly baseUrl: string;

  constructor(private readonly options: StripeStandInOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Answers a request of the stand-in's, or `undefined` when the path is not one of its own. */
  public async handle(request: StandInRequest): Promise<HttpResult | undefined> {
    const path = new URL(request.url, 'http://stand-in').pathname;
    if (path === '/v1' || path.startsWith('/v1/')) {
      try {
        return await this.api(request, path);
      } catch (error) {
        if (error instanceof StripeError) {
          return stripeError(error);
        }
        throw error;
      }
    }
    if (path.startsWith(PAGE_PREFIX)) {
      const [id, action, ...rest] = path.slice(PAGE_PREFIX.length).split('/');
      const entry = this.sessions.get(id);
      if (!entry || rest.length > 0) {
        return page(404, 'Checkout not found', '<h1>Checkout not found</h1><p>There is no checkout at this address. Go back and start again.</p>');
      }
      this.expireIfDue(entry);
      if (action === undefined && request.method === 'GET') {
        return this.paymentPage(entry);
      }
      if (action === 'pay' && request.method === 'POST') {
        return this.pay(entry);
      }
      if (action === 'cancel' && request.method === 'POST') {
        return entry.session.cancel_url
          ? redirect(entry.session.cancel_url, entry.session.id)
          : page(400, 'No way back', '<h1>No way back</h1><p>This checkout has no cancel address.</p>');
      }
      return page(405, 'Not allowed', '<h1>Not allowed</h1><p>Use the buttons of the checkout page.</p>');
    }
    return undefined;
  }

  /**
   * Answers the next `count` API requests (after their key is checked) with a
   * 500 `api_error`, as Stripe answers when it fails. A session request's 500
   * is saved under its idempotency key, as Stripe saves every answer of a
   * request whose execution began, and answered again to that key.
   */
  public failNext(count: number): void {
    this.faults = count;
  }

  private takeFault(): StripeError | undefined {
    if (this.faults <= 0) {
      return undefined;
    }
    this.faults -= 1;
    return new StripeError(500, 'api_error', 'An unknown error occurred (the sandbox stand-in was told to fail this request).');
  }

  private async api(request: StandInRequest, path: string): Promise<HttpResult> {
    this.authenticate(request);
    const version = headerValue(request.headers, 'stripe-version');
    if (version !== undefined && !API_VERSION.test(version)) {
      throw new StripeError(400, 'invalid_request_error', `Invalid Stripe API version: ${version.slice(0, 60)}`);
    }
    if (path === '/v1/checkout/sessions' && request.method === 'POST') {
      return this.createSession(request, version);
    }
    const fault = this.takeFault();
    if (fault) {
      throw fault;
    }
    const retrieve = /^\/v1\/checkout\/sessions\/([A-Za-z0-9_]+)$/.exec(path);
    if (retrieve && request.method === 'GET') {
      const entry = this.sessions.get(retrieve[1]);
      if (!entry) {
        throw new StripeError(404, 'invalid_request_error', `No such checkout.session: '${retrieve[1]}'`, 'session', 'resource_missing');
      }
      this.expireIfDue(entry);
      return json(200, entry.session);
    }
    throw new StripeError(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${path}).`);
  }

  /** A Bearer secret key (or HTTP Basic with the key as user name), as Stripe accepts it. */
  private authenticate(request: StandInRequest): void {
    const authorization = headerValue(request.headers, 'authorization') ?? '';
    let key: string | undefined;
    if (/^Bearer /i.test(authorization)) {
      key = authorization.slice(7).trim();
    } else if (/^Basic /i.test(authorization)) {
      key = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8').split(':')[0];
    }
    if (!key) {
      throw new StripeError(401, 'invalid_request_error', 'No API key was given: send it as "Authorization: Bearer <secret key>".');
    }
    if (key !== this.options.secretKey) {
      throw new StripeError(401, 'invalid_request_error', `Invalid API Key provided: ${maskKey(key)}`);
    }
  }

  private async createSession(request: StandInRequest, apiVersion: string | undefined): Promise<HttpResult> {
    const params = parseStripeForm(request.body);
    const canonical = canonicalJson(params);
    const key = headerValue(request.headers, 'idempotency-key');
    if (key !== undefined) {
      if (key.length === 0 || key.length > IDEMPOTENCY_KEY_MAX) {
        throw new StripeError(400, 'invalid_request_error', `An idempotency key must be 1 to ${IDEMPOTENCY_KEY_MAX} characters long.`);
      }
      const saved = this.idempotent.get(key);
      if (saved) {
        if (saved.params !== canonical) {
          throw new StripeError(400, 'idempotency_error',
            `The idempotency key ${JSON.stringify(key)} was first used with other parameters; a different request needs a different key.`);
        }
        return { ...saved.result, headers: { ...saved.result.headers, 'idempotent-replayed': 'true' } };
      }
      if (this.running.has(key)) {
        // Nothing is saved for the conflicting request: sent again once the other is done, it gets the other's answer.
        throw new StripeError(409, 'idempotency_error',
          `There is currently another in-progress request using this idempotency key: ${JSON.stringify(key)}. Please try again later.`);
      }
    }
    // Refused parameters are not saved under the key (https://docs.stripe.com/api/idempotent_requests).
    const entry = this.validate(params);
    if (key !== undefined) {
      this.running.add(key);
    }
    try {
      if (this.latencyMs > 0) {
        await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      }
      const fault = this.takeFault();
      const result = fault ? stripeError(fault) : json(200, entry.session);
      if (!fault) {
        this.sessions.set(entry.session.id, entry);
        if (apiVersion !== undefined) {
          this.apiVersions.set(entry.session.id, apiVersion);
        }
      }
      if (key !== undefined) {
        this.idempotent.set(key, { params: canonical, result });
      }
      return result;
    } finally {
      if (key !== undefined) {
        this.running.delete(key);
      }
    }
  }

  private validate(params: Params): StandInSession {
    for (const name of Object.keys(params)) {
      if (!SESSION_PARAMS.includes(name)) {
        throw new StripeError(400, 'invalid_request_error', `Received unknown parameter: ${name}`, name, 'parameter_unknown');
      }
    }
    const mode = optionalString(params, 'mode');
    if (mode === undefined) {
      throw missing('mode');
    }
    if (!MODES.includes(mode)) {
      throw new StripeError(400, 'invalid_request_error', `Invalid mode: must be one of ${MODES.join(', ')}`, 'mode');
    }
    if (mode === 'setup') {
      throw new StripeError(400, 'invalid_request_error', 'The sandbox stand-in does not take setup-mode sessions.', 'mode');
    }
    const successUrl = optionalString(params, 'success_url');
    if (successUrl === undefined) {
      throw missing('success_url');
    }
    checkUrl(successUrl, 'success_url');
    const cancelUrl = optionalString(params, 'cancel_url');
    if (cancelUrl !== undefined) {
      checkUrl(cancelUrl, 'cancel_url');
    }
    const clientReferenceId = optionalString(params, 'client_reference_id');
    if (clientReferenceId !== undefined && (clientReferenceId.length === 0 || clientReferenceId.length > 200)) {
      throw new StripeError(400, 'invalid_request_error', 'client_reference_id must be 1 to 200 characters long.', 'client_reference_id');
    }
    const metadata = readMetadata(params.metadata, 'metadata');
    const subscriptionData = readObject(params.subscription_data, 'subscription_data', ['metadata']);
    const paymentIntentData = readObject(params.payment_intent_data, 'payment_intent_data', ['metadata']);
    if (mode === 'payment' && params.subscription_data !== undefined) {
      throw new StripeError(400, 'invalid_request_error', 'subscription_data can only be used in subscription mode.', 'subscription_data');
    }
    if (mode === 'subscription' && params.payment_intent_data !== undefined) {
      throw new StripeError(400, 'invalid_request_error', 'payment_intent_data can only be used in payment mode.', 'payment_intent_data');
    }
    const lineItems = readLineItems(params.line_items, mode);
    const currency = lineItems[0].currency;
    const total = lineItems.reduce((sum, item) => sum + item.unitAmount * item.quantity, 0);
    if (total < MINIMUM_CHARGE[currency]) {
      throw new StripeError(400, 'invalid_request_error',
        `The Checkout Session's total amount due must be at least ${formatAmount(MINIMUM_CHARGE[currency], currency)}.`, undefined, 'amount_too_small');
    }
    if (total > MAXIMUM_CHARGE) {
      throw new StripeError(400, 'invalid_request_error',
        `The Checkout Session's total amount due must be at most ${formatAmount(MAXIMUM_CHARGE, currency)}.`, undefined, 'amount_too_large');
    }
    const created = Math.floor(this.now().getTime() / 1000);
    const id = `cs_test_${randomId(40)}`;
    return {
      session: {
        id,
        object: 'checkout.session',
        mode: mode as 'payment' | 'subscription',
        status: 'open',
        payment_status: 'unpaid',
        url: `${this.baseUrl}${PAGE_PREFIX}${id}`,
        success_url: successUrl,
        cancel_url: cancelUrl ?? null,
        client_reference_id: clientReferenceId ?? null,
        metadata,
        currency,
        amount_subtotal: total,
        amount_total: total,
        created,
        expires_at: created + SESSION_SECONDS,
        livemode: false,
        customer: null,
        subscription: null,
        payment_intent: null,
      },
      lineItems,
      subscriptionMetadata: readMetadata(subscriptionData?.metadata, 'subscription_data[metadata]'),
      paymentIntentMetadata: readMetadata(paymentIntentData?.metadata, 'payment_intent_data[metadata]'),
    };
  }

  private expireIfDue(entry: StandInSession): void {
    if (entry.session.status === 'open' && this.now().getTime() / 1000 >= entry.session.expires_at) {
      entry.session.status = 'expired';
    }
  }

  /**
   * Marks the session paid, sends `checkout.session.completed` to the
   * webhook, then sends the buyer to `success_url`, as Checkout does after
   * a card payment. A session paid already only sends the buyer on.
   */
  private async pay(entry: StandInSession): Promise<HttpResult> {
    const session = entry.session;
    if (session.status === 'complete') {
      return redirect(session.success_url, session.id);
    }
    if (session.status === 'expired') {
      return page(410, 'Checkout expired', '<h1>This checkout has expired</h1><p>Nothing was charged. Go back and start again.</p>');
    }
    session.status = 'complete';
    session.payment_status = 'paid';
    if (session.mode === 'subscription') {
      session.customer = `cus_${randomId(14)}`;
      session.subscription = `sub_${randomId(24)}`;
    } else {
      session.payment_intent = `pi_${randomId(24)}`;
    }
    const event: StripeEvent = {
      id: `evt_${randomId(24)}`,
      object: 'event',
      type: 'checkout.session.completed',
      created: Math.floor(this.now().getTime() / 1000),
      livemode: false,
      data: { object: { ...session, metadata: { ...session.metadata } } },
    };
    this.events.push(event);
    const payload = JSON.stringify(event);
    try {
      await this.options.deliver({ event, payload, headers: { 'stripe-signature': this.sign(payload), 'content-type': 'application/json; charset=utf-8' } });
    } catch (error) {
      this.options.log?.(`delivering ${event.id} to the webhook failed: ${(error as Error).message}`);
    }
    return redirect(session.success_url, session.id);
  }

  /** Stripe's webhook signature: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>" with the endpoint secret>`. */
  public sign(payload: string, at: Date = this.now()): string {
    const t = Math.floor(at.getTime() / 1000);
    return `t=${t},v1=${createHmac('sha256', this.options.webhookSecret).update(`${t}.${payload}`, 'utf8').digest('hex')}`;
  }

  private paymentPage(entry: StandInSession): HttpResult {
    const { session, lineItems } = entry;
    const total = formatAmount(session.amount_total, session.currency);
    const interval = lineItems.find((item) => item.recurring)?.recurring?.interval;
    const origins = [session.success_url, session.cancel_url].filter((u): u is string => !!u).map((u) => new URL(u).origin);
    if (session.status !== 'open') {
      const body = session.status === 'complete'
        ? `<h1>Payment received</h1><p>This checkout is paid. <a href="${escapeHtml(session.success_url)}">Continue</a></p>`
        : '<h1>This checkout has expired</h1><p>Nothing was charged. Go back and start again.</p>';
      return page(session.status === 'complete' ? 200 : 410, session.status === 'complete' ? 'Payment received' : 'Checkout expired', body, origins);
    }
    const items = lineItems.map((item) => `
        <li>
          <span class="name">${escapeHtml(item.name)}${item.quantity > 1 ? ` &times; ${item.quantity}` : ''}</span>
          <span class="price">${escapeHtml(formatAmount(item.unitAmount * item.quantity, item.currency))}${item.recurring ? ` <span class="per">per ${escapeHtml(item.recurring.interval)}</span>` : ''}</span>
        </li>`).join('');
    const action = `${PAGE_PREFIX}${encodeURIComponent(session.id)}`;
    const body = `
      <p class="notice" role="note"><strong>Sandbox:</strong> this page stands in for Stripe Checkout. No card is asked for and no money moves.</p>
      <h1 id="title">${interval ? 'Subscribe' : 'Pay'}</h1>
      <section aria-labelledby="summary">
        <h2 id="summary">Order summary</h2>
        <ul class="items">${items}
        </ul>
        <p class="total"><span>${interval ? 'Due today' : 'Total'}</span> <strong>${escapeHtml(total)}</strong></p>
        ${interval ? `<p class="terms">Then ${escapeHtml(total)} every ${escapeHtml(interval)} until you cancel.</p>` : ''}
      </section>
      <div class="actions">
        <form method="post" action="${escapeHtml(action)}/pay">
          <button type="submit" class="pay">${interval ? 'Subscribe' : 'Pay'} ${escapeHtml(total)}</button>
        </form>
        <form method="post" action="${escapeHtml(action)}/cancel">
          <button type="submit" class="cancel">Cancel and go back</button>
        </form>
      </div>`;
    return page(200, `${interval ? 'Subscribe' : 'Pay'} ${total}`, body, origins);
  }

  private now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }
}

/** A stand-in on its own loopback server, as tests use it. */
export interface ServedStandIn {
  readonly standIn: StripeStandIn;
  /** `http://127.0.0.1:<port>`: the API's base and the pages' origin. */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a stand-in on a free loopback port; its pages are served from the same origin as its API. */
export async function serveStripeStandIn(options: Omit<StripeStandInOptions, 'baseUrl'>): Promise<ServedStandIn> {
  const holder: { standIn?: StripeStandIn } = {};
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      holder.standIn!.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        .then((result) => {
          if (!result) {
            res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
            return;
          }
          res.writeHead(result.statusCode, result.headers).end(result.body);
        })
        .catch(() => res.writeHead(500, { 'content-type': 'text/plain' }).end('stand-in fault'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  holder.standIn = new StripeStandIn({ ...options, baseUrl: url });
  return {
    standIn: holder.standIn,
    url,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

// ---- the form, as Stripe reads it ------------------------------------------

/**
 * An `application/x-www-form-urlencoded` body with bracket notation, as
 * Stripe reads it: `a[b]=1` is `{ a: { b: '1' } }`, `a[0][b]=1` and
 * `a[][b]=1` are arrays, `+` is a space, brackets may be percent-encoded.
 */
export function parseStripeForm(body: string): Params {
  const root: Params = {};
  for (const pair of body.split('&')) {
    if (pair === '') {
      continue;
    }
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw new StripeError(400, 'invalid_request_error', `Invalid form encoding near ${JSON.stringify(pair.slice(0, 40))}.`);
    }
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) {
      throw new StripeError(400, 'invalid_request_error', `Invalid parameter name ${JSON.stringify(key)}.`);
    }
    const path = [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
    insert(root, path, value, key);
  }
  return arrays(root) as Params;
}

function insert(root: Params, path: string[], value: string, key: string): void {
  let node: Params = root;
  for (let i = 0; i < path.length; i++) {
    const last = i === path.length - 1;
    // `[]` appends: a new index after those there are.
    const segment = path[i] === '' ? String(Object.keys(node).length) : path[i];
    const existing = node[segment];
    if (last) {
      if (existing !== undefined) {
        throw new StripeError(400, 'invalid_request_error', `The parameter ${key} is given more than once.`, key);
      }
      node[segment] = value;
      return;
    }
    if (existing === undefined) {
      node[segment] = {};
    } else if (typeof existing === 'string') {
      throw new StripeError(400, 'invalid_request_error', `Invalid value for ${path.slice(0, i + 1).join('.')}: it is both a value and a hash.`, key);
    }
    node = node[segment] as Params;
  }
}

/** Hashes whose keys are all indexes become arrays, in index order. */
function arrays(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) {
    return value;
  }
  const keys = Object.keys(value);
  const converted: Params = {};
  for (const key of keys) {
    converted[key] = arrays(value[key]);
  }
  if (keys.length > 0 && keys.every((key) => /^\d+$/.test(key))) {
    return keys.map(Number).sort((a, b) => a - b).map((index) => converted[String(index)]);
  }
  return converted;
}

/** The parameters in a form independent of their order, to compare two requests as Stripe's idempotency layer does. */
function canonicalJson(value: FormValue): string {
  const sort = (v: FormValue): Json => typeof v === 'string' ? v
    : Array.isArray(v) ? v.map(sort)
      : Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
  return JSON.stringify(sort(value));
}

function missing(param: string): StripeError {
  return new StripeError(400, 'invalid_request_error', `Missing required param: ${param}.`, param, 'parameter_missing');
}

function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new StripeError(400, 'invalid_request_error', `Invalid string: ${name} must be a string, not a hash or array.`, name);
  }
  return value;
}

function readObject(value: FormValue | undefined, name: string, known: readonly string[]): Params | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    throw new StripeError(400, 'invalid_request_error', `Invalid object: ${name} must be a hash.`, name);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new StripeError(400, 'invalid_request_error', `Received unknown parameter: ${name}[${key}]`, `${name}[${key}]`, 'parameter_unknown');
    }
  }
  return value;
}

/** Metadata: at most 50 keys of at most 40 characters, values of at most 500 (https://docs.stripe.com/metadata). */
function readMetadata(value: FormValue | undefined, name: string): Record<string, string> {
  if (value === undefined) {
    return {};
  }
  if (typeof value === 'string' || Array.isArray(value)) {
    throw new StripeError(400, 'invalid_request_error', `Invalid object: ${name} must be a hash of strings.`, name);
  }
  const entries = Object.entries(value);
  if (entries.length > 50) {
    throw new StripeError(400, 'invalid_request_error', `${name} can have at most 50 keys.`, name);
  }
  for (const [key, entry] of entries) {
    if (typeof entry !== 'string' || key.length > 40 || entry.length > 500) {
      throw new StripeError(400, 'invalid_request_error', `${name}[${key}]: keys are at most 40 characters and values strings of at most 500.`, `${name}[${key}]`);
    }
  }
  return value as Record<string, string>;
}

function readLineItems(value: FormValue | undefined, mode: string): LineItem[] {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new StripeError(400, 'invalid_request_error', `line_items is required in ${mode} mode.`, 'line_items', 'parameter_missing');
  }
  if (!Array.isArray(value)) {
    throw new StripeError(400, 'invalid_request_error', 'Invalid array: line_items must be an array.', 'line_items');
  }
  const items = value.map((raw, i) => {
    const param = `line_items[${i}]`;
    const item = readObject(raw, param, LINE_ITEM_PARAMS)!;
    if (item.price !== undefined) {
      throw new StripeError(400, 'invalid_request_error', `No such price: ${JSON.stringify(item.price)}`, `${param}[price]`, 'resource_missing');
    }
    const priceData = readObject(item.price_data, `${param}[price_data]`, PRICE_DATA_PARAMS);
    if (!priceData) {
      throw new StripeError(400, 'invalid_request_error', `${param} needs price or price_data.`, `${param}[price_data]`, 'parameter_missing');
    }
    const quantity = integer(item.quantity, `${param}[quantity]`, 1);
    const currency = priceData.currency;
    if (currency === undefined) {
      throw missing(`${param}[price_data][currency]`);
    }
    if (typeof currency !== 'string' || MINIMUM_CHARGE[currency] === undefined) {
      throw new StripeError(400, 'invalid_request_error', `Invalid currency: ${JSON.stringify(currency)}. The stand-in takes ${Object.keys(MINIMUM_CHARGE).join(', ')} (lower case).`,
        `${param}[price_data][currency]`);
    }
    const unitAmount = integer(priceData.unit_amount, `${param}[price_data][unit_amount]`, 0);
    if (priceData.product !== undefined) {
      throw new StripeError(400, 'invalid_request_error', `No such product: ${JSON.stringify(priceData.product)}`, `${param}[price_data][product]`, 'resource_missing');
    }
    const product = readObject(priceData.product_data, `${param}[price_data][product_data]`, ['name', 'description']);
    if (!product || typeof product.name !== 'string' || product.name.trim() === '') {
      throw missing(`${param}[price_data][product_data][name]`);
    }
    const recurring = readObject(priceData.recurring, `${param}[price_data][recurring]`, ['interval', 'interval_count']);
    if (recurring && (typeof recurring.interval !== 'string' || !INTERVALS.includes(recurring.interval))) {
      throw new StripeError(400, 'invalid_request_error', `Invalid interval: must be one of ${INTERVALS.join(', ')}.`, `${param}[price_data][recurring][interval]`);
    }
    if (recurring && mode === 'payment') {
      throw new StripeError(400, 'invalid_request_error',
        'A recurring price needs subscription mode; payment mode takes one-time prices only.', `${param}[price_data][recurring]`);
    }
    return { name: product.name, currency, unitAmount, quantity, ...(recurring ? { recurring: { interval: recurring.interval as string } } : {}) };
  });
  if (mode === 'subscription' && !items.some((item) => item.recurring)) {
    throw new StripeError(400, 'invalid_request_error', 'Subscription mode needs at least one recurring price (price_data[recurring]).', 'line_items');
  }
  if (items.some((item) => item.currency !== items[0].currency)) {
    throw new StripeError(400, 'invalid_request_error', 'Every line item must be in the same currency.', 'line_items');
  }
  return items;
}

function integer(value: FormValue | undefined, param: string, min: number): number {
  if (value === undefined) {
    throw missing(param);
  }
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || Number(value) < min) {
    throw new StripeError(400, 'invalid_request_error', `Invalid integer: ${param} must be a whole number of at least ${min}.`, param, 'parameter_invalid_integer');
  }
  return Number(value);
}

function checkUrl(value: string, param: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) {
    throw new StripeError(400, 'invalid_request_error', `Not a valid URL: ${param}`, param, 'url_invalid');
  }
}

// ---- answers ----------------------------------------------------------------

function json(status: number, body: unknown): HttpResult {
  return { statusCode: status, headers: { 'content-type': 'application/json', 'request-id': `req_${randomId(14)}` }, body: JSON.stringify(body) };
}

function stripeError(error: StripeError): HttpResult {
  return json(error.status, {
    error: { type: error.type, message: error.message, ...(error.code ? { code: error.code } : {}), ...(error.param ? { param: error.param } : {}) },
  });
}

/** Checkout's redirect after paying or cancelling; `{CHECKOUT_SESSION_ID}` in the URL becomes the session's id, as Checkout does. */
function redirect(url: string, sessionId: string): HttpResult {
  return { statusCode: 303, headers: { 'location': url.replace(/\{CHECKOUT_SESSION_ID\}/g, sessionId), 'cache-control': 'no-store' }, body: '' };
}

function headerValue(headers: StandInRequest['headers'], name: string): string | undefined {
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(entry) ? entry[0] : entry as string | undefined;
}

/** A key as Stripe shows it in errors: its prefix and last four characters. */
function maskKey(key: string): string {
  const prefix = /^[a-z]+_(test|live)_/.exec(key)?.[0] ?? '';
  return `${prefix}${'*'.repeat(Math.max(4, key.length - prefix.length - 4))}${key.length > prefix.length + 4 ? key.slice(-4) : ''}`;
}

function randomId(length: number): string {
  let id = '';
  while (id.length < length) {
    id += randomBytes(length).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  }
  return id.slice(0, length);
}

/** An amount in the currency's smallest unit, as people read it (`$9.99`, `¥500`). */
export function formatAmount(amount: number, currency: string): string {
  const digits = ZERO_DECIMAL_CURRENCIES.includes(currency) ? 0 : 2;
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase(), minimumFractionDigits: digits, maximumFractionDigits: digits })
    .format(amount / 10 ** digits);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[c]!);
}

/**
 * A page of the stand-in: no script, a strict content security policy, and
 * a layout that reads at any width (one column on a phone), with large
 * targets, visible focus and the system's light or dark scheme.
 */
function page(status: number, title: string, main: string, formTargets: readonly string[] = []): HttpResult {
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="color-scheme" content="light dark">
  <title>${escapeHtml(title)} · Sandbox checkout</title>
  <style>
    :root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; color: #1a1f36; background: #f6f8fa; }
    body { margin: 0; padding: 1rem; }
    main { max-width: 28rem; margin: 2rem auto; background: #fff; border-radius: 12px; padding: 1.5rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.15); }
    h1 { font-size: 1.5rem; margin: 0 0 1rem; }
    h2 { font-size: 1rem; margin: 0 0 0.5rem; color: #3c4257; }
    .notice { background: #fff4e5; color: #5c3b00; border-left: 4px solid #b26b00; padding: 0.5rem 0.75rem; font-size: 0.875rem; margin: 0 0 1rem; }
    .items { list-style: none; padding: 0; margin: 0 0 0.75rem; }
    .items li { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0.25rem 1rem; padding: 0.5rem 0; border-bottom: 1px solid #e3e8ee; }
    .name { overflow-wrap: anywhere; }
    .per, .terms { color: #4f566b; font-size: 0.875rem; }
    .total { display: flex; justify-content: space-between; font-size: 1.125rem; margin: 0.5rem 0; }
    .actions { display: flex; flex-direction: column; gap: 0.75rem; margin-top: 1.5rem; }
    .actions form { margin: 0; }
    button { width: 100%; min-height: 44px; font: inherit; font-weight: 600; border-radius: 8px; cursor: pointer; padding: 0.625rem 1rem; }
    .pay { background: #0a5cd5; color: #fff; border: 0; }
    .pay:hover { background: #0848a8; }
    .cancel { background: transparent; color: #0a5cd5; border: 1px solid #8da9d8; }
    button:focus-visible, a:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
    a { color: #0a5cd5; }
    @media (prefers-color-scheme: dark) {
      :root { color: #e6e9ef; background: #0e1117; }
      main { background: #1a1f2b; box-shadow: none; border: 1px solid #2d3343; }
      h2, .per, .terms { color: #b8bfcc; }
      .items li { border-color: #2d3343; }
      .notice { background: #3a2a0f; color: #ffdca3; }
      .cancel, a { color: #8ab4ff; border-color: #4d6493; }
    }
    @media (min-width: 30rem) { .actions { flex-direction: row-reverse; } .actions form { flex: 1; } }
  </style>
</head>
<body>
  <main aria-labelledby="title">${main.includes('id="title"') ? main : main.replace('<h1>', '<h1 id="title">')}
  </main>
</body>
</html>
`;
  const formAction = ['\'self\'', ...new Set(formTargets)].join(' ');
  return {
    statusCode: status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; base-uri 'none'; frame-ancestors 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: html,
  };
}
