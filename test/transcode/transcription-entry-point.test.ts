import { join } from 'node:path';
import { startLocalDynamoDB, LocalDynamoDB } from '../../sandbox/aws/local-dynamodb';
import { startServices, ServicesServer } from '../../sandbox/aws/services';
import { HlsLadder } from '../../src';
import { CAPTIONS_TRANSCRIBED_DETAIL_TYPE } from '../../src/contracts/transcode-status';
import { transcriptionPrefix } from '../../src/transcode/transcription-names';

/**
 * The bundled status handler with automatic captions, as Lambda runs it:
 * Amazon Transcribe and EventBridge reached over their JSON 1.1 wire
 * protocol (the SDK's standard AWS_ENDPOINT_URL_* settings), the Transcribe
 * client loaded with the first transcription.
 */

const pipelineId = 'EntryTranscriptionPipeline';
const prefix = transcriptionPrefix(pipelineId);
let db: LocalDynamoDB;
let services: ServicesServer;
let status: (event: unknown) => Promise<string>;
const calls: Array<{ operation: string; request: Record<string, any> }> = [];
const events: Array<{ DetailType: string; Detail: string }> = [];
const started = new Set<string>();

beforeAll(async () => {
  db = await startLocalDynamoDB();
  await db.createTable('transcription-jobs', 'videoId', 'uploadId');
  services = await startServices({
    functions: new Map(),
    invokeAsync: () => undefined,
    secrets: new Map(),
    putEvents: (entries) => events.push(...entries),
    probe: async () => ({}),
    createJob: async () => ({}),
    getJob: () => ({}),
    searchJobs: () => ({}),
    transcribe: async (operation, request) => {
      calls.push({ operation, request });
      const name = request.TranscriptionJobName;
      if (operation === 'StartTranscriptionJob') {
        if (started.has(name)) {
          throw { name: 'ConflictException', status: 400, message: 'The requested job name already exists.' };
        }
        started.add(name);
        return { TranscriptionJob: { TranscriptionJobName: name, TranscriptionJobStatus: 'IN_PROGRESS' } };
      }
      return {
        TranscriptionJob: {
          TranscriptionJobName: name,
          TranscriptionJobStatus: 'COMPLETED',
          LanguageCode: 'en-US',
          Subtitles: { Formats: ['vtt'], SubtitleFileUris: [`https://s3.us-east-1.amazonaws.com/outputs/videos/video-1/transcript/${name}.vtt`] },
        },
      };
    },
  });
  const endpoint = await db.client.config.endpoint!();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port}`,
    AWS_ENDPOINT_URL_TRANSCRIBE: services.endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: services.endpoint,
    JOBS_TABLE: 'transcription-jobs',
    STATUS_EVENT_BUS: 'default',
    PIPELINE_SETTINGS: JSON.stringify({
      pipelineId,
      roleArn: 'arn:aws:iam::111111111111:role/mc',
      sourceBucket: 'sources',
      outputBucket: 'outputs',
      plan: { ladder: HlsLadder.standard()._toSpec(), segmentSeconds: 6, qualityTuning: 'SINGLE_PASS_HQ', download: false, speech: { languageCode: 'en-US' }, overrides: [] },
      acceleration: 'DISABLED',
      priority: 0,
    }),
  });
  // The entry point reads its settings when it loads, as Lambda loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  status = require(join(__dirname, '..', '..', 'assets', 'transcode', 'job-status.lambda', 'index.js')).handler;
});
beforeEach(() => {
  // The handler's structured logs, kept out of the test report.
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());
afterAll(async () => {
  await Promise.all([db?.close(), services?.close()]);
  for (const name of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_TRANSCRIBE', 'AWS_ENDPOINT_URL_EVENTBRIDGE', 'JOBS_TABLE', 'STATUS_EVENT_BUS', 'PIPELINE_SETTINGS']) {
    delete process.env[name];
  }
});

/** MediaConvert's COMPLETE event for a job of this pipeline whose outputs include the audio-only file. */
const completeEvent = {
  'source': 'aws.mediaconvert',
  'detail-type': 'MediaConvert Job State Change',
  'time': '2030-01-01T00:00:00Z',
  'detail': {
    status: 'COMPLETE',
    jobId: 'job-1',
    userMetadata: { 'cdk-secure-vod-pipeline': pipelineId, 'videoId': 'video-1', 'uploadId': 'upload-1', 'sourceKey': 'uploads/video-1/upload-1/source.mp4', 'attempt': '1' },
    outputGroupDetails: [
      { type: 'HLS_GROUP', playlistFilePaths: ['s3://outputs/videos/video-1/master.m3u8'], outputDetails: [{ outputFilePaths: ['s3://outputs/videos/video-1/master_640x360.m3u8'], durationInMs: 4000 }] },
      { type: 'FILE_GROUP', outputDetails: [{ outputFilePaths: ['s3://outputs/videos/video-1/speech.mp3'], durationInMs: 4000 }] },
    ],
  },
};

test('a completed encode with sound starts its transcription once; a duplicate event meets the same job', async () => {
  await status(completeEvent);
  await status(completeEvent);
  const starts = calls.filter((call) => call.operation === 'StartTranscriptionJob');
  expect(starts.map((call) => call.request.TranscriptionJobName)).toEqual([`${prefix}video-1.upload-1.1`, `${prefix}video-1.upload-1.1`]);
  expect(starts[0].request).toMatchObject({ Media: { MediaFileUri: 's3://outputs/videos/video-1/speech.mp3' }, LanguageCode: 'en-US', Subtitles: { Formats: ['vtt'] } });
  expect(started.size).toBe(1);
  const told = events.filter((event) => event.DetailType === CAPTIONS_TRANSCRIBED_DETAIL_TYPE).map((event) => JSON.parse(event.Detail).state);
  expect(told).toEqual(['STARTED', 'STARTED']);
});

test('Transcribe\'s event of a finished job is read back and told as COMPLETE; another pipeline\'s is ignored', async () => {
  events.length = 0;
  const name = `${prefix}video-1.upload-1.1`;
  expect(await status({ source: 'aws.transcribe', time: '2030-01-01T00:05:00Z', detail: { TranscriptionJobName: name, TranscriptionJobStatus: 'COMPLETED' } })).toBe('COMPLETE');
  expect(JSON.parse(events[0].Detail)).toMatchObject({ state: 'COMPLETE', language: 'en-US', captionsKey: `videos/video-1/transcript/${name}.vtt` });
  const other = `${transcriptionPrefix('Another')}video-1.upload-1.1`;
  expect(await status({ source: 'aws.transcribe', detail: { TranscriptionJobName: other, TranscriptionJobStatus: 'COMPLETED' } })).toBe('ignored');
  expect(events).toHaveLength(1);
});
