import { createHmac, generateKeyPairSync, KeyObject, sign } from 'node:crypto';

/**
 * Access tokens minted the way Cognito mints them (RS256, `token_use`,
 * `client_id`, `cognito:groups`), with a JWKS to verify them by. Every part
 * can be overridden, so tests can make the tokens an attacker would.
 */
export interface TokenOptions {
  readonly claims?: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
  /** Sign with another key (one the JWKS does not hold). */
  readonly key?: KeyObject;
  /** Sign with HMAC-SHA256 and this secret instead of RSA. */
  readonly hmacSecret?: string;
  /** No signature at all. */
  readonly unsigned?: boolean;
  /** Lifetime in seconds. @default 3600 */
  readonly lifetimeSeconds?: number;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export class TokenMinter {
  public readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;
  private readonly jwk: Record<string, unknown>;

  constructor(public readonly issuer: string, public readonly clientId: string, private readonly kid = 'sandbox-key-1') {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  }

  public jwks(): { keys: Array<Record<string, unknown>> } {
    return { keys: [this.jwk] };
  }

  /** The id of the key this minter signs with, as its JWKS names it. */
  public get keyId(): string {
    return this.kid;
  }

  /**
   * Signs these claims exactly as given (RS256, this pool's key and `kid`):
   * for tokens whose every claim the caller decides, as the OpenID provider's
   * ID and access tokens, whose times follow the provider's clock.
   */
  public sign(claims: Record<string, unknown>): string {
    const header = { alg: 'RS256', kid: this.kid, typ: 'JWT' };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${b64url(sign('RSA-SHA256', Buffer.from(signingInput), this.privateKey))}`;
  }

  public token(subject: string, groups: string[] = [], options: TokenOptions = {}): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: options.hmacSecret ? 'HS256' : options.unsigned ? 'none' : 'RS256', kid: this.kid, typ: 'JWT', ...options.header };
    const payload = {
      'sub': subject,
      'iss': this.issuer,
      'client_id': this.clientId,
      'token_use': 'access',
      'scope': 'openid email',
      'iat': now,
      'exp': now + (options.lifetimeSeconds ?? 3600),
      'username': subject,
      'cognito:groups': groups,
      ...options.claims,
    };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    if (options.unsigned) {
      return `${signingInput}.`;
    }
    const signature = options.hmacSecret
      ? createHmac('sha256', options.hmacSecret).update(signingInput).digest()
      : sign('RSA-SHA256', Buffer.from(signingInput), options.key ?? this.privateKey);
    return `${signingInput}.${b64url(signature)}`;
  }
}
