import { TokenError, TokenSet } from '../../web/src/oauth';
import { RefreshTokenStore, TokenRefresh, TokenRefreshOptions } from '../../web/src/token-refresh';

const HOUR = 3_600_000;

/** Lets the promise callbacks queued so far run (fake timers do not advance them). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

const tokens = (expiresAt: number, refreshToken?: string): TokenSet => ({ accessToken: 'access', idToken: 'id', refreshToken, expiresAt });

function memoryStore(initial?: string): RefreshTokenStore & { value: string | undefined } {
  const store = {
    value: initial,
    read: () => store.value,
    write: (token: string) => {
      store.value = token;
    },
    remove: () => {
      store.value = undefined;
    },
  };
  return store;
}

const offline = () => new TypeError('Failed to fetch');

function signedIn(request: TokenRefreshOptions['request'], more: Partial<TokenRefreshOptions> = {}) {
  const store = memoryStore();
  const onChange = jest.fn();
  const session = new TokenRefresh({ request, store, onChange, ...more });
  session.accept(tokens(Date.now() + HOUR, 'refresh-1'));
  onChange.mockClear();
  return { session, store, onChange };
}

describe('TokenRefresh', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  test('renews a minute before the access token expires, and keeps the refresh token when the answer has none', async () => {
    const request = jest.fn().mockImplementation(async () => tokens(Date.now() + HOUR));
    const { session, store, onChange } = signedIn(request);
    jest.advanceTimersByTime(HOUR - 60_001);
    expect(request).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(request).toHaveBeenCalledWith('refresh-1');
    await settle();
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(store.value).toBe('refresh-1');
    session.clear();
  });

  test('a refused refresh token ends the session at once', async () => {
    const request = jest.fn().mockRejectedValue(new TokenError('invalid_grant', 'sign-in failed (invalid_grant)'));
    const { session, store, onChange } = signedIn(request);
    await expect(session.refresh()).resolves.toBe(false);
    expect(session.tokens).toBeUndefined();
    expect(store.value).toBeUndefined();
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('renewals without an answer are tried again every 90 s; the third in a row ends the session', async () => {
    const request = jest.fn().mockRejectedValue(offline());
    const { session, store, onChange } = signedIn(request);

    jest.advanceTimersByTime(HOUR - 60_000);
    await settle();
    expect(request).toHaveBeenCalledTimes(1);
    expect(session.tokens).toBeDefined();
    expect(store.value).toBe('refresh-1');

    jest.advanceTimersByTime(89_999);
    await settle();
    expect(request).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(request).toHaveBeenCalledTimes(2);
    expect(session.consecutiveFailures).toBe(2);
    expect(onChange).not.toHaveBeenCalled();

    jest.advanceTimersByTime(90_000);
    await settle();
    expect(request).toHaveBeenCalledTimes(3);
    // Signed out: no tokens, no stored refresh token, the page told, nothing left to try.
    expect(session.tokens).toBeUndefined();
    expect(store.value).toBeUndefined();
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(24 * HOUR);
    await settle();
    expect(request).toHaveBeenCalledTimes(3);
  });

  test('a renewal that works in between starts the count again', async () => {
    const request = jest.fn()
      .mockRejectedValueOnce(offline())
      .mockRejectedValueOnce(offline())
      .mockImplementationOnce(async () => tokens(Date.now() + HOUR))
      .mockRejectedValueOnce(offline())
      .mockRejectedValueOnce(offline())
      .mockImplementation(async () => tokens(Date.now() + HOUR));
    const { session, onChange } = signedIn(request);
    for (let i = 0; i < 5; i++) {
      await expect(session.refresh()).resolves.toBe(i === 2);
    }
    expect(session.consecutiveFailures).toBe(2);
    expect(session.tokens).toBeDefined();
    expect(onChange).toHaveBeenCalledTimes(1);
    await expect(session.refresh()).resolves.toBe(true);
    expect(session.consecutiveFailures).toBe(0);
    session.clear();
  });

  test('renewals asked for on demand count too, and share one request while it runs', async () => {
    let fail!: (error: unknown) => void;
    const request = jest.fn()
      .mockImplementationOnce(() => new Promise((_resolve, reject) => {
        fail = reject;
      }))
      .mockRejectedValue(offline());
    const { session, store } = signedIn(request, { maxFailures: 2 });
    const first = session.refresh();
    const second = session.refresh();
    expect(session.refreshing).toBe(true);
    fail(offline());
    await expect(Promise.all([first, second])).resolves.toEqual([false, false]);
    expect(request).toHaveBeenCalledTimes(1);
    expect(session.consecutiveFailures).toBe(1);
    await session.refresh();
    expect(session.tokens).toBeUndefined();
    expect(store.value).toBeUndefined();
  });

  test('without a stored refresh token there is nothing to renew with: the session ends', async () => {
    const request = jest.fn();
    const { session, store, onChange } = signedIn(request);
    store.value = undefined;
    await expect(session.refresh()).resolves.toBe(false);
    expect(request).not.toHaveBeenCalled();
    expect(session.tokens).toBeUndefined();
    expect(onChange).toHaveBeenCalledTimes(1);
  });
});
