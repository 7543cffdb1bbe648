import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { JwtRsaVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { AUTHORIZATION_CODE_SECONDS, OidcProvider } from '../../sandbox/identity/oidc-provider';
import { TokenMinter } from '../../sandbox/identity/tokens';
import { Authenticator } from '../../src/entitlement/auth.lambda-shared';

/**
 * The sandbox's OpenID provider over real local HTTP, driven as a browser
 * and a single-page app drive Cognito's managed login: authorization code
 * with PKCE (S256), tokens the API's own verifier accepts, and every way a
 * code, a redirect URI, a refresh token or a sign-out can be refused.
 */

const CLIENT = 'sandbox-web-client';
const APP = 'https://app.example/';
const OTHER_CALLBACK = 'https://app.example/other';
const SIGNED_OUT = 'https://app.example/signed-out';

let server: http.Server;
let base: string;
let issuer: string;
let provider: OidcProvider;
let minter: TokenMinter;
/** Moves the provider's clock. */
let skewMs = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void provider.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
        .then((result) => {
          if (!result) {
            res.writeHead(404).end();
            return;
          }
          const headers: http.OutgoingHttpHeaders = { ...result.headers };
          if (result.cookies && result.cookies.length > 0) {
            headers['set-cookie'] = result.cookies;
          }
          res.writeHead(result.statusCode, headers).end(result.body);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${base}/auth`;
  minter = new TokenMinter(issuer, CLIENT);
  provider = new OidcProvider({
    issuer,
    minter,
    now: () => new Date(Date.now() + skewMs),
    users: {
      creator: { password: 'creator-password', groups: ['creators'], email: 'creator@sandbox.example' },
      viewer: { password: 'viewer-password', groups: [], email: 'viewer@sandbox.example' },
    },
    clients: [
      { clientId: CLIENT, redirectUris: [APP, OTHER_CALLBACK], logoutUris: [SIGNED_OUT], scopes: ['openid', 'email', 'profile', 'aws.cognito.signin.user.admin'] },
      { clientId: 'other-client', redirectUris: ['https://other.example/callback'], logoutUris: [] },
    ],
  });
});
afterEach(() => {
  skewMs = 0;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A browser: follows nothing by itself, keeps the cookies it is given. */
class Browser {
  public readonly cookies = new Map<string, string>();

  public async get(url: string): Promise<Response> {
    return this.keep(await fetch(url, { redirect: 'manual', headers: this.cookieHeader() }));
  }

  public async post(url: string, form: Record<string, string>): Promise<Response> {
    return this.keep(await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.cookieHeader() },
      body: new URLSearchParams(form).toString(),
    }));
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size > 0 ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') } : {};
  }

  private keep(response: Response): Response {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (/Max-Age=0\b/i.test(cookie)) {
        this.cookies.delete(name);
      } else {
        this.cookies.set(name, value);
      }
    }
    return response;
  }
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeParams(challenge: string, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: CLIENT,
    redirect_uri: APP,
    scope: 'openid email profile',
    state: 'nonce-123|#/watch/v1',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

const authorizeUrl = (params: Record<string, string>) => `${issuer}/oauth2/authorize?${new URLSearchParams(params)}`;

/** Opens the login page and submits it with these credentials. */
async function signIn(browser: Browser, params: Record<string, string>, username = 'creator', password = 'creator-password'): Promise<Response> {
  const page = await browser.get(authorizeUrl(params));
  expect(page.status).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  expect(csrf).toBeDefined();
  return browser.post(`${issuer}/oauth2/authorize`, { ...params, _csrf: csrf!, username, password });
}

function codeOf(response: Response): string {
  expect(response.status).toBe(302);
  const code = new URL(response.headers.get('location')!).searchParams.get('code');
  expect(code).toMatch(/^[0-9a-f-]{36}$/);
  return code!;
}

interface TokenAnswer {
  readonly status: number;
  readonly body: any;
  readonly response: Response;
}

async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const response = await fetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: await response.json(), response };
}

const exchange = (code: string, verifier: string, overrides: Record<string, string> = {}) =>
  tokenRequest({ grant_type: 'authorization_code', client_id: CLIENT, code, redirect_uri: APP, code_verifier: verifier, ...overrides });

/** A signed-in creator's first tokens. */
async function signedIn(browser = new Browser()): Promise<{ browser: Browser; tokens: any }> {
  const { verifier, challenge } = pkce();
  const { status, body } = await exchange(codeOf(await signIn(browser, authorizeParams(challenge))), verifier);
  expect(status).toBe(200);
  return { browser, tokens: body };
}

const userInfo = (accessToken: string) => fetch(`${issuer}/oauth2/userInfo`, { headers: { authorization: `Bearer ${accessToken}` } });

describe('discovery', () => {
  test('the OpenID configuration names the endpoints under the issuer and lists only S256 for PKCE', async () => {
    const response = await fetch(`${issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const config = await response.json() as Record<string, unknown>;
    expect(config).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      userinfo_endpoint: `${issuer}/oauth2/userInfo`,
      end_session_endpoint: `${issuer}/logout`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
    });
    expect(config.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
  });

  test('the JWKS is the minter\'s', async () => {
    expect(await (await fetch(`${issuer}/.well-known/jwks.json`)).json()).toEqual(minter.jwks());
  });

  test('paths outside the issuer are not the provider\'s', async () => {
    expect(await provider.handle({ method: 'GET', url: '/api/videos', headers: {}, body: '' })).toBeUndefined();
    expect(await provider.handle({ method: 'GET', url: '/authx/oauth2/authorize', headers: {}, body: '' })).toBeUndefined();
  });

  test('the minter must sign for the provider\'s issuer', () => {
    expect(() => new OidcProvider({ issuer: 'http://localhost:1/auth', minter, users: {}, clients: [] })).toThrow(/must be the provider's issuer/);
  });
});

