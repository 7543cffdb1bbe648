import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { TokenMinter, TokenOptions } from './tokens';

/** A stand-in for a Cognito user pool in tests: the sandbox's token minter, its JWKS served over local HTTP. */
export interface Identity {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly publicKeyPem: string;
  token(subject: string, groups?: string[], options?: TokenOptions): string;
  close(): Promise<void>;
}

export async function startIdentity(clientId = 'test-client'): Promise<Identity> {
  let minter: TokenMinter | undefined;
  const server = http.createServer((req, res) => {
    if (minter && req.url?.endsWith('/.well-known/jwks.json')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(minter.jwks()));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/us-east-1_TestPool`;
  const created = new TokenMinter(issuer, clientId, 'test-key-1');
  minter = created;
  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    clientId,
    publicKeyPem: created.publicKeyPem,
    token: (subject, groups, options) => created.token(subject, groups, options),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
