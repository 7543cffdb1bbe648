import { createHmac, timingSafeEqual } from 'node:crypto';
import { EntitlementStore, PREMIUM, videoEntitlement } from './entitlements.lambda-shared';
import { ApiError, errorResult, header, HttpEvent, HttpResult, jsonResult, rawBody } from './http.lambda-shared';
import { isValidId } from '../contracts/source-keys';
import { isUserId } from '../contracts/user-ids';

/**
 * Stripe's webhook signature, as Stripe documents it: the `Stripe-Signature`
 * header carries `t=<unix time>` and one or more `v1=<hex>`, each an
 * HMAC-SHA256 with the endpoint secret of `<t>.<raw body>`. A signature must
 * match in constant time and `t` be within the tolerance of now.
 *
 * This is used instead of the Stripe SDK's verifier because the SDK adds
 * 300 KB to the minified bundle; the tests check it against signatures the
 * SDK makes.
 */
export function verifyStripeSignature(payload: string, signatureHeader: string | undefined, secret: string, now: Date, toleranceSeconds = 300): void {
  if (!signatureHeader || signatureHeader.length > 2048) {
    throw new ApiError(400, 'invalid-signature', 'the Stripe-Signature header is missing');
  }
  const parts = signatureHeader.split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([key]) => key === 't')?.[1]);
  const signatures = parts.filter(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/.test(value ?? '')).map(([, value]) => Buffer.from(value, 'hex'));
  if (!Number.isInteger(timestamp) || signatures.length === 0) {
    throw new ApiError(400, 'invalid-signature', 'the Stripe-Signature header has no timestamp or v1 signature');
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest();
  if (!signatures.some((signature) => timingSafeEqual(signature, expected))) {
    throw new ApiError(400, 'invalid-signature', 'no v1 signature matches the payload');
  }
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) {
    throw new ApiError(400, 'stale-signature', `the signature's timestamp is more than ${toleranceSeconds} seconds from now`);
  }
}

export interface StripeWebhookDependencies {
  readonly entitlements: EntitlementStore;
  /** The endpoint's signing secret (`whsec_...`), read once per container. */
  readonly secret: () => Promise<string>;
  readonly now?: () => Date;
  /** How long a subscription checkout grants premium before Stripe's next update extends it. */
  readonly premiumDays?: number;
}

interface StripeEvent {
  readonly id: string;
  readonly type: string;
  readonly data: { readonly object: Record<string, any> };
}

/**
 * Verifies and applies one Stripe event. Replays and retries of an event
 * already handled change nothing; unknown events are acknowledged.
 *
 * - `checkout.session.completed` once paid, or
 *   `checkout.session.async_payment_succeeded` when a delayed payment method
 *   settles: the session's `client_reference_id` is the user;
 *   `metadata.videoId` grants that video (payment mode), a subscription
 *   grants premium. A completed checkout still `unpaid` and
 *   `checkout.session.async_payment_failed` grant nothing.
 * - `customer.subscription.updated` (active): premium until the period's end;
 *   `metadata.userId` on the subscription names the user.
 * - `customer.subscription.deleted` and `charge.refunded`: revoke what that
 *   subscription or payment granted.
 */
export async function handleStripeWebhook(deps: StripeWebhookDependencies, event: HttpEvent): Promise<HttpResult> {
  const now = (deps.now ?? (() => new Date()))();
  try {
    const payload = rawBody(event);
    verifyStripeSignature(payload, header(event, 'stripe-signature'), await deps.secret(), now);
    let stripeEvent: StripeEvent;
    try {
      stripeEvent = JSON.parse(payload);
    } catch {
      throw new ApiError(400, 'invalid-json', 'the event is not JSON');
    }
    if (typeof stripeEvent?.id !== 'string' || !/^evt_[A-Za-z0-9]+$/.test(stripeEvent.id) || typeof stripeEvent.type !== 'string' || typeof stripeEvent.data?.object !== 'object') {
      throw new ApiError(400, 'invalid-event', 'the event has no id, type or data object');
    }
    if (!await deps.entitlements.claimEvent(stripeEvent.id, now)) {
      return jsonResult(200, { received: true, duplicate: true });
    }
    const applied = await apply(deps, stripeEvent, now);
    await deps.entitlements.finishEvent(stripeEvent.id);
    return jsonResult(200, { received: true, applied });
  } catch (error) {
    if (error instanceof ApiError) {
      return errorResult(error);
    }
    throw error;
  }
}

