import { createHash, createPublicKey, KeyObject, randomBytes, randomUUID, timingSafeEqual, verify } from 'node:crypto';
import { TokenMinter } from './tokens';
import type { HttpResult } from '../../src/entitlement/http.lambda-shared';

/**
 * The sandbox's stand-in for a Cognito user pool domain: an OpenID provider
 * for the authorization code flow with PKCE, answering on the paths and with
 * the errors of Cognito's managed login and OAuth 2.0 endpoints, so the web
 * app signs in offline exactly as it does against AWS.
 *
 * Pages this follows (Amazon Cognito Developer Guide):
 * - "The redirect and authorization endpoint" https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html
 * - "The token issuer endpoint" https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
 * - "The user attributes endpoint" https://docs.aws.amazon.com/cognito/latest/developerguide/userinfo-endpoint.html
 * - "The managed login sign-out endpoint: /logout" https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html
 * - "The token revocation endpoint" https://docs.aws.amazon.com/cognito/latest/developerguide/revocation-endpoint.html
 * - "Refresh tokens" https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html
 * - "Understanding the identity (ID) token" https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html
 *
 * State (sessions, codes, refresh tokens) lives in memory: a restart signs
 * everyone out, which a sandbox may do.
 */

/** A user of the pool. */
export interface OidcUser {
  readonly password: string;
  /** Cognito groups, carried as `cognito:groups`. */
  readonly groups: readonly string[];
  readonly email: string;
  /** The `sub` claim. @default the username */
  readonly sub?: string;
}

/** A public app client (no client secret), as a browser app uses. */
export interface OidcClient {
  readonly clientId: string;
  /** Allowed callback URLs: a `redirect_uri` must equal one of them exactly. */
  readonly redirectUris: readonly string[];
  /** Allowed sign-out URLs: a `logout_uri` must equal one of them exactly. */
  readonly logoutUris: readonly string[];
  /** OAuth scopes the client may ask for. @default ['openid', 'email', 'profile'] */
  readonly scopes?: readonly string[];
}

export interface OidcProviderOptions {
  /** Where the provider answers and the `iss` of its tokens, e.g. `http://localhost:4310/auth`; the minter's issuer. */
  readonly issuer: string;
  /** Signs the tokens; its JWKS is the provider's. */
  readonly minter: TokenMinter;
  /** Users by username. */
  readonly users: Readonly<Record<string, OidcUser>>;
  readonly clients: readonly OidcClient[];
  /** @default the system clock */
  readonly now?: () => Date;
  /** Lifetime of access and ID tokens. @default 3600 (Cognito's default) */
  readonly accessTokenSeconds?: number;
  /** Lifetime of a sign-in's refresh tokens. @default 30 days (Cognito's default) */
  readonly refreshTokenSeconds?: number;
  /** Lifetime of the provider's session cookie. @default 3600 (Cognito's managed login session) */
  readonly sessionSeconds?: number;
}

/** An HTTP request as the sandbox's edge sees it. */
export interface OidcRequest {
  readonly method: string;
  /** Path and query, e.g. `/auth/oauth2/authorize?client_id=...`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** "The response returns a one time use code that is valid for five minutes" (authorization endpoint page). */
export const AUTHORIZATION_CODE_SECONDS = 300;
/** The name Cognito gives its managed login session cookie. */
export const SESSION_COOKIE = 'cognito';
/** The login form's anti-forgery cookie (double submit: the form carries the same value as `_csrf`). */
export const CSRF_COOKIE = 'XSRF-TOKEN';

const DEFAULT_SCOPES = ['openid', 'email', 'profile'];
/** Scopes that only make sense with `openid` (authorization endpoint page, `scope`). */
const OPENID_ONLY_SCOPES = new Set(['email', 'phone', 'profile']);
/** The authorization request's parameters the login form carries through. */
const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'nonce'];
/** BASE64URL(SHA-256(verifier)) is 43 characters without padding (RFC 7636 §4.2). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** 43 to 128 characters of the unreserved set (RFC 7636 §4.1). */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const MAX_FORM_BYTES = 16 * 1024;

interface AuthorizationRequest {
  readonly client: OidcClient;
  readonly redirectUri: string;
  readonly state?: string;
  readonly scopes: readonly string[];
  readonly codeChallenge: string;
  readonly nonce?: string;
  /** The request's own parameters, for the login form's hidden fields. */
  readonly params: Readonly<Record<string, string>>;
}

type AuthorizationCheck =
  | { readonly outcome: 'ok'; readonly request: AuthorizationRequest }
  /** Nothing may be sent to the redirect URI: an error page. */
  | { readonly outcome: 'refuse'; readonly error: string; readonly description: string }
  /** The redirect URI is registered: the error goes back to it. */
  | { readonly outcome: 'redirect'; readonly redirectUri: string; readonly state?: string; readonly error: string; readonly description: string };

interface Session {
  readonly username: string;
  /** When the user signed in, in seconds: the tokens' `auth_time`. */
  readonly authTime: number;
  expiresAt: number;
}

/** What one sign-in granted one client: the codes and refresh tokens it issued share its `family` (the tokens' `origin_jti`). */
interface Grant {
  readonly clientId: string;
  readonly username: string;
  readonly scopes: readonly string[];
  readonly authTime: number;
  readonly family: string;
}

