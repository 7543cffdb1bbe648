import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { compareAsync } from './measure';
import { startIdentity } from '../sandbox/identity/identity-server';
import { MediaSigner } from '../src/delivery/media-signer';
import { Authenticator } from '../src/entitlement/auth.lambda-shared';
import { Catalog } from '../src/entitlement/catalog.lambda-shared';
import { EntitlementStore } from '../src/entitlement/entitlements.lambda-shared';
import { handleApiRequest } from '../src/entitlement/routes.lambda-shared';
import { StreamLeases } from '../src/entitlement/stream-leases.lambda-shared';
import { Documents } from '../src/internal/documents.lambda-shared';
import { ContentKeys } from '../src/transcode/content-keys.lambda-shared';

/**
 * The playback-session hot path: a premium viewer's POST .../playback with
 * warm caches (JWKS loaded, signing key parsed), DynamoDB answered in the
 * process (video and entitlement) by a plain function, against its crypto floor: one RS256
 * verification of the same token plus one RSA signature of a cookie policy.
 */
export async function playbackBenchmark(): Promise<Array<{ name: string; subject: string; baseline: string; ratio: number; target?: number }>> {
  const identity = await startIdentity();
  try {
    const answers = new Map<string, unknown>();
    // DynamoDB answered in the process by a plain function, so what is timed is the platform's code, not a mocking library's matching.
    const client = { send: async (command: { constructor: { name: string }; input: { TableName?: string } }) => answers.get(`${command.constructor.name} ${command.input.TableName}`) } as unknown as DynamoDBClient;
    const documents = new Documents(client);
    const video = { videoId: 'video-1', creatorId: 'creator', title: 't', description: '', access: 'premium', state: 'PUBLISHED', createdAt: 'x', updatedAt: 'x' };
    const entitlement = { userId: 'viewer', entitlementId: 'premium', expiresAt: '2999-01-01T00:00:00.000Z', grantedAt: 'x', grantedBy: 'admin:a' };
    answers.set(`${GetItemCommand.name} catalog.lambda-shared`, { Item: marshall(video) });
    answers.set(`${GetItemCommand.name} entitlements.lambda-shared`, { Item: marshall(entitlement) });
    // With a stream limit: the viewer's lease, read and extended.
    const lease = {
      userId: 'viewer',
      slot: 0,
      sessionId: '00000000-0000-4000-8000-000000000000',
      videoId: 'video-1',
      device: 'Chrome on Linux',
      startedAt: '2030-01-01T00:00:00.000Z',
      expiresAt: '2999-01-01T00:00:00.000Z',
    };
    answers.set(`${QueryCommand.name} sessions`, { Items: [marshall(lease)] });
    answers.set(`${UpdateItemCommand.name} sessions`, { Attributes: marshall(lease) });
    // With encrypted segments: the video's content key.
    answers.set(`${GetItemCommand.name} content-keys`, { Item: marshall({ videoId: 'video-1', key: new Uint8Array(16).fill(7), createdAt: 'x' }) });

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
    const limited = { ...deps, leases: new StreamLeases(documents, 'sessions'), settings: { ...deps.settings, streamLimit: 3 } };
    const renewal = {
      ...event, headers: { ...event.headers, 'content-type': 'application/json' }, body: JSON.stringify({ sessionId: lease.sessionId }),
    };
    const renewed = await handleApiRequest(limited, renewal);
    if (renewed.statusCode !== 200) {
      throw new Error(`the playback benchmark's renewal failed: ${renewed.statusCode} ${renewed.body}`);
    }
    // The key request a player makes for #EXT-X-KEY: the session's cookie checked against its lease, then the key read.
    const encrypted = { ...limited, contentKeys: new ContentKeys(documents, 'content-keys') };
    const keyRequest = {
      routeKey: 'GET /api/videos/{videoId}/key',
      headers: {},
      pathParameters: { videoId: 'video-1' },
      cookies: [`vod-playback-session=${lease.sessionId}.viewer`],
    };
    const answeredKey = await handleApiRequest(encrypted, keyRequest);
    if (answeredKey.statusCode !== 200 || Buffer.from(answeredKey.body, 'base64').length !== 16) {
      throw new Error(`the key benchmark's request failed: ${answeredKey.statusCode} ${answeredKey.body}`);
    }
    const result = await compareAsync(() => handleApiRequest(deps, event), floor);
    const withLease = await compareAsync(() => handleApiRequest(limited, renewal), floor);
    const key = await compareAsync(() => handleApiRequest(encrypted, keyRequest), floor);
    return [{
      name: 'playback session (JWT, DynamoDB in-process, cookies) vs RS256 verify + RSA sign',
      subject: `${result.subjectMs.toFixed(3)} ms`,
      baseline: `${result.baselineMs.toFixed(3)} ms`,
      ratio: result.ratio,
      target: 1.3,
    }, {
      name: 'playback renewal with a stream limit (the same, plus the lease read and extended) vs RS256 verify + RSA sign',
      subject: `${withLease.subjectMs.toFixed(3)} ms`,
      baseline: `${withLease.baselineMs.toFixed(3)} ms`,
      ratio: withLease.ratio,
      target: 1.3,
    }, {
      name: 'content key (the session\'s cookie against its lease, the key read) vs RS256 verify + RSA sign',
      subject: `${key.subjectMs.toFixed(3)} ms`,
      baseline: `${key.baselineMs.toFixed(3)} ms`,
      ratio: key.ratio,
      target: 1.3,
    }];
  } finally {
    await identity.close();
  }
}
