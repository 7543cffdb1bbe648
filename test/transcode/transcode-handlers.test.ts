import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateJobCommand, CreateJobCommandInput, Job, MediaConvertClient, ProbeCommand, SearchJobsCommand, SearchJobsCommandInput,
} from '@aws-sdk/client-mediaconvert';
import { mockClient } from 'aws-sdk-client-mock';
import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { MediaConvertJobRegistry } from '../../sandbox/mediaconvert/job-registry';
import { HlsLadder } from '../../src';
import { statusOrder, TRANSCODE_DETAIL_TYPES, TRANSCODE_EVENT_SOURCE, TranscodeStatusDetail } from '../../src/contracts/transcode-status';
import { ContentKeys } from '../../src/transcode/content-keys.lambda-shared';
import { handleJobEvent, JobStateChangeDetail, StatusDependencies, statusFromJob } from '../../src/transcode/job-status.lambda-shared';
import { getJob } from '../../src/transcode/job-store.lambda-shared';
import { PipelineSettings, requestToken, retryUpload, submitUpload, SubmitDependencies } from '../../src/transcode/submit-job.lambda-shared';

/**
 * The submit and status logic against dynalite, so every conditional write is
 * a real one; MediaConvert and EventBridge, which have no local server, are mocked.
 */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const mediaconvert = new MediaConvertClient({ region: 'us-east-1', credentials });
const eventbridge = new EventBridgeClient({ region: 'us-east-1', credentials });
const mcMock = mockClient(mediaconvert);
const ebMock = mockClient(eventbridge);

const settings: PipelineSettings = {
  pipelineId: 'StackTranscodeA1B2C3',
  roleArn: 'arn:aws:iam::111111111111:role/mediaconvert',
  queueArn: 'arn:aws:mediaconvert:us-east-1:111111111111:queues/Default',
  sourceBucket: 'sources',
  outputBucket: 'outputs',
  plan: { ladder: HlsLadder.standard()._toSpec(), segmentSeconds: 6, qualityTuning: 'SINGLE_PASS_HQ', posters: { intervalSeconds: 5, maxCaptures: 3 }, download: true, overrides: [] },
  acceleration: 'DISABLED',
  priority: 0,
};

let db: LocalDynamoDB;
let tables = 0;
let clock: number;
let deps: SubmitDependencies & StatusDependencies;
let registry: MediaConvertJobRegistry;

beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(async () => {
  await db?.close();
});

beforeEach(async () => {
  tables += 1;
  const tableName = `jobs-${tables}`;
  await db.createTable(tableName, 'videoId', 'uploadId');
  clock = Date.parse('2026-03-01T10:00:00Z');
  deps = {
    documents: db.documents,
    tableName,
    events: eventbridge,
    eventBusName: 'default',
    mediaconvert,
    settings,
    pipelineId: settings.pipelineId,
    outputBucket: settings.outputBucket,
    now: () => new Date(clock),
  };
  mcMock.reset();
  ebMock.reset();
  mcMock.on(ProbeCommand).resolves(probe1080p);
  // MediaConvert's job record: a repeated client request token answers the same job within a minute only.
  registry = new MediaConvertJobRegistry(() => clock);
  mcMock.on(CreateJobCommand).callsFake(createJob);
  mcMock.on(SearchJobsCommand).callsFake((request: SearchJobsCommandInput) => {
    const page = registry.search({
      inputFile: request.InputFile, queue: request.Queue, order: request.Order, maxResults: request.MaxResults, nextToken: request.NextToken,
    });
    return {
      Jobs: page.jobs.map((job) => ({ Id: `job-${registry.jobs.indexOf(job) + 1}`, CreatedAt: job.createdAt, UserMetadata: job.userMetadata, Role: settings.roleArn, Settings: {} })),
      NextToken: page.nextToken,
    };
  });
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});

const probe1080p = {
  ProbeResults: [{ Container: { Format: 'mp4' as const, Duration: 30, Tracks: [{ TrackType: 'video' as const, VideoProperties: { Width: 1920, Height: 1080 } }, { TrackType: 'audio' as const }] } }],
};