interface CodeGrant extends Grant {
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly nonce?: string;
  readonly issuedAt: number;
}

interface RefreshGrant extends Grant {
  readonly expiresAt: number;
}

export class OidcProvider {
  private readonly issuer: string;
  private readonly origin: string;
  /** The issuer's path without a trailing slash (`/auth`), '' at the root. */
  private readonly basePath: string;
  private readonly secureCookies: boolean;
  private readonly clients = new Map<string, OidcClient>();
  /** Origins of the registered callback URLs: the browser apps the token endpoint answers CORS requests of. */
  private readonly corsOrigins = new Set<string>();
  private readonly publicKey: KeyObject;
  private readonly now: () => Date;
  private readonly accessTokenSeconds: number;
  private readonly refreshTokenSeconds: number;
  private readonly sessionSeconds: number;
  private readonly sessions = new Map<string, Session>();
  private readonly codes = new Map<string, CodeGrant>();
  /** Codes already presented once, kept a while to recognise a replay. */
  private readonly spentCodes = new Map<string, { readonly family: string; readonly forgetAt: number }>();
  /** Refresh tokens by their SHA-256: the tokens themselves are not kept. */
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly revokedFamilies = new Set<string>();

  constructor(private readonly options: OidcProviderOptions) {
    let issuerUrl: URL;
    try {
      issuerUrl = new URL(options.issuer);
    } catch {
      throw new Error(`the issuer must be an absolute http(s) URL, got ${JSON.stringify(options.issuer)}`);
    }
    if (!/^https?:$/.test(issuerUrl.protocol) || issuerUrl.search || issuerUrl.hash) {
      throw new Error(`the issuer must be an http(s) URL without query or fragment, got ${JSON.stringify(options.issuer)}`);
    }
    this.basePath = issuerUrl.pathname.replace(/\/+$/, '');
    this.origin = issuerUrl.origin;
    this.issuer = `${this.origin}${this.basePath}`;
    if (options.minter.issuer.replace(/\/+$/, '') !== this.issuer) {
      throw new Error(`the minter's issuer ${JSON.stringify(options.minter.issuer)} must be the provider's issuer ${JSON.stringify(this.issuer)}`);
    }
    this.secureCookies = issuerUrl.protocol === 'https:';
    this.publicKey = createPublicKey(options.minter.publicKeyPem);
    this.now = options.now ?? (() => new Date());
    this.accessTokenSeconds = positiveInteger('accessTokenSeconds', options.accessTokenSeconds ?? 3600);
    this.refreshTokenSeconds = positiveInteger('refreshTokenSeconds', options.refreshTokenSeconds ?? 30 * 24 * 3600);
    this.sessionSeconds = positiveInteger('sessionSeconds', options.sessionSeconds ?? 3600);
    for (const [username, user] of Object.entries(options.users)) {
      if (username === '' || user.password === '') {
        throw new Error(`user ${JSON.stringify(username)} needs a non-empty username and password`);
      }
    }
    for (const client of options.clients) {
      this.registerClient(client);
    }
  }

  /** The provider's answer, or `undefined` when the path is not one of its endpoints. */
  public async handle(request: OidcRequest): Promise<HttpResult | undefined> {
    let url: URL;
    try {
      url = new URL(request.url, this.origin);
    } catch {
      return undefined;
    }
    const route = this.routeOf(url.pathname);
    if (route === undefined) {
      return undefined;
    }
    this.forgetExpired();
    const method = request.method.toUpperCase();
    switch (route) {
      case '/.well-known/openid-configuration':
        return method === 'GET' ? publicJson(this.discovery()) : methodNotAllowed('GET');
      case '/.well-known/jwks.json':
        return method === 'GET' ? publicJson(this.options.minter.jwks()) : methodNotAllowed('GET');
      case '/oauth2/authorize':
        if (method === 'GET') {
          return this.authorize(url.searchParams, request);
        }
        return method === 'POST' ? this.signIn(request) : methodNotAllowed('GET, POST');
      case '/oauth2/token':
        if (method === 'OPTIONS') {
          return this.preflight(request, 'POST');
        }
        return method === 'POST' ? this.token(request) : methodNotAllowed('POST, OPTIONS');
      case '/oauth2/userInfo':
        if (method === 'OPTIONS') {
          return this.preflight(request, 'GET, POST');
        }
        return method === 'GET' || method === 'POST' ? this.userInfo(request) : methodNotAllowed('GET, POST, OPTIONS');
      case '/oauth2/revoke':
        if (method === 'OPTIONS') {
          return this.preflight(request, 'POST');
        }
        return method === 'POST' ? this.revoke(request) : methodNotAllowed('POST, OPTIONS');
      case '/logout':
        return method === 'GET' ? this.logout(url.searchParams, request) : methodNotAllowed('GET');
      default:
        return undefined;
    }
  }

  private registerClient(client: OidcClient): void {
    if (this.clients.has(client.clientId)) {
      throw new Error(`app client ${JSON.stringify(client.clientId)} is registered twice`);
    }
    for (const uri of [...client.redirectUris, ...client.logoutUris]) {
      let parsed: URL;
      try {
        parsed = new URL(uri);
      } catch {
        throw new Error(`app client ${JSON.stringify(client.clientId)}: ${JSON.stringify(uri)} is not an absolute URL`);
      }
      if (parsed.hash) {
        throw new Error(`app client ${JSON.stringify(client.clientId)}: ${JSON.stringify(uri)} must not have a fragment`);
      }
    }
    for (const uri of client.redirectUris) {
      const origin = new URL(uri).origin;
      if (origin !== 'null') {
        this.corsOrigins.add(origin);
      }
    }
    this.clients.set(client.clientId, client);
  }

