import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { ApiError, header, HttpEvent } from './http.lambda-shared';
import { ADMINS_GROUP, CREATORS_GROUP } from './schema';

/** Who is calling, from a verified Cognito access token. */
export interface Caller {
  readonly userId: string;
  readonly groups: readonly string[];
}


export interface AuthSettings {
  /** The user pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuer: string;
  /** The app client whose access tokens are accepted. */
  readonly clientId: string;
  /** @default `<issuer>/.well-known/jwks.json` */
  readonly jwksUri?: string;
}

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;

/**
 * aws-jwt-verify's JWKS fetcher, on the platform's `fetch` (which, unlike the
 * library's default, also reaches the plain-http issuer of a local sandbox).
 */
class FetchJsonFetcher {
  public async fetch(uri: string): Promise<ArrayBuffer> {
    const response = await fetch(uri, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) {
      throw new Error(`fetching ${uri} answered HTTP ${response.status}`);
    }
    return response.arrayBuffer();
  }
}

/**
 * Verifies Bearer access tokens with aws-jwt-verify: RS256 signature by a key
 * of the pool's JWKS (fetched once per container, then cached), issuer,
 * expiry and not-before, `token_use` "access" and the app client's
 * `client_id`. Authorization is decided per request from the token's groups,
 * never cached across routes.
 */
export class Authenticator {
  private readonly verifier;

  constructor(private readonly settings: AuthSettings) {
    this.verifier = JwtRsaVerifier.create({
      issuer: settings.issuer,
      audience: null,
      jwksUri: settings.jwksUri ?? `${settings.issuer}/.well-known/jwks.json`,
      customJwtCheck: ({ payload }) => {
        if (payload.token_use !== 'access') {
          throw new Error('not an access token');
        }
        if (payload.client_id !== this.settings.clientId) {
          throw new Error('issued to another client');
        }
        if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
          throw new Error('no subject');
        }
      },
    }, { jwksCache: new SimpleJwksCache({ fetcher: new FetchJsonFetcher() }) });
  }

  /** Loads the JWKS now (at container start) instead of on the first request. */
  public async hydrate(): Promise<void> {
    await this.verifier.hydrate();
  }

  /** The caller, `undefined` without an Authorization header; a bad token is a 401. */
  public async caller(event: HttpEvent): Promise<Caller | undefined> {
    const authorization = header(event, 'authorization');
    if (authorization === undefined || authorization === '') {
      return undefined;
    }
    if (authorization.length > MAX_TOKEN_LENGTH + 7) {
      throw new ApiError(401, 'invalid-token', 'the access token is too large');
    }
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(authorization);
    if (!match) {
      throw new ApiError(401, 'invalid-token', 'the Authorization header must be "Bearer <access token>"');
    }
    try {
      const payload = await this.verifier.verify(match[1]);
      const groups = payload['cognito:groups'];
      return { userId: payload.sub as string, groups: Array.isArray(groups) ? groups.filter((g): g is string => typeof g === 'string') : [] };
    } catch {
      // The reason stays in the verifier: the client learns only that the token was refused.
      throw new ApiError(401, 'invalid-token', 'the access token is not valid');
    }
  }
}

export function isCreator(caller: Caller | undefined): boolean {
  return caller !== undefined && (caller.groups.includes(CREATORS_GROUP) || caller.groups.includes(ADMINS_GROUP));
}

export function isAdmin(caller: Caller | undefined): boolean {
  return caller !== undefined && caller.groups.includes(ADMINS_GROUP);
}

export function requireCaller(caller: Caller | undefined): Caller {
  if (!caller) {
    throw new ApiError(401, 'sign-in-required', 'this route needs an access token');
  }
  return caller;
}

export function requireCreator(caller: Caller | undefined): Caller {
  const known = requireCaller(caller);
  if (!isCreator(known)) {
    throw new ApiError(403, 'creators-only', 'this route is for the creators group');
  }
  return known;
}

export function requireAdmin(caller: Caller | undefined): Caller {
  const known = requireCaller(caller);
  if (!isAdmin(known)) {
    throw new ApiError(403, 'admins-only', 'this route is for the admins group');
  }
  return known;
}