/** CreateJob as MediaConvert answers it, against the test's job record. */
function createJob(request: CreateJobCommandInput) {
  const { job } = registry.create({
    clientRequestToken: request.ClientRequestToken,
    inputFile: request.Settings!.Inputs![0].FileInput!,
    queue: request.Queue,
    userMetadata: request.UserMetadata,
    settings: request.Settings,
  });
  return { Job: { Id: `job-${registry.jobs.indexOf(job) + 1}`, Role: request.Role, Settings: request.Settings } };
}

const created = (key: string, bucket = 'sources') => ({ bucket: { name: bucket }, object: { key } });
const createJobCalls = () => mcMock.commandCalls(CreateJobCommand).map((call) => call.args[0].input);
const published = (): TranscodeStatusDetail[] => ebMock.commandCalls(PutEventsCommand).map((call) => {
  const entry = call.args[0].input.Entries![0];
  expect(entry.Source).toBe(TRANSCODE_EVENT_SOURCE);
  const detail = JSON.parse(entry.Detail!);
  expect(entry.DetailType).toBe(TRANSCODE_DETAIL_TYPES[detail.state as keyof typeof TRANSCODE_DETAIL_TYPES]);
  return detail;
});

describe('submit', () => {
  test('a new source gets one job with the pipeline\'s role, queue, metadata and a token of its own', async () => {
    const outcome = await submitUpload(deps, created('uploads/v1/u1/source.mp4'));
    expect(outcome).toEqual({ outcome: 'submitted', jobId: 'job-1', attempt: 1 });
    const [request] = createJobCalls();
    expect(request).toMatchObject({
      Role: settings.roleArn,
      Queue: settings.queueArn,
      ClientRequestToken: requestToken({ sourceKey: 'uploads/v1/u1/source.mp4', attempt: 1 }),
      UserMetadata: { 'cdk-secure-vod-pipeline': settings.pipelineId, 'videoId': 'v1', 'uploadId': 'u1', 'sourceKey': 'uploads/v1/u1/source.mp4', 'attempt': '1' },
      AccelerationSettings: { Mode: 'DISABLED' },
    });
    expect(request.Settings!.Inputs![0].FileInput).toBe('s3://sources/uploads/v1/u1/source.mp4');
    expect(mcMock.commandCalls(ProbeCommand)[0].args[0].input).toEqual({ InputFiles: [{ FileUrl: 's3://sources/uploads/v1/u1/source.mp4' }] });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', jobId: 'job-1', attempt: 1 });
  });

  test('the same event delivered three times, two of them at once, makes one job', async () => {
    const event = created('uploads/v1/u1/source.mp4');
    const outcomes = [...await Promise.all([submitUpload(deps, event), submitUpload(deps, event)]), await submitUpload(deps, event)];
    expect(outcomes.filter((o) => o.outcome === 'submitted')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'duplicate')).toHaveLength(2);
    expect(createJobCalls()).toHaveLength(1);
  });

  test('a transient fault at CreateJob lets go of the claim: the retry resumes at once with the same token, and the fault is counted', async () => {
    mcMock.on(CreateJobCommand).rejectsOnce(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' })).callsFake(createJob);
    const event = created('uploads/v1/u1/source.mp4');
    await expect(submitUpload(deps, event)).rejects.toThrow('slow down');
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', claimedAt: 0, submitTries: 1, lastError: 'TooManyRequestsException: slow down' });
    clock += 1_000;
    expect(await submitUpload(deps, event)).toEqual({ outcome: 'submitted', jobId: 'job-1', attempt: 1 });
    const tokens = createJobCalls().map((request) => request.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(1);
    expect(registry.jobs).toHaveLength(1);
  });

  test('a try that created its job and died before recording it: a retry two minutes later finds that job and creates none', async () => {
    // The first try's CreateJob reaches MediaConvert, then the function is stopped (a timeout) before it hears back.
    mcMock.on(CreateJobCommand).callsFakeOnce((request: CreateJobCommandInput) => {
      createJob(request);
      return new Promise(() => undefined);
    }).callsFake(createJob);
    const event = created('uploads/v1/u1/source.mp4');
    void submitUpload(deps, event);
    await waitFor(() => registry.jobs.length === 1);
    // Lambda retries an asynchronous invocation after a minute and then two more; MediaConvert forgets the token after one.
    clock += 2 * 60_000;
    expect(await submitUpload(deps, event)).toEqual({ outcome: 'submitted', jobId: 'job-1', attempt: 1 });
    expect(registry.jobs).toHaveLength(1);
    expect(createJobCalls()).toHaveLength(1);
    expect(mcMock.commandCalls(SearchJobsCommand)[0].args[0].input).toMatchObject({ InputFile: 's3://sources/uploads/v1/u1/source.mp4', Queue: settings.queueArn });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ jobId: 'job-1' });
    // A later duplicate finds the job recorded and does nothing.
    clock += 10 * 60_000;
    expect(await submitUpload(deps, event)).toEqual({ outcome: 'duplicate' });
    expect(registry.jobs).toHaveLength(1);
  });

  test('a fault of the job lookup is a fault of the try: the claim is let go and the fault counted, so the check can give up', async () => {
    mcMock.on(CreateJobCommand).rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })).callsFake(createJob);
    const event = created('uploads/v1/u1/source.mp4');
    await expect(submitUpload(deps, event)).rejects.toThrow('socket hang up');
    mcMock.on(SearchJobsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    clock += 2 * 60_000;
    await expect(submitUpload(deps, event)).rejects.toThrow('Rate exceeded');
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', claimedAt: 0, submitTries: 2, lastError: 'TooManyRequestsException: Rate exceeded' });
    expect(createJobCalls()).toHaveLength(1);
  });

  test('a job of another attempt or another pipeline for the same file is not taken for this attempt\'s', async () => {
    registry.create({ inputFile: 's3://sources/uploads/v1/u1/source.mp4', queue: settings.queueArn, userMetadata: { 'cdk-secure-vod-pipeline': 'Other', 'videoId': 'v1', 'uploadId': 'u1', 'attempt': '1' }, settings: {} });
    mcMock.on(CreateJobCommand).rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })).callsFake(createJob);
    const event = created('uploads/v1/u1/source.mp4');
    await expect(submitUpload(deps, event)).rejects.toThrow('socket hang up');
    clock += 2 * 60_000;
    expect(await submitUpload(deps, event)).toEqual({ outcome: 'submitted', jobId: 'job-2', attempt: 1 });
    expect(registry.jobs).toHaveLength(2);
  });

  test('a source MediaConvert cannot read fails with its reason and no job; its key stays recorded', async () => {
    mcMock.on(ProbeCommand).resolves({ ProbeResults: [{ Container: { Tracks: [{ TrackType: 'audio' }] } }] });
    expect(await submitUpload(deps, created('uploads/v1/u1/source.mp4')))
      .toEqual({ outcome: 'failed', code: 'NO_VIDEO_TRACK', message: 'the file has no video track MediaConvert can read; upload a video file' });
    expect(createJobCalls()).toHaveLength(0);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', sourceKey: 'uploads/v1/u1/source.mp4', failure: { code: 'NO_VIDEO_TRACK' } });
    expect(published()).toEqual([expect.objectContaining({ state: 'ERROR', videoId: 'v1', attempt: 1, failure: expect.objectContaining({ code: 'NO_VIDEO_TRACK' }) })]);
  });

  test.each([
    ['BadRequestException', 'SOURCE_UNREADABLE'],
    ['UnprocessableEntityException', 'SOURCE_UNREADABLE'],
    ['ConflictException', 'SOURCE_UNREADABLE'],
    ['NotFoundException', 'SOURCE_NOT_FOUND'],
    ['ForbiddenException', 'SOURCE_FORBIDDEN'],
  ])('Probe answering %s fails the upload at once with %s, no job and no retry', async (name, code) => {
    mcMock.on(ProbeCommand).rejects(Object.assign(new Error('unable to read the input file'), { name }));
    const outcome = await submitUpload(deps, created('uploads/v1/u1/source.mp4'));
    expect(outcome).toMatchObject({ outcome: 'failed', code });
    expect((outcome as { message: string }).message).toContain('unable to read the input file');
    expect(createJobCalls()).toHaveLength(0);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure: { code } });
    expect((await getJob(deps, 'v1', 'u1'))!.inFlightSince).toBeUndefined();
    // A duplicate of the event changes nothing; the creator's retry starts a new attempt.
    expect(await submitUpload(deps, created('uploads/v1/u1/source.mp4'))).toEqual({ outcome: 'duplicate' });
  });

  test.each(['TooManyRequestsException', 'InternalServerErrorException'])('Probe answering %s is retried: the claim is let go and the fault recorded', async (name) => {
    mcMock.on(ProbeCommand).rejectsOnce(Object.assign(new Error('try again'), { name })).resolves(probe1080p);
    await expect(submitUpload(deps, created('uploads/v1/u1/source.mp4'))).rejects.toThrow('try again');
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', submitTries: 1, lastError: `${name}: try again` });
    expect(await submitUpload(deps, created('uploads/v1/u1/source.mp4'))).toMatchObject({ outcome: 'submitted' });
  });

  test('settings MediaConvert refuses fail the upload instead of retrying forever', async () => {
    mcMock.on(CreateJobCommand).rejects(Object.assign(new Error('/outputGroups/0: bad'), { name: 'BadRequestException' }));
    expect(await submitUpload(deps, created('uploads/v1/u1/source.mp4'))).toMatchObject({ outcome: 'failed', code: 'JOB_REFUSED' });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure: { code: 'JOB_REFUSED', message: 'MediaConvert refused the job: /outputGroups/0: bad' } });
  });

  test.each([
    ['outside uploads/', created('videos/v1/master.m3u8')],
    ['not in the source layout', created('uploads/v1/notes.txt')],
    ['of another bucket', created('uploads/v1/u1/source.mp4', 'other')],
  ])('an object %s is ignored', async (_name, event) => {
    expect(await submitUpload(deps, event)).toMatchObject({ outcome: 'ignored' });
    expect(mcMock.calls()).toHaveLength(0);
  });

  test('a failed upload is retried as a new attempt with a new token; nothing else can be retried', async () => {
    mcMock.on(ProbeCommand).resolvesOnce({ ProbeResults: [{}] }).resolves({
      ProbeResults: [{ Container: { Tracks: [{ TrackType: 'video', VideoProperties: { Width: 1280, Height: 720 } }] } }],
    });
    await submitUpload(deps, created('uploads/v1/u1/source.mp4'));
    expect(await retryUpload(deps, { videoId: 'v1', uploadId: 'u1' })).toEqual({ outcome: 'submitted', jobId: 'job-1', attempt: 2 });
    expect(createJobCalls()[0]).toMatchObject({
      ClientRequestToken: requestToken({ sourceKey: 'uploads/v1/u1/source.mp4', attempt: 2 }),
      UserMetadata: expect.objectContaining({ attempt: '2' }),
    });
    expect(await retryUpload(deps, { videoId: 'v1', uploadId: 'u1' })).toMatchObject({ outcome: 'ignored' });
    expect(await retryUpload(deps, { videoId: 'v9', uploadId: 'u9' })).toMatchObject({ outcome: 'ignored' });
    expect(await retryUpload(deps, { videoId: '../x', uploadId: 'u1' })).toMatchObject({ outcome: 'ignored' });
    expect(createJobCalls()).toHaveLength(1);
  });
});