  private routeOf(pathname: string): string | undefined {
    if (this.basePath === '') {
      return pathname;
    }
    return pathname.startsWith(`${this.basePath}/`) ? pathname.slice(this.basePath.length) : undefined;
  }

  private discovery(): Record<string, unknown> {
    const scopes = new Set<string>();
    for (const client of this.clients.values()) {
      (client.scopes ?? DEFAULT_SCOPES).forEach((scope) => scopes.add(scope));
    }
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/oauth2/authorize`,
      token_endpoint: `${this.issuer}/oauth2/token`,
      userinfo_endpoint: `${this.issuer}/oauth2/userInfo`,
      end_session_endpoint: `${this.issuer}/logout`,
      revocation_endpoint: `${this.issuer}/oauth2/revoke`,
      jwks_uri: `${this.issuer}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      scopes_supported: [...scopes],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['none'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'at_hash', 'email', 'email_verified', 'cognito:username', 'cognito:groups'],
    };
  }

  // ---- authorization endpoint ----

  /** GET /oauth2/authorize: with a live session, a code at once (as Cognito does); otherwise the login page. */
  private authorize(params: URLSearchParams, request: OidcRequest): HttpResult {
    const check = this.checkAuthorization(params);
    if (check.outcome !== 'ok') {
      return this.authorizationFailure(check);
    }
    const sessionId = cookiesOf(request).get(SESSION_COOKIE);
    const session = sessionId === undefined ? undefined : this.liveSession(sessionId);
    if (session) {
      // Reusing the session starts its hour again, as the managed login's "sign in as" does.
      session.expiresAt = this.nowMs() + this.sessionSeconds * 1000;
      return this.issueCode(check.request, session, [this.sessionCookie(sessionId!)]);
    }
    return this.loginPage(check.request, request, 200);
  }

  /** POST /oauth2/authorize: the login form. */
  private signIn(request: OidcRequest): HttpResult {
    if (Buffer.byteLength(request.body) > MAX_FORM_BYTES) {
      return errorPage(413, 'invalid_request', 'The sign-in form is too large.');
    }
    const form = new URLSearchParams(request.body);
    const check = this.checkAuthorization(form);
    if (check.outcome !== 'ok') {
      return this.authorizationFailure(check);
    }
    const username = form.get('username') ?? '';
    const csrf = cookiesOf(request).get(CSRF_COOKIE);
    if (csrf === undefined || !sameSecret(csrf, form.get('_csrf') ?? '')) {
      return this.loginPage(check.request, request, 403, 'This sign-in form has expired. Please sign in again.', username);
    }
    const user = this.authenticate(username, form.get('password') ?? '');
    if (!user) {
      // Cognito's wording: it does not say which of the two was wrong.
      return this.loginPage(check.request, request, 401, 'Incorrect username or password.', username);
    }
    const sessionId = randomBytes(32).toString('base64url');
    const session: Session = { username, authTime: this.nowSeconds(), expiresAt: this.nowMs() + this.sessionSeconds * 1000 };
    this.sessions.set(sessionId, session);
    return this.issueCode(check.request, session, [this.sessionCookie(sessionId)]);
  }

  /**
   * Checks an authorization request in the order the authorization endpoint
   * page describes: the client and its exact callback URL first (no redirect
   * is ever sent to a URL the client did not register: Cognito shows its
   * own error page, `error=redirect_mismatch`), then everything else, whose
   * errors go back to the registered redirect URI.
   */
  private checkAuthorization(params: URLSearchParams): AuthorizationCheck {
    const refuse = (error: string, description: string): AuthorizationCheck => ({ outcome: 'refuse', error, description });
    if (params.getAll('client_id').length > 1 || params.getAll('redirect_uri').length > 1) {
      return refuse('invalid_request', 'client_id and redirect_uri may each appear only once.');
    }
    const clientId = params.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    if (!client) {
      return refuse('invalid_request', clientId === '' ? 'The request has no client_id.' : `There is no app client ${JSON.stringify(clientId)} in this user pool.`);
    }
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!client.redirectUris.includes(redirectUri)) {
      return refuse('redirect_mismatch',
        redirectUri === '' ? 'The request has no redirect_uri.' : `${JSON.stringify(redirectUri)} is not an allowed callback URL of app client ${JSON.stringify(clientId)}.`);
    }
    const state = params.get('state') ?? undefined;
    const back = (error: string, description: string): AuthorizationCheck => ({ outcome: 'redirect', redirectUri, state, error, description });
    const repeated = AUTHORIZE_PARAMS.find((name) => params.getAll(name).length > 1);
    if (repeated) {
      return back('invalid_request', `${repeated} appears more than once`);
    }
    const responseType = params.get('response_type');
    if (!responseType) {
      return back('invalid_request', 'response_type is required');
    }
    if (responseType === 'token') {
      // The implicit grant exists in Cognito, but not for this app client.
      return back('unauthorized_client', 'this app client may not use the implicit grant');
    }
    if (responseType !== 'code') {
      return back('unsupported_response_type', 'response_type must be code');
    }
    // Cognito accepts a code request without PKCE; this provider requires it, as OAuth 2.0 security best practice (RFC 9700) asks of public clients.
    const codeChallenge = params.get('code_challenge');
    if (!codeChallenge) {
      return back('invalid_request', 'code_challenge is required (PKCE with S256)');
    }
    const method = params.get('code_challenge_method');
    if (!method) {
      return back('invalid_request', 'code_challenge_method is required with code_challenge');
    }
    if (method !== 'S256') {
      return back('invalid_request', 'code_challenge_method must be S256: Cognito does not support plain');
    }
    if (!S256_CHALLENGE.test(codeChallenge)) {
      return back('invalid_request', 'code_challenge must be BASE64URL(SHA-256(code_verifier)), 43 characters');
    }
    const allowed = client.scopes ?? DEFAULT_SCOPES;
    const requested = [...new Set((params.get('scope') ?? '').split(' ').filter((scope) => scope !== ''))];
    // Without a scope, Cognito grants every scope of the app client.
    const scopes = requested.length > 0 ? requested : [...allowed];
    const unknown = scopes.find((scope) => !allowed.includes(scope));
    if (unknown !== undefined) {
      return back('invalid_scope', `scope ${JSON.stringify(unknown)} is not allowed for this app client`);
    }
    if (!scopes.includes('openid') && scopes.some((scope) => OPENID_ONLY_SCOPES.has(scope))) {
      return back('invalid_scope', 'the email, phone and profile scopes need the openid scope');
    }
    const passed: Record<string, string> = {};
    for (const name of AUTHORIZE_PARAMS) {
      const value = params.get(name);
      if (value !== null) {
        passed[name] = value;
      }
    }
    return {
      outcome: 'ok',
      request: { client, redirectUri, state, scopes, codeChallenge, nonce: params.get('nonce') ?? undefined, params: passed },
    };
  }

  private authorizationFailure(check: Exclude<AuthorizationCheck, { outcome: 'ok' }>): HttpResult {
    if (check.outcome === 'refuse') {
      return errorPage(400, check.error, check.description);
    }
    const target = new URL(check.redirectUri);
    target.searchParams.set('error', check.error);
    target.searchParams.set('error_description', check.description);
    if (check.state !== undefined) {
      target.searchParams.set('state', check.state);
    }
    return redirect(target.href);
  }

  private issueCode(request: AuthorizationRequest, session: Session, cookies: string[]): HttpResult {
    const code = randomUUID();
    this.codes.set(code, {
      clientId: request.client.clientId,
      username: session.username,
      scopes: request.scopes,
      authTime: session.authTime,
      family: randomUUID(),
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce,
      issuedAt: this.nowMs(),
    });
    // Code and state come back in the query, never the fragment (authorization endpoint page).
    const target = new URL(request.redirectUri);
    target.searchParams.set('code', code);
    if (request.state !== undefined) {
      target.searchParams.set('state', request.state);
    }
    return redirect(target.href, cookies);
  }

  private authenticate(username: string, password: string): OidcUser | undefined {
    const user = Object.prototype.hasOwnProperty.call(this.options.users, username) ? this.options.users[username] : undefined;
    // Compare even for an unknown user, so the answer takes as long either way.
    const matches = sameSecret(user?.password ?? randomBytes(16).toString('hex'), password);
    return user && matches ? user : undefined;
  }

  private liveSession(sessionId: string): Session | undefined {
    const session = this.sessions.get(sessionId);
    if (!session || session.expiresAt <= this.nowMs() || !this.userOf(session.username)) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return session;
  }

  // ---- token endpoint ----

  /** POST /oauth2/token: errors are Cognito's names, always HTTP 400 (token endpoint page). */
  private token(request: OidcRequest): HttpResult {
    const cors = this.corsHeaders(request);
    const fail = (error: string, description: string) => tokenError(error, description, cors);
    if (!/^application\/x-www-form-urlencoded\b/i.test(headerOf(request, 'content-type') ?? '')) {
      return fail('invalid_request', 'the body must be application/x-www-form-urlencoded');
    }
    if (Buffer.byteLength(request.body) > MAX_FORM_BYTES) {
      return fail('invalid_request', 'the body is too large');
    }
    const form = new URLSearchParams(request.body);
    const repeated = [...new Set(form.keys())].find((name) => form.getAll(name).length > 1);
    if (repeated !== undefined) {
      return fail('invalid_request', `${repeated} appears more than once`);
    }
    const grantType = form.get('grant_type');
    if (!grantType) {
      return fail('invalid_request', 'grant_type is required');
    }
    if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) {
      return fail('unsupported_grant_type', 'grant_type must be authorization_code or refresh_token');
    }
    const clientId = form.get('client_id');
    if (!clientId) {
      return fail('invalid_request', 'client_id is required: the app client is public');
    }
    const client = this.clients.get(clientId);
    if (!client) {
      return fail('invalid_client', `there is no app client ${JSON.stringify(clientId)}`);
    }
    if (grantType === 'client_credentials') {
      return fail('unauthorized_client', 'client credentials need an app client with a secret');
    }
    const answer = grantType === 'authorization_code' ? this.redeemCode(form, client) : this.refresh(form, client);
    return 'tokens' in answer ? jsonResult(200, answer.tokens, cors) : fail(answer.error, answer.description);
  }

  /**
   * The authorization code grant. The first request that presents a code
   * spends it, whatever its outcome: Cognito answers `invalid_grant` to a
   * retry after a failed exchange, and so codes cannot be guessed at with
   * verifiers. A code presented again also revokes the refresh tokens it
   * issued, as RFC 6749 §4.1.2 advises (their family is the tokens'
   * `origin_jti`; the user info endpoint refuses its access tokens too).
   */
  private redeemCode(form: URLSearchParams, client: OidcClient): TokenAnswer | TokenFailure {
    const code = form.get('code');
    if (!code) {
      return { error: 'invalid_request', description: 'code is required' };
    }
    const grant = this.codes.get(code);
    if (!grant) {
      const spent = this.spentCodes.get(code);
      if (spent) {
        this.revokeFamily(spent.family);
        return { error: 'invalid_grant', description: 'the authorization code was already used; what it issued is revoked' };
      }
      return { error: 'invalid_grant', description: 'the authorization code does not exist' };
    }
    this.codes.delete(code);
    this.spentCodes.set(code, { family: grant.family, forgetAt: grant.issuedAt + 4 * AUTHORIZATION_CODE_SECONDS * 1000 });
    if (this.nowMs() - grant.issuedAt > AUTHORIZATION_CODE_SECONDS * 1000) {
      return { error: 'invalid_grant', description: `the authorization code expired (codes are valid for ${AUTHORIZATION_CODE_SECONDS} seconds)` };
    }
    if (grant.clientId !== client.clientId) {
      return { error: 'invalid_grant', description: 'the authorization code was issued to another app client' };
    }
    const redirectUri = form.get('redirect_uri');
    if (!redirectUri) {
      return { error: 'invalid_request', description: 'redirect_uri is required' };
    }
    if (redirectUri !== grant.redirectUri) {
      return { error: 'invalid_grant', description: 'redirect_uri is not the one of the authorization request' };
    }
    const verifier = form.get('code_verifier');
    if (!verifier) {
      return { error: 'invalid_request', description: 'code_verifier is required: the code was requested with PKCE' };
    }
    if (!CODE_VERIFIER.test(verifier)) {
      return { error: 'invalid_request', description: 'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~' };
    }
    if (!sameSecret(createHash('sha256').update(verifier, 'ascii').digest('base64url'), grant.codeChallenge)) {
      return { error: 'invalid_grant', description: 'code_verifier does not match the code_challenge' };
    }
    if (!this.userOf(grant.username)) {
      return { error: 'invalid_grant', description: 'the user no longer exists' };
    }
    const refreshToken = this.storeRefreshToken({ ...grant, expiresAt: this.nowMs() + this.refreshTokenSeconds * 1000 });
    return this.tokenResponse(grant, refreshToken, grant.nonce);
  }

  /**
   * The refresh token grant, modelling an app client with refresh token
   * rotation ENABLED and a retry grace period of 0 seconds
   * (RefreshTokenRotationType, https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html):
   * each refresh answers new ID, access and refresh tokens; the submitted
   * refresh token is invalid at once, so a replay is `invalid_grant`; the new
   * one lives only for what remained of the original ("Refresh tokens" page),
   * so a session still ends 30 days after sign-in.
   */
  private refresh(form: URLSearchParams, client: OidcClient): TokenAnswer | TokenFailure {
    const token = form.get('refresh_token');
    if (!token) {
      return { error: 'invalid_request', description: 'refresh_token is required' };
    }
    const key = tokenKey(token);
    const grant = this.refreshTokens.get(key);
    if (!grant) {
      return { error: 'invalid_grant', description: 'the refresh token is not valid: unknown, already rotated, or revoked' };
    }
    if (grant.clientId !== client.clientId) {
      return { error: 'invalid_grant', description: 'the refresh token was issued to another app client' };
    }
    this.refreshTokens.delete(key);
    if (grant.expiresAt <= this.nowMs()) {
      return { error: 'invalid_grant', description: 'the refresh token expired' };
    }
    if (!this.userOf(grant.username)) {
      return { error: 'invalid_grant', description: 'the user no longer exists' };
    }
    return this.tokenResponse(grant, this.storeRefreshToken(grant), undefined);
  }

  private storeRefreshToken(grant: RefreshGrant): string {
    const token = randomBytes(48).toString('base64url');
    this.refreshTokens.set(tokenKey(token), {
      clientId: grant.clientId,
      username: grant.username,
      scopes: grant.scopes,
      authTime: grant.authTime,
      family: grant.family,
      expiresAt: grant.expiresAt,
    });
    return token;
  }

  /** The token endpoint's answer: `{ access_token, id_token, refresh_token, token_type, expires_in }`. */
  private tokenResponse(grant: Grant, refreshToken: string, nonce: string | undefined): TokenAnswer {
    const user = this.userOf(grant.username)!;
    const iat = this.nowSeconds();
    const exp = iat + this.accessTokenSeconds;
    const sub = user.sub ?? grant.username;
    // Cognito leaves cognito:groups out of a token when the user is in no group.
    const groups = user.groups.length > 0 ? { 'cognito:groups': [...user.groups] } : {};
    const accessToken = this.options.minter.sign({
      sub,
      ...groups,
      iss: this.issuer,
      version: 2,
      client_id: grant.clientId,
      origin_jti: grant.family,
      token_use: 'access',
      scope: grant.scopes.join(' '),
      auth_time: grant.authTime,
      exp,
      iat,
      jti: randomUUID(),
      username: grant.username,
    });
    const body: Record<string, unknown> = { access_token: accessToken };
    // An ID token only with the openid scope (authorization endpoint page, `scope`).
    if (grant.scopes.includes('openid')) {
      const digest = createHash('sha256').update(accessToken, 'ascii').digest();
      body.id_token = this.options.minter.sign({
        'at_hash': digest.subarray(0, digest.length / 2).toString('base64url'),
        'sub': sub,
        ...groups,
        'email_verified': true,
        'iss': this.issuer,
        'cognito:username': grant.username,
        ...(nonce !== undefined ? { nonce } : {}),
        'origin_jti': grant.family,
        'aud': grant.clientId,
        'token_use': 'id',
        'auth_time': grant.authTime,
        'exp': exp,
        'iat': iat,
        'jti': randomUUID(),
        'email': user.email,
      });
    }
    body.refresh_token = refreshToken;
    body.token_type = 'Bearer';
    body.expires_in = this.accessTokenSeconds;
    return { tokens: body };
  }

  private revokeFamily(family: string): void {
    this.revokedFamilies.add(family);
    for (const [key, grant] of this.refreshTokens) {
      if (grant.family === family) {
        this.refreshTokens.delete(key);
      }
    }
  }

  // ---- revocation, user info, logout ----

  /**
   * POST /oauth2/revoke: revokes a refresh token and the access tokens of
   * its sign-in. An unknown token is answered 200 too (RFC 7009 §2.2), so
   * the answer tells nothing about which tokens exist.
   */
  private revoke(request: OidcRequest): HttpResult {
    const cors = this.corsHeaders(request);
    const form = new URLSearchParams(Buffer.byteLength(request.body) > MAX_FORM_BYTES ? '' : request.body);
    const token = form.get('token');
    if (!token) {
      return tokenError('invalid_request', 'token is required', cors);
    }
    const client = this.clients.get(form.get('client_id') ?? '');
    if (!client) {
      return tokenError('invalid_client', 'client_id must name an app client', cors);
    }
    const grant = this.refreshTokens.get(tokenKey(token));
    if (grant && grant.clientId === client.clientId) {
      this.revokeFamily(grant.family);
    }
    return { statusCode: 200, headers: { 'cache-control': 'no-store', ...cors }, body: '' };
  }

  /** GET or POST /oauth2/userInfo with `Authorization: Bearer <access token>`. */
  private userInfo(request: OidcRequest): HttpResult {
    const cors = this.corsHeaders(request);
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(headerOf(request, 'authorization') ?? '');
    if (!match) {
      return bearerError(401, 'invalid_request', 'send the access token as Authorization: Bearer <token>', cors);
    }
    const claims = this.verifiedAccessToken(match[1]);
    if (!claims) {
      // The description Cognito gives (user attributes endpoint page).
      return bearerError(401, 'invalid_token', 'Access token is expired, disabled, or deleted, or the user has globally signed out.', cors);
    }
    if (!String(claims.scope ?? '').split(' ').includes('openid')) {
      return bearerError(403, 'insufficient_scope', 'the access token needs the openid scope', cors);
    }
    const user = this.userOf(String(claims.username))!;
    return jsonResult(200, { sub: claims.sub, email: user.email, username: claims.username }, cors);
  }

  private verifiedAccessToken(token: string): Record<string, unknown> | undefined {
    const [header, payload, signature] = token.split('.');
    try {
      const head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      if (head.alg !== 'RS256' || head.kid !== this.options.minter.keyId) {
        return undefined;
      }
      if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'))) {
        return undefined;
      }
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      const live = claims.iss === this.issuer && claims.token_use === 'access' && typeof claims.exp === 'number' && claims.exp > this.nowSeconds();
      const known = typeof claims.client_id === 'string' && this.clients.has(claims.client_id) && typeof claims.username === 'string'
        && this.userOf(claims.username) !== undefined;
      const revoked = typeof claims.origin_jti === 'string' && this.revokedFamilies.has(claims.origin_jti);
      return live && known && !revoked ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * GET /logout: ends the provider session (clears the cookie; tokens
   * already issued stay valid, as with Cognito, whose GlobalSignOut is what
   * revokes them) and redirects to an allowed sign-out URL of the client, or
   * with `redirect_uri` and the authorize parameters, to the login page again.
   */
  private logout(params: URLSearchParams, request: OidcRequest): HttpResult {
    const clientId = params.get('client_id') ?? '';
    const client = this.clients.get(clientId);
    if (!client) {
      return errorPage(400, 'invalid_request', clientId === '' ? 'The request has no client_id.' : `There is no app client ${JSON.stringify(clientId)} in this user pool.`);
    }
    const logoutUri = params.get('logout_uri');
    let target: string;
    if (logoutUri !== null) {
      if (!client.logoutUris.includes(logoutUri)) {
        return errorPage(400, 'redirect_mismatch', `${JSON.stringify(logoutUri)} is not an allowed sign-out URL of app client ${JSON.stringify(clientId)}.`);
      }
      target = logoutUri;
    } else if (params.get('redirect_uri') !== null) {
      const check = this.checkAuthorization(params);
      if (check.outcome === 'refuse') {
        return errorPage(400, check.error, check.description);
      }
      target = `${this.basePath}/oauth2/authorize?${params}`;
    } else {
      return errorPage(400, 'invalid_request', 'Sign-out needs a logout_uri (or a redirect_uri to sign in again).');
    }
    const sessionId = cookiesOf(request).get(SESSION_COOKIE);
    if (sessionId !== undefined) {
      this.sessions.delete(sessionId);
    }
    return redirect(target, [this.cookie(SESSION_COOKIE, '', 0)]);
  }

  // ---- pages, cookies, CORS ----

  private loginPage(request: AuthorizationRequest, http: OidcRequest, status: number, error?: string, username = ''): HttpResult {
    const existing = cookiesOf(http).get(CSRF_COOKIE);
    const csrf = existing !== undefined && /^[A-Za-z0-9_-]{32}$/.test(existing) ? existing : randomBytes(24).toString('base64url');
    const action = `${this.basePath}/oauth2/authorize`;
    const hidden = Object.entries({ ...request.params, _csrf: csrf })
      .map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`).join('');
    const invalid = error ? ' aria-invalid="true" aria-describedby="sign-in-error"' : '';
    const accounts = Object.entries(this.options.users).map(([name, user]) => `
        <li>
          <form method="post" action="${esc(action)}">${hidden}<input type="hidden" name="username" value="${esc(name)}"><input type="hidden" name="password" value="${esc(user.password)}">
            <p><strong>${esc(name)}</strong> <span class="muted">${user.groups.length > 0 ? `groups: ${esc(user.groups.join(', '))}` : 'no groups'}</span><br>
            Password: <code>${esc(user.password)}</code></p>
            <button type="submit" class="secondary">Sign in as ${esc(name)}</button>
          </form>
        </li>`).join('');
    const body = `
  <main>
    <h1>Sign in</h1>
    <p>to continue to <strong>${esc(request.client.clientId)}</strong></p>
    <p class="muted">Sandbox identity provider: a local stand-in for Amazon Cognito managed login.</p>
    ${error ? `<p class="alert" role="alert" id="sign-in-error">${esc(error)}</p>` : ''}
    <form method="post" action="${esc(action)}" class="card">${hidden}
      <label for="username">Username</label>
      <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${esc(username)}"${invalid}${username ? '' : ' autofocus'}>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required${invalid}${username ? ' autofocus' : ''}>
      <button type="submit">Sign in</button>
    </form>
    <section class="card" aria-labelledby="accounts-heading">
      <h2 id="accounts-heading">Sandbox accounts</h2>
      <p>These demo accounts exist only in this local sandbox, which is why their passwords are shown. Use them nowhere else.</p>
      <ul class="accounts">${accounts}
      </ul>
    </section>
  </main>`;
    // The form posts here, then the answer redirects to the client: both must be allowed form targets.
    const callbackOrigin = new URL(request.redirectUri).origin;
    const formTargets = callbackOrigin === 'null' ? '\'self\'' : `'self' ${callbackOrigin}`;
    const page = htmlPage(error ? 'Sign-in failed - Sign in' : 'Sign in', body, status, formTargets);
    return { ...page, cookies: [this.cookie(CSRF_COOKIE, csrf, this.sessionSeconds)] };
  }

  private sessionCookie(sessionId: string): string {
    return this.cookie(SESSION_COOKIE, sessionId, this.sessionSeconds);
  }

  /** A cookie of the provider's own paths only, out of reach of scripts. */
  private cookie(name: string, value: string, maxAgeSeconds: number): string {
    return `${name}=${value}; Path=${this.basePath || '/'}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${this.secureCookies ? '; Secure' : ''}`;
  }

  private corsHeaders(request: OidcRequest): Record<string, string> {
    const origin = headerOf(request, 'origin');
    return origin !== undefined && this.corsOrigins.has(origin)
      ? { 'access-control-allow-origin': origin, 'vary': 'Origin' }
      : { vary: 'Origin' };
  }

  private preflight(request: OidcRequest, methods: string): HttpResult {
    const cors = this.corsHeaders(request);
    if (!cors['access-control-allow-origin']) {
      return { statusCode: 403, headers: { 'content-type': 'text/plain; charset=utf-8', ...cors }, body: 'this origin is not a registered app' };
    }
    return {
      statusCode: 204,
      headers: {
        ...cors,
        'access-control-allow-methods': methods,
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      },
      body: '',
    };
  }

  // ---- bookkeeping ----

  private userOf(username: string): OidcUser | undefined {
    return Object.prototype.hasOwnProperty.call(this.options.users, username) ? this.options.users[username] : undefined;
  }

  private nowMs(): number {
    return this.now().getTime();
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  private forgetExpired(): void {
    const now = this.nowMs();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) {
        this.sessions.delete(id);
      }
    }
    for (const [code, grant] of this.codes) {
      // Kept past their expiry so that a late exchange is told so, then forgotten.
      if (now - grant.issuedAt > 4 * AUTHORIZATION_CODE_SECONDS * 1000) {
        this.codes.delete(code);
      }
    }
    for (const [code, spent] of this.spentCodes) {
      if (spent.forgetAt <= now) {
        this.spentCodes.delete(code);
      }
    }
    for (const [key, grant] of this.refreshTokens) {
      if (grant.expiresAt <= now) {
        this.refreshTokens.delete(key);
      }
    }
  }
}

interface TokenAnswer {
  readonly tokens: Record<string, unknown>;
}

interface TokenFailure {
  readonly error: string;
  readonly description: string;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number of seconds, got ${value}`);
  }
  return value;
}

