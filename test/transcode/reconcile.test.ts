import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateJobCommand, CreateJobCommandInput, GetJobCommand, Job, MediaConvertClient, ProbeCommand, SearchJobsCommand, SearchJobsCommandInput,
} from '@aws-sdk/client-mediaconvert';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { LocalDynamoDB, startLocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { MediaConvertJobRegistry } from '../../sandbox/mediaconvert/job-registry';
import { HlsLadder } from '../../src';
import { TranscodeStatusDetail } from '../../src/contracts/transcode-status';
import { getJob } from '../../src/transcode/job-store.lambda-shared';
import { deadLetterEvent, reconcile, ReconcileDependencies } from '../../src/transcode/reconcile.lambda-shared';
import { PipelineSettings, submitUpload } from '../../src/transcode/submit-job.lambda-shared';

/**
 * The scheduled check against dynalite (a real in-flight index and real
 * conditional writes), with MediaConvert, EventBridge and SQS mocked: uploads
 * whose events were lost, submissions stranded by faults, dead letters.
 */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const mediaconvert = new MediaConvertClient({ region: 'us-east-1', credentials });
const eventbridge = new EventBridgeClient({ region: 'us-east-1', credentials });
const sqs = new SQSClient({ region: 'us-east-1', credentials });
const mcMock = mockClient(mediaconvert);
const ebMock = mockClient(eventbridge);
const sqsMock = mockClient(sqs);

const settings: PipelineSettings = {
  pipelineId: 'StackTranscodeA1B2C3',
  roleArn: 'arn:aws:iam::111111111111:role/mediaconvert',
  queueArn: 'arn:aws:mediaconvert:us-east-1:111111111111:queues/Default',
  sourceBucket: 'sources',
  outputBucket: 'outputs',
  plan: { ladder: HlsLadder.standard()._toSpec(), segmentSeconds: 6, qualityTuning: 'SINGLE_PASS_HQ', posters: { intervalSeconds: 5, maxCaptures: 1 }, download: false, overrides: [] },
  acceleration: 'DISABLED',
  priority: 0,
};
const probe = { ProbeResults: [{ Container: { Format: 'mp4' as const, Tracks: [{ TrackType: 'video' as const, VideoProperties: { Width: 1280, Height: 720 } }] } }] };

let db: LocalDynamoDB;
let tables = 0;
let clock: number;
let registry: MediaConvertJobRegistry;
let deps: ReconcileDependencies;
let problems: string[];

beforeAll(async () => {
  db = await startLocalDynamoDB();
});
afterAll(async () => {
  await db?.close();
});

beforeEach(async () => {
  tables += 1;
  const tableName = `jobs-${tables}`;
  await db.createTableWithIndexes(tableName, ['videoId', 'uploadId'], { work: ['work', 'workAt'] });
  clock = Date.parse('2026-03-01T10:00:00Z');
  registry = new MediaConvertJobRegistry(() => clock);
  problems = [];
  deps = {
    documents: db.documents,
    tableName,
    events: eventbridge,
    mediaconvert,
    settings,
    pipelineId: settings.pipelineId,
    outputBucket: settings.outputBucket,
    reconcile: { stuckAfterSeconds: 1800, maxSubmitTries: 3 },
    deadLetters: { sqs, queueUrl: 'https://sqs.us-east-1.amazonaws.com/111111111111/dead-letters' },
    onProblem: (what, error) => problems.push(`${what}: ${(error as Error).message}`),
    now: () => new Date(clock),
  };
  mcMock.reset();
  ebMock.reset();
  sqsMock.reset();
  mcMock.on(ProbeCommand).resolves(probe);
  mcMock.on(CreateJobCommand).callsFake(createJob);
  mcMock.on(SearchJobsCommand).callsFake((request: SearchJobsCommandInput) => {
    const page = registry.search({ inputFile: request.InputFile, queue: request.Queue, order: request.Order, nextToken: request.NextToken });
    return { Jobs: page.jobs.map(asJob), NextToken: page.nextToken };
  });
  mcMock.on(GetJobCommand).callsFake(({ Id }: { Id: string }) => {
    const job = registry.get(Id);
    if (!job) {
      throw Object.assign(new Error(`job ${Id} not found`), { name: 'NotFoundException' });
    }
    return { Job: asJob(job) };
  });
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });
});

function createJob(request: CreateJobCommandInput) {
  const { job } = registry.create({
    clientRequestToken: request.ClientRequestToken,
    inputFile: request.Settings!.Inputs![0].FileInput!,
    queue: request.Queue,
    userMetadata: request.UserMetadata,
    settings: request.Settings,
  });
  return { Job: asJob(job) };
}

