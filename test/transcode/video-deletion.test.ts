import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalDynamoDB, startLocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { LocalS3, startLocalS3 } from '../../sandbox/s3/local-s3';
import { ContentKeys } from '../../src/transcode/content-keys.lambda-shared';
import { getJob, claimRetry } from '../../src/transcode/job-store.lambda-shared';
import { deleteVideo, DeletionDependencies, removeExpiredSources, restoreVideo } from '../../src/transcode/video-deletion.lambda-shared';

/**
 * Deleting a video's files on a local S3 server (s3rver behind the sandbox's
 * front) and dynalite: renditions and posters go at once, sources after the
 * retention, and a restore in between keeps the source.
 */
const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const eventbridge = new EventBridgeClient({ region: 'us-east-1', credentials });
const events = mockClient(eventbridge);

let s3Server: LocalS3;
let s3: S3Client;
let db: LocalDynamoDB;
let deps: DeletionDependencies;
let clock: number;
let tables = 0;

beforeAll(async () => {
  [s3Server, db] = await Promise.all([startLocalS3({ buckets: ['sources', 'outputs'], credentials }), startLocalDynamoDB()]);
  s3 = new S3Client({ endpoint: s3Server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials });
});
afterAll(async () => {
  s3?.destroy();
  await Promise.all([s3Server?.close(), db?.close()]);
});

beforeEach(async () => {
  tables += 1;
  const tableName = `jobs-${tables}`;
  await db.createTableWithIndexes(tableName, ['videoId', 'uploadId'], { work: ['work', 'workAt'] });
  clock = Date.parse('2026-05-01T10:00:00Z');
  deps = {
    documents: db.documents,
    tableName,
    events: eventbridge,
    s3,
    sourceBucket: 'sources',
    outputBucket: 'outputs',
    sourceRetentionSeconds: 7 * 86400,
    pipelineId: 'Pipeline',
    now: () => new Date(clock),
  };
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
});

/** The files-removed events published, their details parsed. */
const filesRemoved = () => events.commandCalls(PutEventsCommand).flatMap((call) => call.args[0].input.Entries ?? [])
  .filter((entry) => entry.DetailType === 'Video Files Removed')
  .map((entry) => ({ source: entry.Source, ...JSON.parse(entry.Detail!) }));

const put = (bucket: string, key: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `bytes of ${key}` }));
const keys = async (bucket: string, prefix: string) => {
  const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listing.Contents ?? []).map((o) => o.Key).sort();
};

async function storeVideo(videoId: string, uploadId: string): Promise<void> {
  await Promise.all([
    put('sources', `uploads/${videoId}/${uploadId}/source.mp4`),
    put('outputs', `videos/${videoId}/master.m3u8`),
    put('outputs', `videos/${videoId}/master_1280x720.m3u8`),
    put('outputs', `videos/${videoId}/master_1280x720_00001.ts`),
    put('outputs', `posters/${videoId}/poster.0000000.jpg`),
  ]);
  await db.documents.put({ TableName: deps.tableName, Item: { videoId, uploadId, sourceKey: `uploads/${videoId}/${uploadId}/source.mp4`, attempt: 1, state: 'COMPLETE', progressPercent: 100 } });
}

test('renditions and posters go at once; the source stays for the retention, then goes; other videos are untouched', async () => {
  await storeVideo('v1', 'u1');
  await storeVideo('v10', 'u1');
  const outcome = await deleteVideo(deps, 'v1');
  expect(outcome).toEqual({ outcome: 'deleted', removed: 4, uploads: 1, sourcesExpireAt: '2026-05-08T10:00:00.000Z' });
  expect(await keys('outputs', 'videos/v1/')).toEqual([]);
  expect(await keys('outputs', 'posters/v1/')).toEqual([]);
  expect(await keys('sources', 'uploads/v1/')).toEqual(['uploads/v1/u1/source.mp4']);
  expect(await keys('outputs', 'videos/v10/')).toHaveLength(3);

  clock += 6 * 86400_000;
  expect(await removeExpiredSources(deps)).toBe(0);
  expect(await keys('sources', 'uploads/v1/')).toEqual(['uploads/v1/u1/source.mp4']);
  clock += 2 * 86400_000;
  expect(await removeExpiredSources(deps)).toBe(1);
  expect(await keys('sources', 'uploads/v1/')).toEqual([]);
  expect(await keys('sources', 'uploads/v10/')).toEqual(['uploads/v10/u1/source.mp4']);
  expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ sourceDeletedAt: '2026-05-09T10:00:00.000Z' });
  // Nothing is left to remove, and a restore now is too late.
  expect(await removeExpiredSources(deps)).toBe(0);
  expect(await restoreVideo(deps, { videoId: 'v1', uploadId: 'u1' })).toMatchObject({ outcome: 'gone' });
});

