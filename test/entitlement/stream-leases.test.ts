import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { LEASE_GRACE_SECONDS, StreamLeases } from '../../src/entitlement/stream-leases.lambda-shared';

/**
 * Playback sessions as leases, on dynalite: conditional writes hold the
 * limit however the starts race, renewals keep a session, and an ended,
 * revoked or lapsed one is over for good.
 */

let db: LocalDynamoDB;
let leases: StreamLeases;
let tables = 0;
const T0 = new Date('2030-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const start = (userId: string, videoId = 'video-1', now = T0, device = 'Firefox on Linux') =>
  leases.start({ userId, videoId, device, limit: 3, lifetimeSeconds: 300, now });

beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(async () => {
  tables += 1;
  await db.createTable(`sessions-${tables}`, 'userId', 'slot', 'N');
  leases = new StreamLeases(db.documents, `sessions-${tables}`);
});

test('of ten devices starting at once, exactly the limit get a session; the others see who holds the slots', async () => {
  const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => start('viewer', `video-${i}`, T0, `device ${i}`)));
  const taken = outcomes.filter((outcome) => 'taken' in outcome);
  expect(taken).toHaveLength(3);
  expect(new Set(taken.map((outcome) => ('taken' in outcome ? outcome.taken.slot : -1)))).toEqual(new Set([0, 1, 2]));
  for (const outcome of outcomes.filter((each) => 'full' in each)) {
    expect('full' in outcome && outcome.full.map((lease) => lease.sessionId).sort()).toEqual(taken.map((each) => ('taken' in each ? each.taken.sessionId : '')).sort());
  }
  // Another user has slots of their own.
  expect('taken' in await start('someone-else')).toBe(true);
});

test('a renewal keeps the session past its first lifetime; a lapsed one frees its slot and cannot be renewed', async () => {
  const first = await start('viewer');
  const sessionId = 'taken' in first ? first.taken.sessionId : '';
  await start('viewer', 'video-2');
  await start('viewer', 'video-3');
  expect('full' in await start('viewer', 'video-4', at(10))).toBe(true);
  // Renewed at 80% of its 5 minutes, it lives on past the first lifetime.
  const renewed = await leases.renew({ userId: 'viewer', sessionId, videoId: 'video-1', lifetimeSeconds: 300, now: at(240) });
  expect(renewed?.expiresAt).toBe(at(240 + 300 + LEASE_GRACE_SECONDS).toISOString());
  expect(await leases.renew({ userId: 'viewer', sessionId, videoId: 'another-video', lifetimeSeconds: 300, now: at(240) })).toBeUndefined();
  // The two others lapse; the renewed one is still live, so two slots are free.
  const later = at(300 + LEASE_GRACE_SECONDS + 1);
  expect((await leases.live('viewer', later)).map((lease) => lease.sessionId)).toEqual([sessionId]);
  expect('taken' in await start('viewer', 'video-5', later)).toBe(true);
  expect('taken' in await start('viewer', 'video-6', later)).toBe(true);
  expect('full' in await start('viewer', 'video-7', later)).toBe(true);
  // Not renewed again, it lapses too, and a renewal does not bring it back.
  const lapsed = at(240 + 300 + LEASE_GRACE_SECONDS + 1);
  expect(await leases.isLive('viewer', sessionId, 'video-1', lapsed)).toBe(false);
  expect(await leases.renew({ userId: 'viewer', sessionId, videoId: 'video-1', lifetimeSeconds: 300, now: lapsed })).toBeUndefined();
});

test('ending a session frees its slot at once and its renewal fails; revoking ends them all', async () => {
  const first = await start('viewer');
  const sessionId = 'taken' in first ? first.taken.sessionId : '';
  await start('viewer', 'video-2');
  await start('viewer', 'video-3');
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(1))).toBe(true);
  expect(await leases.isLive('viewer', sessionId, 'video-2', at(1))).toBe(false);
  expect(await leases.end('viewer', sessionId, at(1))).toBe(true);
  expect(await leases.end('viewer', sessionId, at(2))).toBe(false);
  expect(await leases.end('viewer', 'no-such-session', at(2))).toBe(false);
  expect(await leases.renew({ userId: 'viewer', sessionId, videoId: 'video-1', lifetimeSeconds: 300, now: at(2) })).toBeUndefined();
  expect('taken' in await start('viewer', 'video-4', at(2))).toBe(true);
  expect(await leases.endAll('viewer', at(3))).toBe(3);
  expect(await leases.live('viewer', at(3))).toEqual([]);
  expect(await leases.endAll('viewer', at(4))).toBe(0);
});

test('a session bound to an address is live at that address only; a renewal from another moves it; an unbound one is live anywhere', async () => {
  const bound = await leases.start({ userId: 'viewer', videoId: 'video-1', device: 'phone', limit: 3, lifetimeSeconds: 300, now: T0, viewerAddress: '203.0.113.7' });
  const sessionId = 'taken' in bound ? bound.taken.sessionId : '';
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(10), '203.0.113.7')).toBe(true);
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(10), '198.51.100.9')).toBe(false);
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(10))).toBe(false);

  const moved = await leases.renew({ userId: 'viewer', sessionId, videoId: 'video-1', lifetimeSeconds: 300, now: at(240), viewerAddress: '198.51.100.9' });
  expect(moved?.viewerAddress).toBe('198.51.100.9');
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(250), '198.51.100.9')).toBe(true);
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(250), '203.0.113.7')).toBe(false);
  // Kept with the session, where the key route reads it.
  expect((await leases.live('viewer', at(250)))[0]).toMatchObject({ sessionId, device: 'phone', viewerAddress: '198.51.100.9' });

  // Binding turned off meanwhile: the next renewal unbinds the session, which is live anywhere again.
  await leases.renew({ userId: 'viewer', sessionId, videoId: 'video-1', lifetimeSeconds: 300, now: at(400) });
  expect(await leases.isLive('viewer', sessionId, 'video-1', at(410))).toBe(true);
  expect((await leases.live('viewer', at(410)))[0].viewerAddress).toBeUndefined();

  const unbound = await start('viewer', 'video-2');
  const unboundId = 'taken' in unbound ? unbound.taken.sessionId : '';
  expect(await leases.isLive('viewer', unboundId, 'video-2', at(10), '192.0.2.1')).toBe(true);
  expect(await leases.isLive('viewer', unboundId, 'video-2', at(10))).toBe(true);
});