/** Waits (briefly) until `done` holds. */
async function waitFor(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(done()).toBe(true);
}

/** A MediaConvert job event for upload v1/u1 of this pipeline. */
function jobEvent(status: string, extra: Partial<JobStateChangeDetail> = {}, metadata: Record<string, string> = {}) {
  return {
    time: new Date(clock).toISOString(),
    detail: {
      status,
      jobId: 'job-1',
      userMetadata: { 'cdk-secure-vod-pipeline': settings.pipelineId, 'videoId': 'v1', 'uploadId': 'u1', 'sourceKey': 'uploads/v1/u1/source.mp4', 'attempt': '1', ...metadata },
      ...extra,
    },
  };
}

const complete = () => jobEvent('COMPLETE', {
  outputGroupDetails: [
    {
      type: 'HLS_GROUP',
      playlistFilePaths: ['s3://outputs/videos/v1/master.m3u8'],
      outputDetails: [
        { outputFilePaths: ['s3://outputs/videos/v1/master_1920x1080.m3u8'], durationInMs: 30_040, videoDetails: { widthInPx: 1920, heightInPx: 1080, averageBitrate: 4_100_000 } },
        { outputFilePaths: ['s3://outputs/videos/v1/master_480x270.m3u8'], durationInMs: 30_040, videoDetails: { widthInPx: 480, heightInPx: 270 } },
      ],
    },
    { type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: ['s3://outputs/posters/v1/poster.0000000.jpg'], durationInMs: 30_040 }] },
    { type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: ['s3://outputs/posters/v1/frame.0000002.jpg'], durationInMs: 30_040 }] },
    { type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: ['s3://outputs/videos/v1/download.mp4'], durationInMs: 30_040 }] },
  ],
});