test('once the files are gone, and not before, the pipeline says so: a CDN can drop its copies for good', async () => {
  await storeVideo('v1', 'u1');
  let keysWhenTold: string[] | undefined;
  events.on(PutEventsCommand).callsFake(async () => {
    keysWhenTold = [...await keys('outputs', 'videos/v1/'), ...await keys('outputs', 'posters/v1/')] as string[];
    return { FailedEntryCount: 0 };
  });
  await deleteVideo(deps, 'v1');
  expect(keysWhenTold).toEqual([]);
  expect(filesRemoved()).toEqual([{
    source: 'cdk-secure-vod.transcode', version: 1, pipelineId: 'Pipeline', videoId: 'v1', prefixes: ['videos/v1/', 'posters/v1/'], removed: 4, at: '2026-05-01T10:00:00.000Z',
  }]);
});

test('a refused event fails the deletion, so its retry tells again', async () => {
  await storeVideo('v1', 'u1');
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
  await expect(deleteVideo(deps, 'v1')).rejects.toThrow('EventBridge refused the files-removed event: InternalFailure try again');
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0 });
  await expect(deleteVideo(deps, 'v1')).resolves.toMatchObject({ outcome: 'deleted', removed: 0 });
  expect(filesRemoved().map((d) => d.removed)).toEqual([4, 0]);
});

test('deleting twice keeps the first retention date', async () => {
  await storeVideo('v1', 'u1');
  await deleteVideo(deps, 'v1');
  clock += 86400_000;
  expect(await deleteVideo(deps, 'v1')).toMatchObject({ outcome: 'deleted', removed: 0 });
  expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ sourceExpiresAt: '2026-05-08T10:00:00.000Z' });
});

test('a restore within the retention keeps the source and makes the upload transcodable again', async () => {
  await storeVideo('v1', 'u1');
  await deleteVideo(deps, 'v1');
  clock += 86400_000;
  expect(await restoreVideo(deps, { videoId: 'v1', uploadId: 'u1' })).toEqual({ outcome: 'restored' });
  expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure: { code: 'RESTORED' } });
  clock += 30 * 86400_000;
  expect(await removeExpiredSources(deps)).toBe(0);
  expect(await keys('sources', 'uploads/v1/')).toEqual(['uploads/v1/u1/source.mp4']);
  expect(await claimRetry(deps, 'v1', 'u1', new Date(clock))).toMatchObject({ state: 'SUBMITTING', attempt: 2 });
});

test('removing an old upload\'s source after a restore keeps the renditions of the restored one', async () => {
  await storeVideo('v1', 'u1');
  await db.documents.put({ TableName: deps.tableName, Item: { videoId: 'v1', uploadId: 'u2', sourceKey: 'uploads/v1/u2/source.mp4', attempt: 1, state: 'COMPLETE', progressPercent: 100 } });
  await put('sources', 'uploads/v1/u2/source.mp4');
  await deleteVideo(deps, 'v1');
  expect(await restoreVideo(deps, { videoId: 'v1', uploadId: 'u2' })).toEqual({ outcome: 'restored' });
  // Transcoded again: renditions are back.
  await put('outputs', 'videos/v1/master.m3u8');
  clock += 8 * 86400_000;
  expect(await removeExpiredSources(deps)).toBe(1);
  expect(await keys('sources', 'uploads/v1/')).toEqual(['uploads/v1/u2/source.mp4']);
  expect(await keys('outputs', 'videos/v1/')).toEqual(['videos/v1/master.m3u8']);
});

test('an upload that was never deleted cannot be restored, and bad ids change nothing', async () => {
  await storeVideo('v1', 'u1');
  expect(await restoreVideo(deps, { videoId: 'v1', uploadId: 'u1' })).toMatchObject({ outcome: 'gone' });
  expect(await deleteVideo(deps, '../v1')).toMatchObject({ outcome: 'ignored' });
  expect(await keys('outputs', 'videos/v1/')).toHaveLength(3);
});

test('an encrypted video\'s content key goes with its renditions; other videos keep theirs', async () => {
  await db.createTable(`keys-${tables}`, 'videoId');
  const contentKeys = new ContentKeys(db.documents, `keys-${tables}`);
  deps = { ...deps, keysTable: `keys-${tables}` };
  await storeVideo('v1', 'u1');
  await storeVideo('v2', 'u1');
  await contentKeys.keyFor('v1', new Date(clock));
  await contentKeys.keyFor('v2', new Date(clock));
  await deleteVideo(deps, 'v1');
  expect(await contentKeys.read('v1')).toBeUndefined();
  expect(await contentKeys.read('v2')).toHaveLength(16);
  // Deleting again changes nothing more.
  expect(await deleteVideo(deps, 'v1')).toMatchObject({ outcome: 'deleted' });
});
