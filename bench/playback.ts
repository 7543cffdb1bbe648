import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { compareAsync } from './measure';
import { startIdentity } from '../sandbox/identity/identity-server';
import { MediaSigner } from '../src/delivery/media-signer';
import { Authenticator } from '../src/entitlement/auth.lambda-shared';
import { Catalog } from '../src/entitlement/catalog.lambda-shared';
import { EntitlementStore } from '../src/entitlement/entitlements.lambda-shared';
import { handleApiRequest } from '../src/entitlement/routes.lambda-shared';
import { Documents } from '../src/internal/documents.lambda-shared';

/**
 * The playback-session hot path: a premium viewer's POST .../playback with
 * warm caches (JWKS loaded, signing key parsed), DynamoDB answered in the
 * process (video and entitlement), against its crypto floor: one RS256
 * verification of the same token plus one RSA signature of a cookie policy.
 */
export async function playbackBenchmark() {
  const identity = await startIdentity();
  try {
    const client = new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const documents = new Documents(client);
    const dynamo = mockClient(client);
    const video = { videoId: 'video-1', creatorId: 'creator', title: 't', description: '', access: 'premium', state: 'PUBLISHED', createdAt: 'x', updatedAt: 'x' };
    const entitlement = { userId: 'viewer', entitlementId: 'premium', expiresAt: '2999-01-01T00:00:00.000Z', grantedAt: 'x', grantedBy: 'admin:a' };
    dynamo.on(GetItemCommand, { TableName: 'catalog.lambda-shared' }).resolves({ Item: marshall(video) });
    dynamo.on(GetItemCommand, { TableName: 'entitlements.lambda-shared' }).resolves({ Item: marshall(entitlement) });

    const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const signer = Promise.resolve(new MediaSigner(signingKey.privateKey, 'KBENCH'));
    const auth = new Authenticator({ issuer: identity.issuer, clientId: identity.clientId, jwksUri: identity.jwksUri });
    await auth.hydrate();
    const token = identity.token('viewer');
    const deps = {
      auth,
      catalog: new Catalog(documents, 'catalog.lambda-shared'),
      entitlements: new EntitlementStore(documents, 'entitlements.lambda-shared'),
      uploads: async () => { throw new Error('not used'); },
      retryTranscode: async () => ({ outcome: 'ignored' }),
      deleteVideoFiles: async () => { throw new Error('not used'); },
      restoreVideoFiles: async () => { throw new Error('not used'); },
      signer: () => signer,
      settings: { mediaDomain: 'media.example.com', sessionSeconds: 300, sameSite: 'Strict' as const },
    };
    const event = { routeKey: 'POST /api/videos/{videoId}/playback', headers: { authorization: `Bearer ${token}` }, pathParameters: { videoId: 'video-1' } };
    const check = await handleApiRequest(deps, event);
    if (check.statusCode !== 200 || check.cookies?.length !== 3) {
      throw new Error(`the playback benchmark's request failed: ${check.statusCode} ${check.body}`);
    }

    const [headerPart, payloadPart, signaturePart] = token.split('.');
    const tokenKey = createPublicKey(identity.publicKeyPem);
    const cookieKey = createPrivateKey(signingKey.privateKey);
    const policy = Buffer.from(JSON.stringify({
      Statement: [{ Resource: 'https://media.example.com/videos/video-1/*', Condition: { DateLessThan: { 'AWS:EpochTime': 2000000000 } } }],
    }));
    const floor = () => {
      verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), tokenKey, Buffer.from(signaturePart, 'base64url'));
      sign('RSA-SHA1', policy, cookieKey);
    };
    const result = await compareAsync(() => handleApiRequest(deps, event), floor);
    return {
      name: 'playback session (JWT, DynamoDB in-process, cookies) vs RS256 verify + RSA sign',
      subject: `${result.subjectMs.toFixed(3)} ms`,
      baseline: `${result.baselineMs.toFixed(3)} ms`,
      ratio: result.ratio,
      target: 2,
    };
  } finally {
    await identity.close();
  }
}