/** A registered job as GetJob and SearchJobs answer it: settings and measurements, no file paths. */
function asJob(job: ReturnType<MediaConvertJobRegistry['create']>['job']): Job {
  const jobSettings = job.settings as Job['Settings'];
  return {
    Id: job.id,
    Role: settings.roleArn,
    CreatedAt: job.createdAt,
    Status: job.status,
    JobPercentComplete: job.percentComplete,
    ErrorCode: job.errorCode,
    ErrorMessage: job.errorMessage,
    UserMetadata: job.userMetadata,
    Settings: jobSettings!,
    OutputGroupDetails: job.status === 'COMPLETE'
      ? jobSettings!.OutputGroups!.map((group) => ({
        OutputDetails: group.Outputs!.map((output) => ({
          DurationInMs: 30_000,
          VideoDetails: { WidthInPx: output.VideoDescription?.Width, HeightInPx: output.VideoDescription?.Height },
        })),
      }))
      : undefined,
  };
}

const created = (videoId: string) => ({ bucket: { name: 'sources' }, object: { key: `uploads/${videoId}/u1/source.mp4` } });
const published = (): TranscodeStatusDetail[] => ebMock.commandCalls(PutEventsCommand)
  .map((call) => JSON.parse(call.args[0].input.Entries![0].Detail!));
const minutes = (n: number) => n * 60_000;

describe('uploads in flight past the bound', () => {
  test('a job whose events were all lost is read with GetJob: COMPLETE with its playlists and the poster\'s key', async () => {
    await submitUpload(deps, created('v1'));
    registry.jobs[0].status = 'COMPLETE';
    clock += minutes(29);
    expect(await reconcile(deps)).toMatchObject({ checked: 0, moved: 0 });
    clock += minutes(2);
    expect(await reconcile(deps)).toEqual({ checked: 1, moved: 1, redriven: 0, problems: 0, sourcesRemoved: 0 });
    const record = await getJob(deps, 'v1', 'u1');
    expect(record).toMatchObject({ state: 'COMPLETE', progressPercent: 100 });
    expect(record!.outputs).toMatchObject({
      masterPlaylistKey: 'videos/v1/master.m3u8',
      posterKey: 'posters/v1/poster.0000000.jpg',
      durationSeconds: 30,
    });
    expect(record!.outputs!.renditions.map((r) => `${r.width}x${r.height}:${r.playlistKey}`)).toEqual([
      '480x270:videos/v1/master_480x270.m3u8', '640x360:videos/v1/master_640x360.m3u8',
      '960x540:videos/v1/master_960x540.m3u8', '1280x720:videos/v1/master_1280x720.m3u8',
    ]);
    expect(published().map((detail) => detail.state)).toEqual(['COMPLETE']);
    // Out of the index: the next check does not look at it again.
    expect(await reconcile(deps)).toMatchObject({ checked: 0 });
    expect(mcMock.commandCalls(GetJobCommand)).toHaveLength(1);
  });

  test.each([
    ['ERROR', { errorCode: 1040, errorMessage: 'Unsupported input' }, { code: '1040', message: 'Unsupported input' }],
    ['CANCELED', {}, { code: 'CANCELED', message: 'the job was canceled' }],
  ])('a job that ended %s fails the upload with the reason, keeping its source', async (status, fields, failure) => {
    await submitUpload(deps, created('v1'));
    Object.assign(registry.jobs[0], { status, ...fields });
    clock += minutes(31);
    await reconcile(deps);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure, sourceKey: 'uploads/v1/u1/source.mp4' });
  });

  test('a job still encoding records its progress and stays checked; a late event then changes nothing twice', async () => {
    await submitUpload(deps, created('v1'));
    Object.assign(registry.jobs[0], { status: 'PROGRESSING', percentComplete: 40 });
    clock += minutes(31);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, moved: 1 });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'PROGRESSING', progressPercent: 40 });
    expect(await reconcile(deps)).toMatchObject({ checked: 1, moved: 0 });
    expect(published().map((detail) => `${detail.state}:${detail.progressPercent}`)).toEqual(['PROGRESSING:40']);
  });

  test('an upload whose end was recorded by a try that stopped before leaving the in-flight work leaves it on the next check', async () => {
    await submitUpload(deps, created('v1'));
    registry.jobs[0].status = 'COMPLETE';
    clock += minutes(31);
    await reconcile(deps);
    // As if the try had stopped after recording COMPLETE: the record is back in the in-flight work.
    await db.documents.update({
      TableName: deps.tableName,
      Key: { videoId: 'v1', uploadId: 'u1' },
      UpdateExpression: 'SET #work = :inFlight, workAt = :at',
      ExpressionAttributeNames: { '#work': 'work' },
      ExpressionAttributeValues: { ':inFlight': 'IN_FLIGHT', ':at': '2026-03-01T09:00:00.000Z' },
    });
    expect(await reconcile(deps)).toMatchObject({ checked: 1, moved: 0 });
    expect(await reconcile(deps)).toMatchObject({ checked: 0 });
  });

  test('a job MediaConvert no longer knows fails the upload so the creator can retry', async () => {
    await submitUpload(deps, created('v1'));
    registry.jobs.splice(0, 1);
    clock += minutes(31);
    await reconcile(deps);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure: { code: 'JOB_NOT_FOUND' } });
  });

  test('a submission stranded by faults that outlived every retry is resumed, and fails after too many', async () => {
    mcMock.on(ProbeCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    await expect(submitUpload(deps, created('v1'))).rejects.toThrow('Rate exceeded');
    clock += minutes(31);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, problems: 1 });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'SUBMITTING', submitTries: 2 });
    clock += minutes(5);
    await reconcile(deps);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ submitTries: 3 });
    clock += minutes(5);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, moved: 1 });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({
      state: 'ERROR',
      failure: { code: 'SUBMIT_FAILED', message: 'the transcode could not be started after 3 tries (TooManyRequestsException: Rate exceeded); retry the upload' },
    });
    expect(registry.jobs).toHaveLength(0);
  });

  test('a stranded submission that had created its job finds it instead of making a second', async () => {
    mcMock.on(CreateJobCommand).callsFakeOnce((request: CreateJobCommandInput) => {
      createJob(request);
      throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
    }).callsFake(createJob);
    await expect(submitUpload(deps, created('v1'))).rejects.toThrow('connection reset');
    clock += minutes(31);
    expect(await reconcile(deps)).toMatchObject({ checked: 1, moved: 1 });
    expect(registry.jobs).toHaveLength(1);
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ jobId: registry.jobs[0].id });
  });

  test('a claim another try holds right now is left to it', async () => {
    mcMock.on(CreateJobCommand).callsFake(() => new Promise(() => undefined));
    void submitUpload(deps, created('v1'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const record = await getJob(deps, 'v1', 'u1');
    // The bound passed, the lease did not: the claim was taken moments ago by a try started late.
    await db.documents.update({
      TableName: deps.tableName,
      Key: { videoId: 'v1', uploadId: 'u1' },
      UpdateExpression: 'SET workAt = :old',
      ExpressionAttributeValues: { ':old': '2026-03-01T09:00:00.000Z' },
    });
    expect(record).toMatchObject({ state: 'SUBMITTING' });
    expect(await reconcile(deps)).toMatchObject({ checked: 1, moved: 0 });
    expect(mcMock.commandCalls(CreateJobCommand)).toHaveLength(1);
  });
});