/**
 * What a Checkout Session's `payment_status` must be for its order to be
 * fulfilled. Stripe's fulfillment guide (https://docs.stripe.com/checkout/fulfillment)
 * says to check `payment_status` before fulfilling: with delayed payment
 * methods (bank debits, vouchers) `checkout.session.completed` arrives
 * `unpaid`, and `checkout.session.async_payment_succeeded` (the same session,
 * now `paid`) or `checkout.session.async_payment_failed` follows.
 * `no_payment_required` is a session with nothing to pay (a full discount, a
 * free trial).
 */
const FULFILLED_PAYMENT_STATUSES: readonly unknown[] = ['paid', 'no_payment_required'];

async function apply(deps: StripeWebhookDependencies, event: StripeEvent, now: Date): Promise<string> {
  const object = event.data.object;
  const grantedBy = `stripe:${event.id}`;
  switch (event.type) {
    case 'checkout.session.async_payment_failed':
      return 'ignored: the delayed payment failed; nothing was granted';
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const userId = object.client_reference_id;
      if (!isUserId(userId)) {
        return 'ignored: no client_reference_id';
      }
      if (!FULFILLED_PAYMENT_STATUSES.includes(object.payment_status)) {
        // Acknowledged (a retry would not change it): the payment's own event grants, if it succeeds.
        return `ignored: not paid yet (payment_status ${JSON.stringify(object.payment_status ?? null)})`;
      }
      if (object.mode === 'subscription' && typeof object.subscription === 'string') {
        const until = new Date(now.getTime() + (deps.premiumDays ?? 31) * 86400_000);
        await deps.entitlements.grant({
          userId, entitlementId: PREMIUM, expiresAt: until.toISOString(), grantedAt: now.toISOString(), grantedBy, paymentRef: object.subscription,
        });
        return 'premium granted';
      }
      const videoId = object.metadata?.videoId;
      if (isValidId(videoId)) {
        await deps.entitlements.grant({
          userId,
          entitlementId: videoEntitlement(videoId),
          grantedAt: now.toISOString(),
          grantedBy,
          ...(typeof object.payment_intent === 'string' ? { paymentRef: object.payment_intent } : {}),
        });
        return 'purchase granted';
      }
      return 'ignored: neither a subscription nor a video purchase';
    }
    case 'customer.subscription.updated': {
      const userId = object.metadata?.userId;
      const periodEnd = object.current_period_end ?? object.items?.data?.[0]?.current_period_end;
      if (!isUserId(userId) || object.status !== 'active' || typeof periodEnd !== 'number') {
        return 'ignored: not an active subscription of a known user';
      }
      await deps.entitlements.grant({
        userId,
        entitlementId: PREMIUM,
        expiresAt: new Date(periodEnd * 1000).toISOString(),
        grantedAt: now.toISOString(),
        grantedBy,
        paymentRef: object.id,
      });
      return 'premium extended';
    }
    case 'customer.subscription.deleted':
      return `revoked ${await deps.entitlements.revokeByPaymentRef(String(object.id))}`;
    case 'charge.refunded':
      return typeof object.payment_intent === 'string' ? `revoked ${await deps.entitlements.revokeByPaymentRef(object.payment_intent)}` : 'ignored: no payment intent';
    default:
      return 'ignored: not an event this platform acts on';
  }
}