function tokenKey(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Constant-time equality of two strings. */
function sameSecret(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b) && expected.length === given.length;
}

function headerOf(request: OidcRequest, name: string): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === name && value !== undefined) {
      return Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
    }
  }
  return undefined;
}

function cookiesOf(request: OidcRequest): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (headerOf(request, 'cookie') ?? '').split(';')) {
    const equals = part.indexOf('=');
    const name = part.slice(0, Math.max(equals, 0)).trim();
    if (equals > 0 && !cookies.has(name)) {
      cookies.set(name, part.slice(equals + 1).trim());
    }
  }
  return cookies;
}

function jsonResult(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', 'pragma': 'no-cache', ...headers },
    body: JSON.stringify(body),
  };
}

function tokenError(error: string, description: string, cors: Record<string, string>): HttpResult {
  return jsonResult(400, { error, error_description: description }, cors);
}

function bearerError(statusCode: number, error: string, description: string, cors: Record<string, string>): HttpResult {
  const result = jsonResult(statusCode, { error, error_description: description }, cors);
  return { ...result, headers: { ...result.headers, 'www-authenticate': `Bearer error="${error}", error_description="${description.replace(/"/g, '\'')}"` } };
}

/** Discovery and JWKS: public documents any origin may read. */
function publicJson(body: unknown): HttpResult {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'max-age=300', 'access-control-allow-origin': '*' },
    body: JSON.stringify(body),
  };
}

