import { generateKeyPairSync } from 'node:crypto';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { compareAsync } from './measure';
import { startLocalDynamoDB, LocalDynamoDB } from '../sandbox/aws/local-dynamodb';
import { startIdentity } from '../sandbox/identity/identity-server';
import { MediaSigner } from '../src/delivery/media-signer';
import { Authenticator } from '../src/entitlement/auth.lambda-shared';
import { Catalog } from '../src/entitlement/catalog.lambda-shared';
import { EntitlementStore } from '../src/entitlement/entitlements.lambda-shared';
import { ApiDependencies, handleApiRequest } from '../src/entitlement/routes.lambda-shared';
import { CATALOG_INDEXES, ENTITLEMENT_INDEXES } from '../src/entitlement/schema';
import { StreamLeases } from '../src/entitlement/stream-leases.lambda-shared';

/**
 * Cost as the catalog grows: the catalog's first page and a purchased
 * video's playback session (with a stream limit, so its lease is written)
 * against a platform with 100 videos and 100 users' entitlements, and against
 * one with 10,000 of each, both on dynalite in this process. Every request
 * reads one page of an index or a few items by key, so the ratio should stay
 * near 1 whatever the size.
 */
const SMALL = 100;
const LARGE = 10_000;

async function platform(db: LocalDynamoDB, name: string, size: number, auth: Authenticator, signer: Promise<MediaSigner>): Promise<ApiDependencies> {
  await db.createTableWithIndexes(`catalog-${name}`, ['videoId'], {
    [CATALOG_INDEXES.byCreator]: ['creatorId', 'createdAt'],
    [CATALOG_INDEXES.published]: ['listing', 'publishedAt'],
    [CATALOG_INDEXES.byState]: ['state', 'updatedAt'],
  });
  await db.createTableWithIndexes(`entitlements-${name}`, ['userId', 'entitlementId'], { [ENTITLEMENT_INDEXES.byPaymentRef]: ['paymentRef'] });
  await db.createTable(`sessions-${name}`, 'userId', 'slot', 'N');
  const start = Date.UTC(2030, 0, 1);
  const videos = Array.from({ length: size }, (_, i) => {
    const at = new Date(start + i * 60_000).toISOString();
    return {
      videoId: `video-${i}`,
      creatorId: `creator-${i % 50}`,
      title: `Video ${i}`,
      description: 'A video of the benchmark',
      access: 'purchase',
      price: { amount: 199, currency: 'usd' },
      state: 'PUBLISHED',
      createdAt: at,
      updatedAt: at,
      listing: 'published',
      publishedAt: `${at}#video-${i}`,
      outputs: { masterPlaylistKey: `videos/video-${i}/master.m3u8`, durationSeconds: 60, renditions: [{ width: 1280, height: 720 }], posterKey: `posters/video-${i}/poster.0000000.jpg` },
    };
  });
  // Each of `size` users owns one video; the viewer of the benchmark owns the first.
  const entitlements = videos.map((video, i) => ({
    userId: i === 0 ? 'viewer' : `user-${i}`, entitlementId: `video#${video.videoId}`, grantedAt: video.createdAt, grantedBy: 'purchase',
  }));
  await writeAll(db, `catalog-${name}`, videos);
  await writeAll(db, `entitlements-${name}`, entitlements);
  return {
    auth,
    catalog: new Catalog(db.documents, `catalog-${name}`),
    entitlements: new EntitlementStore(db.documents, `entitlements-${name}`),
    leases: new StreamLeases(db.documents, `sessions-${name}`),
    uploads: async () => { throw new Error('not used'); },
    retryTranscode: async () => ({ outcome: 'ignored' }),
    deleteVideoFiles: async () => { throw new Error('not used'); },
    restoreVideoFiles: async () => { throw new Error('not used'); },
    signer: () => signer,
    settings: { mediaDomain: 'media.example.com', sessionSeconds: 300, sameSite: 'Strict', streamLimit: 3 },
  };
}

async function writeAll(db: LocalDynamoDB, table: string, items: object[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    await db.client.send(new BatchWriteItemCommand({
      RequestItems: { [table]: items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) } })) },
    }));
  }
}

export async function scaleBenchmarks() {
  const [db, identity] = await Promise.all([startLocalDynamoDB(), startIdentity()]);
  try {
    const auth = new Authenticator({ issuer: identity.issuer, clientId: identity.clientId, jwksUri: identity.jwksUri });
    await auth.hydrate();
    const key = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const signer = Promise.resolve(new MediaSigner(key.privateKey, 'KBENCH'));
    const small = await platform(db, 'small', SMALL, auth, signer);
    const large = await platform(db, 'large', LARGE, auth, signer);
    const token = identity.token('viewer');

    const catalogPage = { routeKey: 'GET /api/videos', headers: {}, queryStringParameters: { limit: '24' } };
    // A renewal of one live session: the entitlement checked, the lease extended, the cookies signed.
    const renewal = async (deps: ApiDependencies) => {
      const started = await handleApiRequest(deps, { routeKey: 'POST /api/videos/{videoId}/playback', headers: { authorization: `Bearer ${token}` }, pathParameters: { videoId: 'video-0' } });
      if (started.statusCode !== 200) throw new Error(`the scale benchmark's playback failed: ${started.statusCode} ${started.body}`);
      const { sessionId } = JSON.parse(started.body);
      return {
        routeKey: 'POST /api/videos/{videoId}/playback',
        headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
        pathParameters: { videoId: 'video-0' },
        body: JSON.stringify({ sessionId }),
      };
    };
    const [smallRenewal, largeRenewal] = [await renewal(small), await renewal(large)];
    for (const [deps, event] of [[small, catalogPage], [large, catalogPage], [small, smallRenewal], [large, largeRenewal]] as const) {
      const answer = await handleApiRequest(deps, event);
      if (answer.statusCode !== 200) throw new Error(`the scale benchmark's request failed: ${answer.statusCode} ${answer.body}`);
    }
    const options = { rounds: 11, perRound: 30, warmup: 20 };
    const pages = await compareAsync(() => handleApiRequest(large, catalogPage), () => handleApiRequest(small, catalogPage), options);
    const sessions = await compareAsync(() => handleApiRequest(large, largeRenewal), () => handleApiRequest(small, smallRenewal), options);
    return [
      {
        name: `catalog page (24 of ${LARGE.toLocaleString('en')} published videos) vs (24 of ${SMALL}), dynalite`,
        subject: `${pages.subjectMs.toFixed(2)} ms`,
        baseline: `${pages.baselineMs.toFixed(2)} ms`,
        ratio: pages.ratio,
        target: 1.2,
      },
      {
        name: `playback renewal with a stream limit (entitlement, lease, cookies), ${LARGE.toLocaleString('en')} vs ${SMALL} videos and entitlements, dynalite`,
        subject: `${sessions.subjectMs.toFixed(2)} ms`,
        baseline: `${sessions.baselineMs.toFixed(2)} ms`,
        ratio: sessions.ratio,
        target: 1.2,
      },
    ];
  } finally {
    await Promise.all([db.close(), identity.close()]);
  }
}
