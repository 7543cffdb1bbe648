import { createHmac, generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A stand-in for a Cognito user pool in tests: a JWKS served over local HTTP
 * and access tokens minted like Cognito's (RS256, `token_use`, `client_id`,
 * `cognito:groups`), with every part overridable for attacks.
 */
export interface Identity {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly publicKeyPem: string;
  token(subject: string, groups?: string[], options?: TokenOptions): string;
  close(): Promise<void>;
}

export interface TokenOptions {
  readonly claims?: Record<string, unknown>;
  readonly header?: Record<string, unknown>;
  /** Sign with another key (one the JWKS does not hold). */
  readonly key?: KeyObject;
  /** Sign with HMAC-SHA256 and this secret instead of RSA. */
  readonly hmacSecret?: string;
  /** No signature at all. */
  readonly unsigned?: boolean;
}

const b64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export async function startIdentity(clientId = 'test-client'): Promise<Identity> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = 'test-key-1';
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  const server = http.createServer((req, res) => {
    if (req.url?.endsWith('/.well-known/jwks.json')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/us-east-1_TestPool`;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    clientId,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    token(subject, groups = [], options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = { alg: options.hmacSecret ? 'HS256' : options.unsigned ? 'none' : 'RS256', kid, typ: 'JWT', ...options.header };
      const payload = {
        'sub': subject,
        'iss': issuer,
        'client_id': clientId,
        'token_use': 'access',
        'scope': 'openid email',
        'iat': now,
        'exp': now + 3600,
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
        : sign('RSA-SHA256', Buffer.from(signingInput), options.key ?? privateKey);
      return `${signingInput}.${b64url(signature)}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