function redirect(location: string, cookies?: string[]): HttpResult {
  return {
    statusCode: 302,
    headers: { 'location': location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    body: '',
    ...(cookies ? { cookies } : {}),
  };
}

function methodNotAllowed(allow: string): HttpResult {
  return { statusCode: 405, headers: { 'allow': allow, 'content-type': 'text/plain; charset=utf-8' }, body: 'Method Not Allowed' };
}

function errorPage(statusCode: number, error: string, description: string): HttpResult {
  const body = `
  <main>
    <h1>This sign-in request cannot go on</h1>
    <p class="alert" role="alert">${esc(description)}</p>
    <p>Error code: <code>${esc(error)}</code></p>
    <p class="muted">Nothing was sent back to the app. Go back to it and start signing in again; if this keeps happening, the app's
    client settings (its allowed callback and sign-out URLs) do not match what it asks for.</p>
  </main>`;
  return htmlPage('Sign-in error', body, statusCode, '\'none\'');
}

function htmlPage(title: string, main: string, statusCode: number, formTargets: string): HttpResult {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)} - Sandbox identity provider</title>
  <style nonce="${nonce}">${STYLE}</style>
</head>
<body>${main}
</body>
</html>
`;
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action ${formTargets}; frame-ancestors 'none'; base-uri 'none'`,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: html,
  };
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1b1d21; --bg: #f4f5f7; --card: #fff; --muted: #4b5058; --line: #868c96;
  --accent: #0a58a8; --on-accent: #fff; --error: #a0151a; --error-bg: #fdecec; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #eceef1; --bg: #14161a; --card: #1e2126; --muted: #b9bfc8; --line: #737a85;
    --accent: #8cc2ff; --on-accent: #0b1a2c; --error: #ffb3b3; --error-bg: #3a1719; }
}
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
main { width: 100%; max-width: 28rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 0 0 .5rem; }
p { margin: .25rem 0 .75rem; }
code { font-size: .95em; overflow-wrap: anywhere; }
strong { overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: 1.25rem 1rem; margin-top: 1rem; }
label { display: block; font-weight: 600; margin-top: .75rem; }
input[type=text], input[type=password] { display: block; width: 100%; min-height: 2.75rem; margin-top: .25rem; padding: .5rem .75rem;
  font: inherit; color: var(--fg); background: var(--card); border: 1px solid var(--line); border-radius: .375rem; }
input[aria-invalid=true] { border: 2px solid var(--error); }
button { display: block; width: 100%; min-height: 2.75rem; margin-top: 1.25rem; padding: .5rem 1rem; font: inherit; font-weight: 600;
  color: var(--on-accent); background: var(--accent); border: 2px solid var(--accent); border-radius: .375rem; cursor: pointer; }
button.secondary { width: auto; margin-top: .25rem; color: var(--accent); background: transparent; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.alert { margin-top: 1rem; padding: .75rem 1rem; color: var(--error); background: var(--error-bg); border-left: 4px solid var(--error); border-radius: .25rem; }
.accounts { list-style: none; margin: 0; padding: 0; }
.accounts li { padding: .75rem 0; border-top: 1px solid var(--line); }
.accounts li:first-child { border-top: 0; padding-top: 0; }
`;

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\'': '&#39;' })[c]!);
}
