import { ApiError, describe } from './http.lambda-shared';

/**
 * Prices of what the platform sells through Stripe Checkout: a video for
 * purchase, and the premium membership.
 *
 * Amounts are whole numbers in the currency's smallest unit, as Stripe takes
 * them (cents for `usd`, yen for the zero-decimal `jpy`). Stripe refuses a
 * charge below its minimum for the currency (50 US cents or the equivalent)
 * and any amount of more than eight digits
 * (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
 *
 * Currencies are a small fixed set rather than any ISO 4217 code: Stripe's
 * minimum for other currencies is "the equivalent of 50 US cents" at the
 * day's exchange rate, which only Stripe can check, so a price the API
 * accepted could still be refused at checkout. For these currencies Stripe
 * publishes a fixed minimum, so a price accepted here is one Stripe charges.
 */

/** The smallest charge Stripe accepts, per currency, in that currency's smallest unit. */
export const MINIMUM_CHARGE: Readonly<Record<string, number>> = {
  usd: 50,
  eur: 50,
  gbp: 30,
  cad: 50,
  aud: 50,
  chf: 50,
  // A zero-decimal currency: the amount is in yen.
  jpy: 50,
};

/** The currencies a price may be in (ISO 4217, lower case as Stripe takes them). */
export const CURRENCIES: readonly string[] = Object.keys(MINIMUM_CHARGE);

/** Stripe's largest amount: eight digits (99,999,999 cents is $999,999.99). */
export const MAXIMUM_CHARGE = 99_999_999;

/** Currencies whose smallest unit is the currency itself (https://docs.stripe.com/currencies#zero-decimal). */
export const ZERO_DECIMAL_CURRENCIES: readonly string[] = ['jpy'];

export interface Price {
  /** Whole number in the currency's smallest unit. */
  readonly amount: number;
  /** ISO 4217 code in lower case, one of {@link CURRENCIES}. */
  readonly currency: string;
}

/** How often a subscription bills, as Stripe's `recurring.interval`. */
export type BillingInterval = 'day' | 'week' | 'month' | 'year';
export const BILLING_INTERVALS: readonly BillingInterval[] = ['day', 'week', 'month', 'year'];

/** The premium membership's price: billed every `interval`. */
export interface PremiumOffer extends Price {
  readonly interval: BillingInterval;
}

/** Why a price is not one Stripe would charge; undefined when it is. */
export function priceProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `must be an object { amount, currency }, got ${describe(value)}`;
  }
  const { amount, currency, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    return `has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: amount, currency`;
  }
  if (typeof currency !== 'string' || !CURRENCIES.includes(currency)) {
    return `currency must be one of ${CURRENCIES.map((c) => JSON.stringify(c)).join(', ')}, got ${describe(currency)}`;
  }
  const minimum = MINIMUM_CHARGE[currency];
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < minimum || amount > MAXIMUM_CHARGE) {
    return `amount must be a whole number of the currency's smallest unit from ${minimum} to ${MAXIMUM_CHARGE} for ${currency} `
      + `(Stripe's minimum and maximum charge), got ${describe(amount)}`;
  }
  return undefined;
}

/** The price of a request body's field: a 400 unless Stripe would charge it. */
export function parsePrice(value: unknown, name: string): Price {
  const problem = priceProblem(value);
  if (problem) {
    throw new ApiError(400, 'invalid-price', `${name} ${problem}`);
  }
  const { amount, currency } = value as Price;
  return { amount, currency };
}

/**
 * The premium offer from its deploy-time setting (JSON
 * `{"amount":999,"currency":"usd","interval":"month"}`); `undefined` when
 * the setting is empty. A malformed setting fails the function's start.
 */
export function parsePremiumOffer(setting: string | undefined, settingName: string): PremiumOffer | undefined {
  if (setting === undefined || setting === '') {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(setting);
  } catch {
    throw new Error(`${settingName} must be JSON {"amount","currency","interval"}, got ${describe(setting)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${settingName} must be a JSON object {"amount","currency","interval"}, got ${describe(parsed)}`);
  }
  const { interval, ...price } = parsed as Record<string, unknown>;
  if (!BILLING_INTERVALS.includes(interval as BillingInterval)) {
    throw new Error(`${settingName}: interval must be one of ${BILLING_INTERVALS.join(', ')}, got ${describe(interval)}`);
  }
  const problem = priceProblem(price);
  if (problem) {
    throw new Error(`${settingName}: the price ${problem}`);
  }
  const { amount, currency } = price as unknown as Price;
  return { amount, currency, interval: interval as BillingInterval };
}
