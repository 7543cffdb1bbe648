import { CURRENCIES, MAXIMUM_CHARGE, MINIMUM_CHARGE, parsePremiumOffer, priceProblem } from '../../src/entitlement/prices.lambda-shared';

/** Prices and the premium offer's deploy-time setting. */

test('every currency has Stripe\'s minimum, and each minimum and the maximum are prices', () => {
  expect(CURRENCIES.length).toBeGreaterThan(0);
  for (const currency of CURRENCIES) {
    expect([currency, priceProblem({ amount: MINIMUM_CHARGE[currency], currency })]).toEqual([currency, undefined]);
    expect([currency, priceProblem({ amount: MINIMUM_CHARGE[currency] - 1, currency })]).toEqual([currency, expect.stringContaining('amount must be')]);
    expect([currency, priceProblem({ amount: MAXIMUM_CHARGE, currency })]).toEqual([currency, undefined]);
  }
  expect(priceProblem({ amount: MAXIMUM_CHARGE + 1, currency: 'usd' })).toContain('99999999');
  expect(MINIMUM_CHARGE.usd).toBe(50);
});

test('the premium offer is read from its setting; none without one', () => {
  expect(parsePremiumOffer('{"amount":999,"currency":"usd","interval":"month"}', 'PREMIUM_PRICE')).toEqual({ amount: 999, currency: 'usd', interval: 'month' });
  expect(parsePremiumOffer(undefined, 'PREMIUM_PRICE')).toBeUndefined();
  expect(parsePremiumOffer('', 'PREMIUM_PRICE')).toBeUndefined();
});

test.each([
  ['not JSON', '{"amount":'],
  ['a number', '999'],
  ['no interval', '{"amount":999,"currency":"usd"}'],
  ['an unknown interval', '{"amount":999,"currency":"usd","interval":"fortnight"}'],
  ['an amount under the minimum', '{"amount":10,"currency":"usd","interval":"month"}'],
  ['an unknown currency', '{"amount":999,"currency":"zzz","interval":"month"}'],
  ['an unknown field', '{"amount":999,"currency":"usd","interval":"month","trial":7}'],
])('a premium setting with %s fails the start, naming the setting', (_name, setting) => {
  expect(() => parsePremiumOffer(setting, 'PREMIUM_PRICE')).toThrow(/^PREMIUM_PRICE/);
});