/** A deterministic shuffle, so a failure can be replayed. */
function shuffled<T>(items: T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j], result[i]];
  }
  return result;
}

describe('submit, with encrypted segments', () => {
  let keys: ContentKeys;
  beforeEach(async () => {
    await db.createTable(`keys-${tables}`, 'videoId');
    keys = new ContentKeys(db.documents, `keys-${tables}`);
    deps = { ...deps, settings: { ...settings, encryption: { keyServerUrl: 'https://media.example.com', keysTable: `keys-${tables}` } } };
  });
  const encryptionOf = (request: CreateJobCommandInput) => request.Settings!.OutputGroups![0].OutputGroupSettings!.HlsGroupSettings!.Encryption;

  test('the job encrypts with the video\'s own key, made before the job and kept; every try and attempt of the video sends the same', async () => {
    mcMock.on(CreateJobCommand).rejectsOnce(Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' })).callsFake(createJob);
    const event = created('uploads/v1/u1/source.mp4');
    await expect(submitUpload(deps, event)).rejects.toThrow('slow down');
    clock += 1_000;
    expect(await submitUpload(deps, event)).toMatchObject({ outcome: 'submitted' });
    const key = Buffer.from((await keys.read('v1'))!).toString('hex');
    const [first, retried] = createJobCalls();
    expect(encryptionOf(first)).toEqual({
      EncryptionMethod: 'AES128',
      Type: 'STATIC_KEY',
      InitializationVectorInManifest: 'INCLUDE',
      StaticKeyProvider: { StaticKeyValue: key, Url: 'https://media.example.com/api/videos/v1/key' },
    });
    // The same request, so the client request token answers the first job rather than refusing a different one.
    expect(retried).toEqual(first);
    // A new upload of the video: the same key, so segments a CDN still holds decrypt with the key players fetch.
    await submitUpload(deps, created('uploads/v1/u2/source.mp4'));
    expect(encryptionOf(createJobCalls()[2])!.StaticKeyProvider!.StaticKeyValue).toBe(key);
    await submitUpload(deps, created('uploads/v2/u1/source.mp4'));
    expect(encryptionOf(createJobCalls()[3])!.StaticKeyProvider!.StaticKeyValue).not.toBe(key);
  });

  test('a fault reading or making the key is a fault of the try: the claim is let go, and no job is created without encryption', async () => {
    deps = { ...deps, settings: { ...deps.settings, encryption: { keyServerUrl: 'https://media.example.com', keysTable: 'no-such-table' } } };
    await expect(submitUpload(deps, created('uploads/v1/u1/source.mp4'))).rejects.toThrow();
    expect(createJobCalls()).toHaveLength(0);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', claimedAt: 0, submitTries: 1 });
  });
});

describe('status', () => {
  beforeEach(async () => {
    await submitUpload(deps, created('uploads/v1/u1/source.mp4'));
  });

  test('a completed job records and publishes its renditions, duration, posters and download', async () => {
    expect(await handleJobEvent(deps, complete())).toBe('applied');
    const [detail] = published();
    expect(detail).toEqual({
      version: 1,
      pipelineId: settings.pipelineId,
      videoId: 'v1',
      uploadId: 'u1',
      sourceKey: 'uploads/v1/u1/source.mp4',
      attempt: 1,
      jobId: 'job-1',
      state: 'COMPLETE',
      progressPercent: 100,
      at: new Date(clock).toISOString(),
      outputs: {
        masterPlaylistKey: 'videos/v1/master.m3u8',
        renditions: [
          { width: 480, height: 270, playlistKey: 'videos/v1/master_480x270.m3u8' },
          { width: 1920, height: 1080, bitrate: 4_100_000, playlistKey: 'videos/v1/master_1920x1080.m3u8' },
        ],
        durationSeconds: 30.04,
        posterKey: 'posters/v1/poster.0000000.jpg',
        posterKeys: ['posters/v1/frame.0000002.jpg', 'posters/v1/poster.0000000.jpg'],
        downloadKey: 'videos/v1/download.mp4',
      },
    });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'COMPLETE', progressPercent: 100, outputs: detail.outputs });
    expect((await getJob(deps, 'v1', 'u1'))!.outbox).toBeUndefined();
  });

  test('an error records MediaConvert\'s code and message', async () => {
    await handleJobEvent(deps, jobEvent('ERROR', { errorCode: 1030, errorMessage: 'Video codec not supported' }));
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure: { code: '1030', message: 'Video codec not supported' } });
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])('shuffled and repeated events (seed %i) end COMPLETE, publish only forward moves and COMPLETE once', async (seed) => {
    const events = [
      jobEvent('SUBMITTED'), jobEvent('PROGRESSING'),
      jobEvent('STATUS_UPDATE', { jobProgress: { jobPercentComplete: 10 } }),
      jobEvent('STATUS_UPDATE', { jobProgress: { jobPercentComplete: 45 } }),
      jobEvent('STATUS_UPDATE', { jobProgress: { jobPercentComplete: 80 } }),
      complete(),
    ];
    for (const event of shuffled([...events, ...events, events[3]], seed)) {
      await handleJobEvent(deps, event);
    }
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'COMPLETE', progressPercent: 100 });
    const details = published();
    details.slice(1).forEach((detail, index) => expect(statusOrder(detail)).toBeGreaterThan(statusOrder(details[index])));
    expect(details.filter((detail) => detail.state === 'COMPLETE')).toHaveLength(1);
    expect(details[details.length - 1].state).toBe('COMPLETE');
  });

  test('an ERROR after COMPLETE, or progress after it, changes nothing', async () => {
    await handleJobEvent(deps, complete());
    expect(await handleJobEvent(deps, jobEvent('ERROR', { errorCode: 1 }))).toBe('stale');
    expect(await handleJobEvent(deps, jobEvent('STATUS_UPDATE', { jobProgress: { jobPercentComplete: 50 } }))).toBe('stale');
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'COMPLETE' });
    expect(published()).toHaveLength(1);
  });

  test('events of another pipeline, another job, or an older attempt change nothing', async () => {
    expect(await handleJobEvent(deps, jobEvent('COMPLETE', {}, { 'cdk-secure-vod-pipeline': 'OtherPipeline' }))).toBe('ignored');
    expect(await handleJobEvent(deps, jobEvent('COMPLETE', { jobId: 'job-other' }))).toBe('stale');
    await handleJobEvent(deps, jobEvent('ERROR', { errorCode: 1 }));
    await retryUpload(deps, { videoId: 'v1', uploadId: 'u1' });
    expect(await handleJobEvent(deps, jobEvent('PROGRESSING', {}, { attempt: '1' }))).toBe('stale');
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', attempt: 2 });
  });

  test('informational events (input information, warnings, queue hops) are ignored', async () => {
    for (const status of ['INPUT_INFORMATION', 'NEW_WARNING', 'QUEUE_HOP']) {
      expect(await handleJobEvent(deps, jobEvent(status))).toBe('ignored');
    }
  });

  test('a status whose publish failed is published by the retry of the same event, then cleared', async () => {
    ebMock.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    await expect(handleJobEvent(deps, complete())).rejects.toThrow('EventBridge refused the status event: InternalFailure try again');
    expect((await getJob(deps, 'v1', 'u1'))!.outbox).toBeDefined();
    expect(await handleJobEvent(deps, complete())).toBe('stale');
    expect(published().map((detail) => detail.state)).toEqual(['COMPLETE', 'COMPLETE']);
    expect((await getJob(deps, 'v1', 'u1'))!.outbox).toBeUndefined();
    expect(await handleJobEvent(deps, complete())).toBe('stale');
    expect(published()).toHaveLength(2);
  });
});

