/**
 * The authorization code flow's messages, as plain functions: the URLs and
 * form bodies Cognito's OAuth endpoints take, the `state` round trip, and
 * the claims the app reads from tokens.
 */
import type { AppConfig } from './config';
import { base64Url } from './pkce';

/** Tokens as the token endpoint answers them. */
export interface TokenSet {
  readonly accessToken: string;
  readonly idToken?: string;
  /** Only in the answer to a code exchange (and with refresh token rotation, to a refresh). */
  readonly refreshToken?: string;
  /** When the access token expires, in milliseconds since the epoch. */
  readonly expiresAt: number;
}

export function authorizeUrl(config: AppConfig, params: { redirectUri: string; state: string; challenge: string }): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: params.redirectUri,
    scope: config.scopes.join(' '),
    state: params.state,
    code_challenge: params.challenge,
    code_challenge_method: 'S256',
  });
  return `${config.signInUrl}/oauth2/authorize?${query}`;
}

export function codeExchangeBody(config: AppConfig, params: { code: string; redirectUri: string; verifier: string }): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code: params.code,
    redirect_uri: params.redirectUri,
    code_verifier: params.verifier,
  }).toString();
}

export function refreshBody(config: AppConfig, refreshToken: string): string {
  return new URLSearchParams({ grant_type: 'refresh_token', client_id: config.clientId, refresh_token: refreshToken }).toString();
}

export function logoutUrl(config: AppConfig, logoutUri: string): string {
  return `${config.signInUrl}/logout?${new URLSearchParams({ client_id: config.clientId, logout_uri: logoutUri })}`;
}

/** `state` carries a random nonce (checked on return) and the hash route to go back to. */
export function encodeState(nonce: string, returnHash: string): string {
  const hash = returnHash.startsWith('#') ? returnHash : '#/';
  return `${nonce}.${base64Url(new TextEncoder().encode(hash))}`;
}

export function decodeState(state: string): { nonce: string; returnHash: string } | undefined {
  const dot = state.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const returnHash = new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(state.slice(dot + 1)));
    return { nonce: state.slice(0, dot), returnHash: returnHash.startsWith('#') ? returnHash : '#/' };
  } catch {
    return undefined;
  }
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

/** Reads a token endpoint answer; throws with the endpoint's own error text when it refused. */
export function parseTokenAnswer(status: number, body: unknown, now: number): TokenSet {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (status !== 200 || typeof record.access_token !== 'string') {
    const code = typeof record.error === 'string' ? record.error : `status ${status}`;
    const description = typeof record.error_description === 'string' ? `: ${record.error_description}` : '';
    throw new TokenError(code, `sign-in failed (${code}${description})`);
  }
  const claims = jwtClaims(record.access_token);
  const expiresIn = typeof record.expires_in === 'number' ? record.expires_in : undefined;
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : now + (expiresIn ?? 3600) * 1000;
  return {
    accessToken: record.access_token,
    idToken: typeof record.id_token === 'string' ? record.id_token : undefined,
    refreshToken: typeof record.refresh_token === 'string' ? record.refresh_token : undefined,
    expiresAt,
  };
}

/** The token endpoint refused; `code` is its OAuth error code (`invalid_grant` when a refresh token is expired or revoked). */
export class TokenError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

/**
 * The payload of a JWT, without verifying it: the app only displays what it
 * reads (the API verifies every token it is sent and decides on its own).
 */
export function jwtClaims(token: string | undefined): Record<string, unknown> {
  const payload = token?.split('.')[1];
  if (!payload) return {};
  try {
    const claims: unknown = JSON.parse(new TextDecoder().decode(fromBase64Url(payload)));
    return typeof claims === 'object' && claims !== null ? claims as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/** Who is signed in, as far as the page needs to know. */
export interface UserInfo {
  readonly userId: string;
  readonly email?: string;
  readonly groups: readonly string[];
}

export function userInfo(tokens: TokenSet): UserInfo {
  const access = jwtClaims(tokens.accessToken);
  const id = jwtClaims(tokens.idToken);
  const groups = access['cognito:groups'] ?? id['cognito:groups'];
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    userId: text(access.sub) ?? text(id.sub) ?? '',
    email: text(id.email) ?? text(access.email) ?? text(access.username) ?? text(id['cognito:username']),
    groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === 'string') : [],
  };
}

/** When to refresh: a minute before the access token expires, and not sooner than in five seconds. */
export function refreshDelay(expiresAt: number, now: number, leadMs = 60_000): number {
  return Math.max(5_000, expiresAt - leadMs - now);
}
