import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateJobCommand, MediaConvertClient, ProbeCommand } from '@aws-sdk/client-mediaconvert';
import { App, Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { HlsLadder, HlsTranscodePipeline } from '../../src';

/**
 * The bundled entry points as Lambda runs them: configuration from the
 * environment only (DynamoDB reached through the SDK's standard
 * AWS_ENDPOINT_URL_DYNAMODB), metrics under the names the construct reads.
 */

const mcMock = mockClient(MediaConvertClient);
const ebMock = mockClient(EventBridgeClient);
let db: LocalDynamoDB;
let output: string[] = [];
let submit: (event: unknown) => Promise<any>;
let status: (event: unknown) => Promise<string>;
const pipelineId = 'EntryPointsPipeline';

beforeAll(async () => {
  db = await startLocalDynamoDB();
  await db.createTable('entry-jobs', 'videoId', 'uploadId');
  const endpoint = await db.client.config.endpoint!();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`,
    JOBS_TABLE: 'entry-jobs',
    STATUS_EVENT_BUS: 'default',
    PIPELINE_SETTINGS: JSON.stringify({
      pipelineId,
      roleArn: 'arn:aws:iam::111111111111:role/mc',
      sourceBucket: 'sources',
      outputBucket: 'outputs',
      plan: { ladder: HlsLadder.standard()._toSpec(), segmentSeconds: 6, qualityTuning: 'SINGLE_PASS_HQ', download: false, overrides: [] },
      acceleration: 'DISABLED',
      priority: 0,
    }),
  });
  /* eslint-disable @typescript-eslint/no-require-imports */
  submit = require('../../src/transcode/submit-job.lambda').handler;
  status = require('../../src/transcode/job-status.lambda').handler;
  /* eslint-enable @typescript-eslint/no-require-imports */
});
afterAll(async () => {
  await db?.close();
  for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'JOBS_TABLE', 'STATUS_EVENT_BUS', 'PIPELINE_SETTINGS']) {
    delete process.env[name];
  }
});
beforeEach(() => {
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
  mcMock.reset();
  ebMock.reset();
  mcMock.on(ProbeCommand).resolves({ ProbeResults: [{ Container: { Tracks: [{ TrackType: 'video', VideoProperties: { Width: 640, Height: 360 } }] } }] });
  mcMock.on(CreateJobCommand).resolves({ Job: { Id: 'job-entry', Role: 'arn:aws:iam::111111111111:role/mc', Settings: {} } });
  ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
});
afterEach(() => jest.restoreAllMocks());

function metricRecord(name: string): Record<string, any> | undefined {
  return output.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
    .find((record) => record._aws?.CloudWatchMetrics?.[0]?.Metrics?.some((m: { Name: string }) => m.Name === name));
}

test('an S3 Object Created event submits a job and counts it under the construct\'s metric dimensions', async () => {
  const outcome = await submit({
    'detail-type': 'Object Created',
    'source': 'aws.s3',
    'detail': { bucket: { name: 'sources' }, object: { key: 'uploads/entry-v/entry-u/source.mp4', size: 10 } },
  });
  expect(outcome).toEqual({ outcome: 'submitted', jobId: 'job-entry', attempt: 1 });
  const record = metricRecord('JobsSubmitted')!;
  const metric = new HlsTranscodePipeline(new Stack(new App(), 'S'), 'T').metricJobsSubmitted();
  expect(record._aws.CloudWatchMetrics[0].Namespace).toBe(metric.namespace);
  expect(record._aws.CloudWatchMetrics[0].Dimensions[0].sort()).toEqual(Object.keys(metric.dimensions!).sort());
  expect(record.Pipeline).toBe(pipelineId);
  expect(record.service).toBe('transcode');
});

test('a job event from MediaConvert becomes status, and a failure is counted', async () => {
  const event = (state: string) => ({
    'detail-type': 'MediaConvert Job State Change',
    'source': 'aws.mediaconvert',
    'time': '2026-03-01T10:00:00Z',
    'detail': {
      status: state,
      jobId: 'job-entry',
      errorCode: 1010,
      errorMessage: 'input unreadable',
      userMetadata: { 'cdk-secure-vod-pipeline': pipelineId, 'videoId': 'entry-v', 'uploadId': 'entry-u', 'sourceKey': 'uploads/entry-v/entry-u/source.mp4', 'attempt': '1' },
    },
  });
  expect(await status(event('ERROR'))).toBe('applied');
  expect(await status(event('ERROR'))).toBe('stale');
  expect(metricRecord('JobsFailed')?.JobsFailed).toBe(1);
  expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
});

test('a direct retry request and an unknown event are answered, not thrown', async () => {
  expect(await submit({ action: 'retry', videoId: 'entry-v', uploadId: 'entry-u' })).toEqual({ outcome: 'submitted', jobId: 'job-entry', attempt: 2 });
  expect(await submit({ hello: 'world' })).toMatchObject({ outcome: 'ignored' });
});
