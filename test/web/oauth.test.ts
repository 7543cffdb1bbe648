import type { AppConfig } from '../../web/src/config';
import {
  authorizeUrl, codeExchangeBody, decodeState, encodeState, jwtClaims, logoutUrl, parseTokenAnswer, refreshBody, refreshDelay, TokenError, userInfo,
} from '../../web/src/oauth';

const config: AppConfig = {
  region: 'us-east-1',
  clientId: 'client-1',
  signInUrl: 'https://vod.auth.us-east-1.amazoncognito.com',
  issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc',
  apiPath: '/api',
  scopes: ['openid', 'email', 'profile'],
};

const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('OAuth messages', () => {
  test('the authorization URL carries PKCE S256, the scopes and the state', () => {
    const url = new URL(authorizeUrl(config, { redirectUri: 'https://d1.cloudfront.net/', state: 'n.Iy8', challenge: 'ch' }));
    expect(`${url.origin}${url.pathname}`).toBe('https://vod.auth.us-east-1.amazoncognito.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://d1.cloudfront.net/',
      scope: 'openid email profile',
      state: 'n.Iy8',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });

  test('token requests are form-encoded', () => {
    expect(Object.fromEntries(new URLSearchParams(codeExchangeBody(config, { code: 'c', redirectUri: 'https://x/', verifier: 'v' })))).toEqual({
      grant_type: 'authorization_code', client_id: 'client-1', code: 'c', redirect_uri: 'https://x/', code_verifier: 'v',
    });
    expect(refreshBody(config, 'r+/=')).toBe('grant_type=refresh_token&client_id=client-1&refresh_token=r%2B%2F%3D');
  });

  test('sign-out goes to /logout with the client and the logout URI', () => {
    expect(logoutUrl(config, 'https://d1.cloudfront.net/'))
      .toBe('https://vod.auth.us-east-1.amazoncognito.com/logout?client_id=client-1&logout_uri=https%3A%2F%2Fd1.cloudfront.net%2F');
  });

  test('state carries the nonce and the hash to return to, any characters included', () => {
    const state = encodeState('abc', '#/watch/v1?checkout=success&é');
    expect(state).toMatch(/^abc\.[A-Za-z0-9_-]+$/);
    expect(decodeState(state)).toEqual({ nonce: 'abc', returnHash: '#/watch/v1?checkout=success&é' });
    expect(decodeState(encodeState('n', ''))).toEqual({ nonce: 'n', returnHash: '#/' });
    expect(decodeState('no-dot')).toBeUndefined();
    expect(decodeState('n.%%%')).toBeUndefined();
  });

  test('token answers: expiry from the token, refusals with their OAuth error', () => {
    const access = jwt({ 'sub': 'u1', 'exp': 2_000_000_000, 'cognito:groups': ['creators'] });
    expect(parseTokenAnswer(200, { access_token: access, id_token: 'i', refresh_token: 'r', expires_in: 3600 }, 0)).toEqual({
      accessToken: access, idToken: 'i', refreshToken: 'r', expiresAt: 2_000_000_000_000,
    });
    expect(parseTokenAnswer(200, { access_token: 'opaque', expires_in: 60 }, 1000).expiresAt).toBe(61_000);
    expect(() => parseTokenAnswer(400, { error: 'invalid_grant', error_description: 'Refresh Token has expired' }, 0))
      .toThrow(new TokenError('invalid_grant', 'sign-in failed (invalid_grant: Refresh Token has expired)'));
    expect(() => parseTokenAnswer(500, undefined, 0)).toThrow('sign-in failed (status 500)');
  });

  test('the user: groups from the access token, email from the ID token', () => {
    const user = userInfo({
      accessToken: jwt({ 'sub': 'u1', 'cognito:groups': ['creators', 'admins'], 'username': 'u1' }),
      idToken: jwt({ sub: 'u1', email: 'ana@example.com' }),
      expiresAt: 0,
    });
    expect(user).toEqual({ userId: 'u1', email: 'ana@example.com', groups: ['creators', 'admins'] });
    expect(userInfo({ accessToken: jwt({ sub: 'u2' }), expiresAt: 0 })).toEqual({ userId: 'u2', email: undefined, groups: [] });
    expect(jwtClaims('not a token')).toEqual({});
  });

  test('refresh a minute before expiry, never sooner than in 5 s', () => {
    expect(refreshDelay(3_600_000, 0)).toBe(3_540_000);
    expect(refreshDelay(30_000, 0)).toBe(5_000);
  });
});
