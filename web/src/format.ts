/**
 * How the page writes prices, durations, dates and media URLs.
 */
import type { Price } from './api';

/** Digits after the decimal point of a currency (2 for usd, 0 for jpy), as Intl knows them. */
export function currencyDigits(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

/** `{ amount: 499, currency: 'usd' }` → `$4.99` (in the reader's locale). */
export function formatPrice(price: Price, locale?: string): string {
  const digits = currencyDigits(price.currency);
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency: price.currency.toUpperCase() }).format(price.amount / 10 ** digits);
  } catch {
    return `${(price.amount / 10 ** digits).toFixed(digits)} ${price.currency.toUpperCase()}`;
  }
}

/** `month` → `/month`, for a subscription price. */
export function formatInterval(price: Price & { interval?: string }, locale?: string): string {
  return price.interval ? `${formatPrice(price, locale)}/${price.interval}` : formatPrice(price, locale);
}

/** The smallest and largest amounts Stripe takes for one payment (usd: 50 cents; at most 99999999). */
export const MAX_AMOUNT = 99_999_999;
const MIN_USD_AMOUNT = 50;

/**
 * Reads a price the way a person types it (`4.99`, `4,99`, `10`) into the
 * smallest currency unit; an error sentence when it cannot be a price.
 */
export function parsePrice(input: string, currency: string): { ok: true; price: Price } | { ok: false; error: string } {
  const code = currency.trim().toLowerCase();
  if (!/^[a-z]{3}$/.test(code)) {
    return { ok: false, error: 'Choose a currency.' };
  }
  const digits = currencyDigits(code);
  const text = input.trim().replace(',', '.');
  const pattern = digits > 0 ? new RegExp(`^\\d{1,9}(\\.\\d{1,${digits}})?$`) : /^\d{1,9}$/;
  if (!pattern.test(text)) {
    return { ok: false, error: digits > 0 ? `Enter a price such as 4.99 (at most ${digits} decimals).` : 'Enter a whole price such as 500.' };
  }
  const [whole, fraction = ''] = text.split('.');
  const amount = Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
  if (amount > MAX_AMOUNT) {
    return { ok: false, error: `The price must be at most ${formatPrice({ amount: MAX_AMOUNT, currency: code })}.` };
  }
  if (amount <= 0 || (code === 'usd' && amount < MIN_USD_AMOUNT)) {
    return { ok: false, error: `The price must be at least ${formatPrice({ amount: code === 'usd' ? MIN_USD_AMOUNT : 1, currency: code })}.` };
  }
  return { ok: true, price: { amount, currency: code } };
}

/** A price as the form shows it back (`499`, usd → `4.99`). */
export function priceInput(price: Price): string {
  const digits = currencyDigits(price.currency);
  return (price.amount / 10 ** digits).toFixed(digits);
}

/** `3725` → `1:02:05`, `65` → `1:05`. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = String(seconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

export function formatDate(iso: string | undefined, locale?: string): string {
  if (!iso) return '';
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(time);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/**
 * Media URLs as the page should fetch them. The API writes absolute
 * `https://<media domain>/...` URLs; when that is this page's own host (the
 * one-origin platform, or the sandbox on plain http) the path is fetched from
 * this origin, so the playback cookies (scoped to this host) go with it.
 * Another host is left as it is (a cross-origin player).
 */
export function mediaUrl(url: string | undefined, origin: string): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url, origin);
    const here = new URL(origin);
    if (parsed.host === here.host) {
      return `${here.origin}${parsed.pathname}${parsed.search}`;
    }
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `url` may be navigated to (a checkout page): http(s) only, never `javascript:` or `data:`. */
export function isWebUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
