import { generateKeyPairSync } from 'node:crypto';
import { startIdentity, Identity } from '../../sandbox/identity/identity-server';
import { Authenticator, isAdmin, isCreator, MAX_TOKEN_LENGTH } from '../../src/entitlement/auth.lambda-shared';
import { ApiError, HttpEvent } from '../../src/entitlement/http.lambda-shared';

/** The JWT attack suite: every token here must be refused with a 401, and a good one accepted. */

let identity: Identity;
let auth: Authenticator;
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

beforeAll(async () => {
  identity = await startIdentity();
  auth = new Authenticator({ issuer: identity.issuer, clientId: identity.clientId, jwksUri: identity.jwksUri });
  await auth.hydrate();
});
afterAll(() => identity?.close());

const request = (authorization?: string): HttpEvent => ({ routeKey: 'GET /api/me', headers: authorization === undefined ? {} : { authorization } });

async function refusal(authorization: string): Promise<ApiError> {
  try {
    await auth.caller(request(authorization));
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('the token was accepted');
}

const now = () => Math.floor(Date.now() / 1000);

test('a valid access token gives the caller and groups', async () => {
  const caller = await auth.caller(request(`Bearer ${identity.token('user-1', ['creators'])}`));
  expect(caller).toEqual({ userId: 'user-1', groups: ['creators'] });
  expect(isCreator(caller)).toBe(true);
  expect(isAdmin(caller)).toBe(false);
});

test('no Authorization header is an anonymous caller', async () => {
  expect(await auth.caller(request())).toBeUndefined();
});

test.each<[string, () => string]>([
  ['expired', () => identity.token('u', [], { claims: { exp: now() - 10 } })],
  ['not yet valid (nbf in the future)', () => identity.token('u', [], { claims: { nbf: now() + 600 } })],
  ['from another issuer', () => identity.token('u', [], { claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })],
  ['from another user pool, signed with its key', () => identity.token('u', [], { key: otherKey, header: { kid: 'other-pool-key' }, claims: { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other' } })],
  ['for another app client', () => identity.token('u', [], { claims: { client_id: 'someone-elses-client' } })],
  ['an id token where an access token is required', () => identity.token('u', [], { claims: { token_use: 'id', aud: identity.clientId } })],
  ['alg none, unsigned', () => identity.token('u', ['admins'], { unsigned: true })],
  ['HS256 signed with the public key as secret', () => identity.token('u', ['admins'], { hmacSecret: identity.publicKeyPem })],
  ['with a tampered payload', () => {
    const [header, , signature] = identity.token('u', ['creators']).split('.');
    const payload = Buffer.from(JSON.stringify({ 'sub': 'u', 'iss': identity.issuer, 'client_id': identity.clientId, 'token_use': 'access', 'exp': now() + 3600, 'iat': now(), 'cognito:groups': ['admins'] })).toString('base64url');
    return `${header}.${payload}.${signature}`;
  }],
  ['signed by an unknown key id', () => identity.token('u', [], { key: otherKey, header: { kid: 'unknown-kid' } })],
  ['signed by another key under the pool\'s key id', () => identity.token('u', [], { key: otherKey })],
  ['without a subject', () => identity.token('', [])],
  ['oversized', () => identity.token('u', [], { claims: { padding: 'x'.repeat(MAX_TOKEN_LENGTH) } })],
  ['not a JWT', () => 'not-a-token'],
])('a token %s is refused with 401', async (_name, make) => {
  const error = await refusal(`Bearer ${make()}`);
  expect(error).toBeInstanceOf(ApiError);
  expect(error.statusCode).toBe(401);
  expect(error.code).toBe('invalid-token');
});

test.each(['Basic dXNlcjpwYXNz', 'Bearer', 'bearer x.y.z', `Token ${'a'}.b.c`])('an Authorization header %p is refused with 401', async (header) => {
  expect((await refusal(header)).statusCode).toBe(401);
});

test('a refusal never says why, so it leaks nothing about the pool', async () => {
  const expired = await refusal(`Bearer ${identity.token('u', [], { claims: { exp: now() - 10 } })}`);
  const otherClient = await refusal(`Bearer ${identity.token('u', [], { claims: { client_id: 'x' } })}`);
  expect(expired.message).toBe(otherClient.message);
});
