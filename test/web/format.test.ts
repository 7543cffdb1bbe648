import { formatDuration, formatInterval, formatPrice, isWebUrl, mediaUrl, parsePrice, priceInput } from '../../web/src/format';

describe('prices', () => {
  test('formatted from the smallest currency unit', () => {
    expect(formatPrice({ amount: 499, currency: 'usd' }, 'en-US')).toBe('$4.99');
    expect(formatPrice({ amount: 500, currency: 'jpy' }, 'en-US')).toBe('¥500');
    expect(formatPrice({ amount: 1999, currency: 'eur' }, 'de-DE')).toBe('19,99\u00a0€');
    expect(formatInterval({ amount: 999, currency: 'usd', interval: 'month' }, 'en-US')).toBe('$9.99/month');
  });

  test('read as people type them', () => {
    expect(parsePrice('4.99', 'usd')).toEqual({ ok: true, price: { amount: 499, currency: 'usd' } });
    expect(parsePrice(' 4,5 ', 'EUR')).toEqual({ ok: true, price: { amount: 450, currency: 'eur' } });
    expect(parsePrice('10', 'usd')).toEqual({ ok: true, price: { amount: 1000, currency: 'usd' } });
    expect(parsePrice('500', 'jpy')).toEqual({ ok: true, price: { amount: 500, currency: 'jpy' } });
    expect(priceInput({ amount: 499, currency: 'usd' })).toBe('4.99');
  });

  test('refused outside what Stripe takes, with a reason', () => {
    expect(parsePrice('0.49', 'usd')).toMatchObject({ ok: false });
    expect(parsePrice('1000000', 'usd')).toMatchObject({ ok: false });
    expect(parsePrice('4.999', 'usd')).toMatchObject({ ok: false });
    expect(parsePrice('1.5', 'jpy')).toMatchObject({ ok: false });
    expect(parsePrice('abc', 'usd')).toMatchObject({ ok: false, error: 'Enter a price such as 4.99 (at most 2 decimals).' });
    expect(parsePrice('5', '')).toMatchObject({ ok: false });
  });
});

describe('media URLs', () => {
  test('the page’s own host is fetched from this origin (the sandbox answers https URLs on http)', () => {
    expect(mediaUrl('https://localhost:8080/videos/v1/master.m3u8', 'http://localhost:8080')).toBe('http://localhost:8080/videos/v1/master.m3u8');
    expect(mediaUrl('https://d1.cloudfront.net/posters/v1/p.jpg', 'https://d1.cloudfront.net')).toBe('https://d1.cloudfront.net/posters/v1/p.jpg');
  });

  test('another host is left as it is; other schemes are dropped', () => {
    expect(mediaUrl('https://media.example.com/videos/v1/master.m3u8', 'https://app.example.com')).toBe('https://media.example.com/videos/v1/master.m3u8');
    expect(mediaUrl('javascript:alert(1)', 'https://app.example.com')).toBeUndefined();
    expect(mediaUrl(undefined, 'https://app.example.com')).toBeUndefined();
  });

  test('only web addresses may be navigated to', () => {
    expect(isWebUrl('https://checkout.stripe.com/c/pay/cs_test_1')).toBe(true);
    expect(isWebUrl('javascript:alert(1)')).toBe(false);
    expect(isWebUrl(42)).toBe(false);
  });
});

test('durations', () => {
  expect(formatDuration(65)).toBe('1:05');
  expect(formatDuration(3725)).toBe('1:02:05');
  expect(formatDuration(0)).toBe('0:00');
});