describe('login page', () => {
  test('is an accessible, self-contained page that lists the sandbox accounts and carries the request through', async () => {
    const { challenge } = pkce();
    const response = await new Browser().get(authorizeUrl(authorizeParams(challenge)));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*form-action 'self' https:\/\/app\.example/);
    const html = await response.text();
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1">/);
    expect(html).toMatch(/<h1>Sign in<\/h1>/);
    expect(html).toMatch(/<label for="username">Username<\/label>\s*<input id="username" name="username"/);
    expect(html).toMatch(/<label for="password">Password<\/label>\s*<input id="password" name="password" type="password"/);
    expect(html).toMatch(/:focus-visible \{ outline: 3px solid/);
    expect(html).toMatch(/Sandbox accounts/);
    expect(html).toMatch(/exist only in this local sandbox/);
    for (const [user, password] of [['creator', 'creator-password'], ['viewer', 'viewer-password']]) {
      expect(html).toContain(`<strong>${user}</strong>`);
      expect(html).toContain(`Password: <code>${password}</code>`);
      expect(html).toContain(`Sign in as ${user}</button>`);
    }
    expect(html).toContain(`<input type="hidden" name="code_challenge" value="${challenge}">`);
    expect(html).toContain('<input type="hidden" name="state" value="nonce-123|#/watch/v1">');
    // No external resources: no script, stylesheet link, image or absolute URL in an attribute.
    expect(html).not.toMatch(/<script|<link|<img|(src|href)="https?:/);
  });
});

describe('authorization code flow with PKCE', () => {
  test('signing in redirects with a code and the state, and the code buys tokens the API accepts', async () => {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const params = authorizeParams(challenge, { nonce: 'id-token-nonce' });
    const redirected = await signIn(browser, params);
    const location = new URL(redirected.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(APP);
    expect(location.searchParams.get('state')).toBe('nonce-123|#/watch/v1');
    const session = redirected.headers.getSetCookie().find((cookie) => cookie.startsWith('cognito='));
    expect(session).toMatch(/; Path=\/auth; Max-Age=3600; HttpOnly; SameSite=Lax/);

    const { status, body, response } = await exchange(codeOf(redirected), verifier);
    expect(status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({
      access_token: expect.any(String),
      id_token: expect.any(String),
      refresh_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
    });

    // The API's own verifier (aws-jwt-verify, JWKS fetched over HTTP) takes the access token.
    const api = new Authenticator({ issuer, clientId: CLIENT });
    const caller = await api.caller({ routeKey: 'GET /api/me', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(caller).toEqual({ userId: 'creator', groups: ['creators'] });
    // Another app client's API refuses it.
    await expect(new Authenticator({ issuer, clientId: 'other-client' })
      .caller({ routeKey: 'GET /api/me', headers: { authorization: `Bearer ${body.access_token}` } })).rejects.toMatchObject({ statusCode: 401 });

    // aws-jwt-verify's own fetcher wants https: hand it the JWKS the provider served over HTTP.
    const jwks = await (await fetch(`${issuer}/.well-known/jwks.json`)).json() as Jwks;
    const accessVerifier = JwtRsaVerifier.create({ issuer, audience: null, tokenUse: 'access', jwksUri: `${issuer}/.well-known/jwks.json` });
    accessVerifier.cacheJwks(jwks);
    const access = await accessVerifier.verify(body.access_token);
    expect(access).toMatchObject({ 'sub': 'creator', 'username': 'creator', 'client_id': CLIENT, 'token_use': 'access', 'scope': 'openid email profile', 'cognito:groups': ['creators'] });

    const idVerifier = JwtRsaVerifier.create({ issuer, audience: CLIENT, tokenUse: 'id', jwksUri: `${issuer}/.well-known/jwks.json` });
    idVerifier.cacheJwks(jwks);
    const id = await idVerifier.verify(body.id_token);
    expect(id).toMatchObject({
      'aud': CLIENT,
      'token_use': 'id',
      'email': 'creator@sandbox.example',
      'email_verified': true,
      'cognito:username': 'creator',
      'cognito:groups': ['creators'],
      'nonce': 'id-token-nonce',
      'origin_jti': access.origin_jti,
    });
    expect(Math.abs((id.auth_time as number) - Date.now() / 1000)).toBeLessThan(10);

    const info = await userInfo(body.access_token);
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({ sub: 'creator', email: 'creator@sandbox.example', username: 'creator' });
  });

  test('a user in no group gets no cognito:groups claim, and the API sees no groups', async () => {
    const { verifier, challenge } = pkce();
    const { body } = await exchange(codeOf(await signIn(new Browser(), authorizeParams(challenge), 'viewer', 'viewer-password')), verifier);
    const payload = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(payload).not.toHaveProperty('cognito:groups');
    const caller = await new Authenticator({ issuer, clientId: CLIENT }).caller({ routeKey: 'GET /api/me', headers: { authorization: `Bearer ${body.access_token}` } });
    expect(caller).toEqual({ userId: 'viewer', groups: [] });
  });

  test('without the openid scope there is no ID token, and the user info endpoint refuses the access token', async () => {
    const { verifier, challenge } = pkce();
    const { body } = await exchange(codeOf(await signIn(new Browser(), authorizeParams(challenge, { scope: 'aws.cognito.signin.user.admin' }))), verifier);
    expect(body).toEqual({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const info = await userInfo(body.access_token);
    expect(info.status).toBe(403);
    expect(info.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });

  test('a wrong code_verifier is invalid_grant, and the code is spent by the attempt', async () => {
    const { verifier, challenge } = pkce();
    const code = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    const wrong = await exchange(code, pkce().verifier);
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    expect((await exchange(code, verifier)).body.error).toBe('invalid_grant');
  });

  test('a malformed or missing code_verifier is invalid_request', async () => {
    const { challenge } = pkce();
    const code = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    const short = await exchange(code, 'too-short');
    expect(short).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const code2 = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    const missing = await tokenRequest({ grant_type: 'authorization_code', client_id: CLIENT, code: code2, redirect_uri: APP });
    expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
  });

  test('a code used twice is invalid_grant, and what it issued is revoked', async () => {
    const { verifier, challenge } = pkce();
    const code = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    const first = await exchange(code, verifier);
    expect(first.status).toBe(200);
    expect((await userInfo(first.body.access_token)).status).toBe(200);

    const replay = await exchange(code, verifier);
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const refreshed = await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: first.body.refresh_token });
    expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const info = await userInfo(first.body.access_token);
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  test(`a code expires ${AUTHORIZATION_CODE_SECONDS} seconds after it was issued`, async () => {
    const { verifier, challenge } = pkce();
    const fresh = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    skewMs = (AUTHORIZATION_CODE_SECONDS - 5) * 1000;
    expect((await exchange(fresh, verifier)).status).toBe(200);

    skewMs = 0;
    const stale = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    skewMs = (AUTHORIZATION_CODE_SECONDS + 1) * 1000;
    const late = await exchange(stale, verifier);
    expect(late).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(late.body.error_description).toMatch(/expired/);
  });

  test('a code issued for one redirect_uri is invalid_grant with another, even a registered one', async () => {
    const { verifier, challenge } = pkce();
    const code = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    expect(await exchange(code, verifier, { redirect_uri: OTHER_CALLBACK })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('a code issued to one client is invalid_grant for another', async () => {
    const { verifier, challenge } = pkce();
    const code = codeOf(await signIn(new Browser(), authorizeParams(challenge)));
    expect(await exchange(code, verifier, { client_id: 'other-client' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('the token endpoint answers Cognito\'s error names', async () => {
    expect(await tokenRequest({ grant_type: 'password', client_id: CLIENT })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await tokenRequest({ client_id: CLIENT })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await tokenRequest({ grant_type: 'authorization_code', client_id: 'nobody', code: 'x' })).toMatchObject({ status: 400, body: { error: 'invalid_client' } });
    expect(await tokenRequest({ grant_type: 'client_credentials', client_id: CLIENT })).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
    expect(await exchange('9f1c0d6e-0000-4000-8000-000000000000', pkce().verifier)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const json = await fetch(`${issuer}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('authorization request errors', () => {
  test('an unregistered redirect_uri gets an error page, never a redirect', async () => {
    const { challenge } = pkce();
    for (const redirectUri of ['https://evil.example/', 'https://app.example', 'https://app.example/?x=1']) {
      const response = await new Browser().get(authorizeUrl(authorizeParams(challenge, { redirect_uri: redirectUri })));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      const html = await response.text();
      expect(html).toContain('<code>redirect_mismatch</code>');
      expect(html).toMatch(/role="alert"/);
    }
    // Not on the login form either.
    const posted = await new Browser().post(`${issuer}/oauth2/authorize`, { ...authorizeParams(challenge, { redirect_uri: 'https://evil.example/' }), username: 'creator', password: 'creator-password' });
    expect(posted.status).toBe(400);
    expect(posted.headers.get('location')).toBeNull();
  });

  test('an unknown or missing client gets an error page', async () => {
    const { challenge } = pkce();
    for (const clientId of ['nobody', undefined]) {
      const response = await new Browser().get(authorizeUrl(authorizeParams(challenge, { client_id: clientId })));
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  test.each([
    ['the plain method', 'invalid_request', { code_challenge_method: 'plain' }],
    ['no code_challenge', 'invalid_request', { code_challenge: undefined }],
    ['a challenge without a method', 'invalid_request', { code_challenge_method: undefined }],
    ['no response_type', 'invalid_request', { response_type: undefined }],
    ['the implicit grant', 'unauthorized_client', { response_type: 'token' }],
    ['an unknown response_type', 'unsupported_response_type', { response_type: 'id_token' }],
    ['a scope the client does not have', 'invalid_scope', { scope: 'openid admin' }],
  ])('%s is redirected back with error=%s and the state', async (_name, error, overrides) => {
    const response = await new Browser().get(authorizeUrl(authorizeParams(pkce().challenge, overrides)));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(APP);
    expect(location.searchParams.get('error')).toBe(error);
    expect(location.searchParams.get('state')).toBe('nonce-123|#/watch/v1');
    expect(location.searchParams.get('code')).toBeNull();
  });
});

describe('sign-in form', () => {
  test('a wrong password shows the form again with an alert, keeps the username, and issues no code or session', async () => {
    const browser = new Browser();
    const { challenge } = pkce();
    for (const [username, password] of [['creator', 'viewer-password'], ['nobody', 'creator-password']]) {
      const response = await signIn(browser, authorizeParams(challenge), username, password);
      expect(response.status).toBe(401);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith('cognito='))).toBe(false);
      const html = await response.text();
      expect(html).toMatch(/<p class="alert" role="alert" id="sign-in-error">Incorrect username or password.<\/p>/);
      expect(html).toMatch(new RegExp(`<input id="username"[^>]*value="${username}" aria-invalid="true" aria-describedby="sign-in-error"`));
      expect(html).toMatch(/<input id="password" name="password" type="password" autocomplete="current-password" required aria-invalid="true"[^>]*>/);
      expect(html).not.toMatch(/<input id="password"[^>]*value=/);
      expect(html).toContain(`<input type="hidden" name="code_challenge" value="${challenge}">`);
    }
    expect(browser.cookies.has('cognito')).toBe(false);
  });

  test('a form posted without the page\'s anti-forgery value is refused', async () => {
    const response = await new Browser().post(`${issuer}/oauth2/authorize`, { ...authorizeParams(pkce().challenge), username: 'creator', password: 'creator-password' });
    expect(response.status).toBe(403);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('session', () => {
  test('a live session makes the next authorization silent, and it ends after an hour', async () => {
    const { browser } = await signedIn();
    const { verifier, challenge } = pkce();
    const silent = await browser.get(authorizeUrl(authorizeParams(challenge, { state: 'second' })));
    expect(silent.status).toBe(302);
    expect(new URL(silent.headers.get('location')!).searchParams.get('state')).toBe('second');
    expect((await exchange(codeOf(silent), verifier)).status).toBe(200);

    skewMs = 3601 * 1000;
    const later = await browser.get(authorizeUrl(authorizeParams(challenge)));
    expect(later.status).toBe(200);
    expect(await later.text()).toMatch(/<h1>Sign in<\/h1>/);
  });
});

describe('refresh tokens', () => {
  test('a refresh answers new tokens and a new refresh token; the old one is refused from then on', async () => {
    const { tokens } = await signedIn();
    const first = await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: tokens.refresh_token });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ access_token: expect.any(String), id_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    expect(first.body.refresh_token).not.toBe(tokens.refresh_token);
    const caller = await new Authenticator({ issuer, clientId: CLIENT }).caller({ routeKey: 'GET /api/me', headers: { authorization: `Bearer ${first.body.access_token}` } });
    expect(caller).toEqual({ userId: 'creator', groups: ['creators'] });

    const replay = await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: tokens.refresh_token });
    expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const second = await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: first.body.refresh_token });
    expect(second.status).toBe(200);
  });

  test('a refresh token works only for its client and until 30 days after sign-in', async () => {
    const { tokens } = await signedIn();
    expect(await tokenRequest({ grant_type: 'refresh_token', client_id: 'other-client', refresh_token: tokens.refresh_token }))
      .toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    skewMs = (30 * 24 * 3600 + 1) * 1000;
    expect(await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: tokens.refresh_token }))
      .toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  test('revoking a refresh token ends it and its access tokens', async () => {
    const { tokens } = await signedIn();
    const revoked = await fetch(`${issuer}/oauth2/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: CLIENT }).toString(),
    });
    expect(revoked.status).toBe(200);
    expect(await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: tokens.refresh_token })).toMatchObject({ body: { error: 'invalid_grant' } });
    expect((await userInfo(tokens.access_token)).status).toBe(401);
  });
});

describe('CORS for browser apps', () => {
  test('the token endpoint answers preflights and requests from registered app origins only', async () => {
    const preflight = (origin: string) => fetch(`${issuer}/oauth2/token`, {
      method: 'OPTIONS',
      headers: { 'origin': origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const allowed = await preflight('https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('content-type');
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const fromApp = await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: 'nope' }, { origin: 'https://app.example' });
    expect(fromApp.response.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const fromElsewhere = await tokenRequest({ grant_type: 'refresh_token', client_id: CLIENT, refresh_token: 'nope' }, { origin: 'https://evil.example' });
    expect(fromElsewhere.response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('logout', () => {
  test('clears the session and redirects to the registered sign-out URL; the next authorization asks to sign in', async () => {
    const { browser } = await signedIn();
    const sessionId = browser.cookies.get('cognito');
    const response = await browser.get(`${issuer}/logout?${new URLSearchParams({ client_id: CLIENT, logout_uri: SIGNED_OUT })}`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(SIGNED_OUT);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^cognito=; Path=\/auth; Max-Age=0; HttpOnly; SameSite=Lax/)]);
    expect(browser.cookies.has('cognito')).toBe(false);
    expect((await browser.get(authorizeUrl(authorizeParams(pkce().challenge)))).status).toBe(200);

    // The old cookie, replayed, is no session any more.
    const replayed = new Browser();
    replayed.cookies.set('cognito', sessionId!);
    expect((await replayed.get(authorizeUrl(authorizeParams(pkce().challenge)))).status).toBe(200);
  });

  test('an unregistered logout_uri or unknown client gets an error page and keeps the session', async () => {
    const { browser } = await signedIn();
    for (const query of [{ client_id: CLIENT, logout_uri: 'https://evil.example/' }, { client_id: CLIENT, logout_uri: APP }, { client_id: 'nobody', logout_uri: SIGNED_OUT }]) {
      const response = await browser.get(`${issuer}/logout?${new URLSearchParams(query)}`);
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(response.headers.getSetCookie()).toEqual([]);
    }
    expect((await browser.get(authorizeUrl(authorizeParams(pkce().challenge)))).status).toBe(302);
  });

  test('with redirect_uri instead, it signs out and shows the login page again', async () => {
    const { browser } = await signedIn();
    const params = authorizeParams(pkce().challenge);
    const response = await browser.get(`${issuer}/logout?${new URLSearchParams(params)}`);
    expect(response.status).toBe(302);
    const next = new URL(response.headers.get('location')!, issuer);
    expect(next.pathname).toBe('/auth/oauth2/authorize');
    expect((await browser.get(next.href)).status).toBe(200);
  });
});