describe('contract between submit and status', () => {
  test('the job metadata and output destinations the submit handler sets come back as the status of the same upload', async () => {
    await submitUpload(deps, created('uploads/vid-42/up-7/source.mov'));
    const [request] = createJobCalls();
    // What MediaConvert reports for that job: the metadata it was given, and files named after the destinations.
    const groups = request.Settings!.OutputGroups!;
    const hls = groups[0];
    const destination = hls.OutputGroupSettings!.HlsGroupSettings!.Destination!;
    const event = {
      time: new Date(clock).toISOString(),
      detail: {
        status: 'COMPLETE',
        jobId: 'job-1',
        userMetadata: request.UserMetadata,
        outputGroupDetails: [
          {
            type: 'HLS_GROUP',
            playlistFilePaths: [`${destination}.m3u8`],
            outputDetails: hls.Outputs!.map((output) => ({
              outputFilePaths: [`${destination}${output.NameModifier}.m3u8`],
              durationInMs: 12_000,
              videoDetails: { widthInPx: output.VideoDescription!.Width, heightInPx: output.VideoDescription!.Height },
            })),
          },
          ...groups.slice(1).map((group) => ({
            type: 'FILE_GROUP',
            outputDetails: [{ outputFilePaths: [`${group.OutputGroupSettings!.FileGroupSettings!.Destination}${{ Poster: '.0000000.jpg', Frames: '.0000002.jpg' }[group.Name!] ?? '.mp4'}`] }],
          })),
        ],
      },
    };
    expect(await handleJobEvent(deps, event)).toBe('applied');
    const [detail] = published();
    expect(detail).toMatchObject({ videoId: 'vid-42', uploadId: 'up-7', sourceKey: 'uploads/vid-42/up-7/source.mov', attempt: 1, state: 'COMPLETE' });
    expect(detail.outputs).toEqual({
      masterPlaylistKey: 'videos/vid-42/master.m3u8',
      renditions: ['480x270', '640x360', '960x540', '1280x720', '1920x1080'].map((size) => {
        const [width, height] = size.split('x').map(Number);
        return { width, height, playlistKey: `videos/vid-42/master_${size}.m3u8` };
      }),
      durationSeconds: 12,
      posterKey: 'posters/vid-42/poster.0000000.jpg',
      posterKeys: ['posters/vid-42/frame.0000002.jpg', 'posters/vid-42/poster.0000000.jpg'],
      downloadKey: 'videos/vid-42/download.mp4',
    });

    // The same job read back with GetJob, which holds no file paths, gives the same playlists, poster and download.
    const job: Job = {
      Id: 'job-1',
      Role: request.Role!,
      Status: 'COMPLETE',
      Settings: request.Settings!,
      UserMetadata: request.UserMetadata,
      OutputGroupDetails: event.detail.outputGroupDetails.map((group) => ({
        OutputDetails: group.outputDetails.map((output) => ({
          DurationInMs: 12_000,
          VideoDetails: 'videoDetails' in output ? { WidthInPx: output.videoDetails.widthInPx, HeightInPx: output.videoDetails.heightInPx } : undefined,
        })),
      })),
    };
    const fromJob = statusFromJob(job, settings.pipelineId, settings.outputBucket, new Date(clock))!;
    expect(fromJob).toMatchObject({ videoId: 'vid-42', uploadId: 'up-7', attempt: 1, state: 'COMPLETE', jobId: 'job-1' });
    expect({ ...fromJob.outputs, posterKeys: undefined }).toEqual({ ...detail.outputs, posterKeys: undefined });
  });
});