describe('dead letters', () => {
  const objectCreated = { 'version': '0', 'source': 'aws.s3', 'detail-type': 'Object Created', 'detail': created('v7') };

  test('an event from a rule\'s dead-letter queue and a Lambda on-failure record are handled again, then deleted', async () => {
    const onFailure = {
      version: '1.0',
      timestamp: '2026-03-01T09:00:00.000Z',
      requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:us-east-1:111111111111:function:submit', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: { ...objectCreated, detail: created('v8') },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TooManyRequestsException', errorMessage: 'Rate exceeded' },
    };
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({
      Messages: [
        { MessageId: 'm1', ReceiptHandle: 'h1', Body: JSON.stringify(objectCreated) },
        { MessageId: 'm2', ReceiptHandle: 'h2', Body: JSON.stringify(onFailure) },
        { MessageId: 'm3', ReceiptHandle: 'h3', Body: 'not json' },
      ],
    }).resolves({ Messages: [] });
    expect(await reconcile(deps)).toMatchObject({ redriven: 2, problems: 1 });
    expect(registry.jobs.map((job) => job.userMetadata.videoId).sort()).toEqual(['v7', 'v8']);
    expect(sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle)).toEqual(['h1', 'h2']);
    expect(problems).toEqual(['dead letter m3: not an event the pipeline handles']);
  });

  test('a dead letter that fails again stays in the queue', async () => {
    mcMock.on(ProbeCommand).rejects(Object.assign(new Error('Service unavailable'), { name: 'InternalServerErrorException' }));
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'h1', Body: JSON.stringify(objectCreated) }] }).resolves({ Messages: [] });
    expect(await reconcile(deps)).toMatchObject({ redriven: 0, problems: 1 });
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  test('a job event handled again applies through the same monotonic path', async () => {
    await submitUpload(deps, created('v1'));
    const jobEvent = {
      'source': 'aws.mediaconvert',
      'detail-type': 'MediaConvert Job State Change',
      'time': new Date(clock).toISOString(),
      'detail': { status: 'ERROR', jobId: 'job-x', errorCode: 1999, errorMessage: 'boom', userMetadata: registry.jobs[0].userMetadata },
    };
    await db.documents.update({
      TableName: deps.tableName,
      Key: { videoId: 'v1', uploadId: 'u1' },
      UpdateExpression: 'REMOVE jobId',
    });
    expect(deadLetterEvent(JSON.stringify(jobEvent))).toEqual(jobEvent);
    sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'h1', Body: JSON.stringify(jobEvent) }] }).resolves({ Messages: [] });
    expect(await reconcile(deps)).toMatchObject({ redriven: 1 });
    expect(await getJob(deps, 'v1', 'u1')).toMatchObject({ state: 'ERROR', failure: { code: '1999', message: 'boom' } });
  });
});
