import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BadRequestException, ConflictException, GetTranscriptionJobCommand, LimitExceededException, StartTranscriptionJobCommand, TranscribeClient,
} from '@aws-sdk/client-transcribe';
import { mockClient } from 'aws-sdk-client-mock';
import { loadServiceModel, validateAgainstServiceModel } from '../../sandbox/mediaconvert/job-rules';
import { CAPTIONS_TRANSCRIBED_DETAIL_TYPE, TranscodeStatusDetail } from '../../src/contracts/transcode-status';
import { parseTranscriptionJobName, transcriptionJobName, transcriptionPrefix } from '../../src/transcode/transcription-names';
import {
  finishTranscription, startTranscription, subtitleKey, TranscriptionDependencies, transcriptionRequest,
} from '../../src/transcode/transcription.lambda-shared';

/**
 * Automatic captions against Amazon Transcribe's API contract: the requests
 * checked against Transcribe's published service model (the aws-sdk v2
 * package's `apis/transcribe-2017-10-26.min.json`), its answers and errors
 * played by aws-sdk-client-mock as the API Reference documents them.
 */

const transcribeModel = loadServiceModel(require.resolve('aws-sdk/apis/transcribe-2017-10-26.min.json'), 'StartTranscriptionJob');
const transcribe = new TranscribeClient({ region: 'us-east-1' });
const events = new EventBridgeClient({ region: 'us-east-1' });
const transcribeMock = mockClient(transcribe);
const eventsMock = mockClient(events);
const PIPELINE = 'StackVodTranscodeA1B2C3D4';
const PREFIX = transcriptionPrefix(PIPELINE);
const NOW = new Date('2030-01-01T00:00:00.000Z');

const complete: TranscodeStatusDetail = {
  version: 1,
  pipelineId: PIPELINE,
  videoId: 'video-1',
  uploadId: 'upload-1',
  sourceKey: 'uploads/video-1/upload-1/source.mp4',
  attempt: 1,
  jobId: '1700000000000-abc123',
  state: 'COMPLETE',
  progressPercent: 100,
  at: NOW.toISOString(),
  outputs: { masterPlaylistKey: 'videos/video-1/master.m3u8', renditions: [], durationSeconds: 42, posterKeys: [], speechKey: 'videos/video-1/speech.mp3' },
};
const JOB = `${PREFIX}video-1.upload-1.1`;

function deps(plan: TranscriptionDependencies['plan'] = { languageCode: 'en-US' }): TranscriptionDependencies {
  return { transcribe, events, eventBusName: 'bus', pipelineId: PIPELINE, outputBucket: 'output-bucket', plan, now: () => NOW };
}

/** The details of the events published, in order. */
function published(): unknown[] {
  return eventsMock.commandCalls(PutEventsCommand).map((call) => {
    const entry = call.args[0].input.Entries![0];
    expect(entry).toMatchObject({ Source: 'cdk-secure-vod.transcode', DetailType: CAPTIONS_TRANSCRIBED_DETAIL_TYPE, EventBusName: 'bus' });
    return JSON.parse(entry.Detail!);
  });
}

beforeEach(() => {
  transcribeMock.reset();
  eventsMock.reset();
  eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('job names', () => {
  test('are Transcribe\'s (letters, digits, . _ -, at most 200), this pipeline\'s, and read back', () => {
    expect(PREFIX).toMatch(/^vod-[0-9a-f]{12}-$/);
    expect(transcriptionPrefix('AnotherPipeline')).not.toBe(PREFIX);
    const longest = transcriptionJobName(PREFIX, { videoId: 'v'.repeat(64), uploadId: 'u'.repeat(64), attempt: 999_999 });
    expect(longest).toMatch(/^[0-9a-zA-Z._-]{1,200}$/);
    expect(parseTranscriptionJobName(PREFIX, JOB)).toEqual({ videoId: 'video-1', uploadId: 'upload-1' });
    for (const other of [`${transcriptionPrefix('AnotherPipeline')}video-1.upload-1.1`, `${PREFIX}video-1.upload-1`, `${PREFIX}video-1.upload-1.1.x`, `${PREFIX}.upload-1.1`, 42]) {
      expect(parseTranscriptionJobName(PREFIX, other)).toBeUndefined();
    }
  });
});

describe('the request', () => {
  test.each<[string, TranscriptionDependencies['plan']]>([
    ['a language', { languageCode: 'en-US' }],
    ['language identification', {}],
    ['identification among languages', { languageOptions: ['en-US', 'fr-FR', 'es-ES'] }],
    ['queueing', { languageCode: 'en-US', dataAccessRoleArn: 'arn:aws:iam::111111111111:role/transcribe' }],
  ])('with %s is valid against Transcribe\'s service model', (_name, plan) => {
    const request = transcriptionRequest(plan, 'output-bucket', PREFIX, { ...complete, outputs: { ...complete.outputs!, speechKey: 'videos/video-1/speech.mp3' } });
    expect(validateAgainstServiceModel(request, transcribeModel, 'StartTranscriptionJob')).toEqual([]);
    expect(request).toMatchObject({
      TranscriptionJobName: JOB,
      Media: { MediaFileUri: 's3://output-bucket/videos/video-1/speech.mp3' },
      MediaFormat: 'mp3',
      OutputBucketName: 'output-bucket',
      OutputKey: 'videos/video-1/transcript/',
      Subtitles: { Formats: ['vtt'], OutputStartIndex: 1 },
    });
    const queueing = plan.dataAccessRoleArn ? { AllowDeferredExecution: true, DataAccessRoleArn: plan.dataAccessRoleArn } : undefined;
    expect(request.JobExecutionSettings).toEqual(queueing);
    if (plan.languageCode) {
      expect(request).toMatchObject({ LanguageCode: 'en-US' });
      expect(request.IdentifyLanguage).toBeUndefined();
    } else {
      expect(request).toMatchObject({ IdentifyLanguage: true });
      expect(request.LanguageCode).toBeUndefined();
      expect(request.LanguageOptions).toEqual(plan.languageOptions);
    }
  });

  test('the model catches a misnamed member, a wrong type and a missing member', () => {
    expect(validateAgainstServiceModel({ TranscriptionJobName: JOB, Subtitle: { Formats: ['vtt'] }, Media: { MediaFileUri: 3 } }, transcribeModel, 'StartTranscriptionJob'))
      .toEqual(['Subtitle: unknown member Subtitle (not in the model)', 'Media.MediaFileUri: expected a string, got number 3']);
    expect(validateAgainstServiceModel({ TranscriptionJobName: JOB }, transcribeModel, 'StartTranscriptionJob')).toEqual(['Media: required member is missing']);
  });
});

describe('starting', () => {
  test('a completed encode with sound starts one job and tells STARTED', async () => {
    transcribeMock.on(StartTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobName: JOB, TranscriptionJobStatus: 'IN_PROGRESS' } });
    expect(await startTranscription(deps(), complete)).toMatchObject({ state: 'STARTED', transcriptionJobName: JOB });
    expect(transcribeMock.commandCalls(StartTranscriptionJobCommand)).toHaveLength(1);
    expect(published()).toEqual([{
      version: 1, pipelineId: PIPELINE, videoId: 'video-1', uploadId: 'upload-1', state: 'STARTED', transcriptionJobName: JOB, at: NOW.toISOString(),
    }]);
  });

  test('a start repeated for a duplicate event meets the job already there (ConflictException) and tells STARTED again', async () => {
    transcribeMock.on(StartTranscriptionJobCommand).rejects(new ConflictException({ message: 'The requested job name already exists.', $metadata: {} }));
    expect(await startTranscription(deps(), complete)).toMatchObject({ state: 'STARTED' });
    expect(published()).toMatchObject([{ state: 'STARTED' }]);
  });

  test('a refused request is FAILED with Transcribe\'s reason; the video is not held back', async () => {
    transcribeMock.on(StartTranscriptionJobCommand).rejects(new BadRequestException({ message: 'The language code xx-XX is not supported.', $metadata: {} }));
    expect(await startTranscription(deps(), complete)).toMatchObject({ state: 'FAILED', reason: 'Amazon Transcribe refused the job: The language code xx-XX is not supported.' });
    expect(published()).toMatchObject([{ state: 'FAILED' }]);
  });

  test('a start the caller may not make (a permission taken away) is FAILED for the owner to see, not retried', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: transcribe:StartTranscriptionJob'), { name: 'AccessDeniedException' });
    transcribeMock.on(StartTranscriptionJobCommand).rejects(denied);
    expect(await startTranscription(deps(), complete)).toMatchObject({ state: 'FAILED', reason: expect.stringContaining('not authorized') });
  });

  test('throttling is thrown for the invocation to be tried again, and nothing is told', async () => {
    transcribeMock.on(StartTranscriptionJobCommand).rejects(new LimitExceededException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(startTranscription(deps(), complete)).rejects.toThrow('Rate exceeded');
    expect(published()).toEqual([]);
  });

  test('an encode without an audio-only file (no sound), or not complete, starts nothing', async () => {
    expect(await startTranscription(deps(), { ...complete, outputs: { ...complete.outputs!, speechKey: undefined } })).toBeUndefined();
    expect(await startTranscription(deps(), { ...complete, state: 'PROGRESSING', outputs: undefined })).toBeUndefined();
    expect(transcribeMock.commandCalls(StartTranscriptionJobCommand)).toHaveLength(0);
    expect(published()).toEqual([]);
  });

  test('an event EventBridge refuses is an error, for the retry', async () => {
    transcribeMock.on(StartTranscriptionJobCommand).resolves({});
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(startTranscription(deps(), complete)).rejects.toThrow('EventBridge refused the captions event: InternalFailure try again');
  });
});

describe('finishing', () => {
  const event = (status: string, name: string = JOB, more: Record<string, string> = {}) => ({
    time: '2030-01-01T00:05:00Z', detail: { TranscriptionJobName: name, TranscriptionJobStatus: status, ...more },
  });

  test.each([
    ['path-style', `https://s3.us-east-1.amazonaws.com/output-bucket/videos/video-1/transcript/${JOB}.vtt`],
    ['virtual-hosted', `https://output-bucket.s3.us-east-1.amazonaws.com/videos/video-1/transcript/${JOB}.vtt`],
  ])('COMPLETED: the language identified and the WebVTT file read back with GetTranscriptionJob (%s URI)', async (_style, uri) => {
    transcribeMock.on(GetTranscriptionJobCommand, { TranscriptionJobName: JOB }).resolves({
      TranscriptionJob: {
        TranscriptionJobName: JOB,
        TranscriptionJobStatus: 'COMPLETED',
        LanguageCode: 'fr-FR',
        Subtitles: { Formats: ['vtt'], SubtitleFileUris: [uri], OutputStartIndex: 1 },
      },
    });
    expect(await finishTranscription(deps({}), event('COMPLETED'))).toMatchObject({
      state: 'COMPLETE', language: 'fr-FR', captionsKey: `videos/video-1/transcript/${JOB}.vtt`, videoId: 'video-1', uploadId: 'upload-1', at: '2030-01-01T00:05:00Z',
    });
    expect(published()).toMatchObject([{ state: 'COMPLETE', language: 'fr-FR' }]);
  });

  test('FAILED: Transcribe\'s FailureReason', async () => {
    transcribeMock.on(GetTranscriptionJobCommand).resolves({
      TranscriptionJob: { TranscriptionJobName: JOB, TranscriptionJobStatus: 'FAILED', FailureReason: 'The media file is too short.' },
    });
    expect(await finishTranscription(deps(), event('FAILED', JOB, { FailureReason: 'The media file is too short.' })))
      .toMatchObject({ state: 'FAILED', reason: 'The media file is too short.' });
  });

  test('COMPLETED without a WebVTT file in the transcript folder is FAILED', async () => {
    transcribeMock.on(GetTranscriptionJobCommand).resolves({
      TranscriptionJob: { TranscriptionJobName: JOB, TranscriptionJobStatus: 'COMPLETED', LanguageCode: 'en-US', Subtitles: { SubtitleFileUris: ['https://s3.amazonaws.com/elsewhere/x.vtt'] } },
    });
    expect(await finishTranscription(deps(), event('COMPLETED'))).toMatchObject({ state: 'FAILED', reason: expect.stringContaining('without WebVTT subtitles') });
  });

  test('another pipeline\'s job, a state that is not final, or an event ahead of its job tells nothing', async () => {
    expect(await finishTranscription(deps(), event('COMPLETED', `${transcriptionPrefix('Other')}video-1.upload-1.1`))).toBeUndefined();
    expect(await finishTranscription(deps(), event('IN_PROGRESS'))).toBeUndefined();
    expect(transcribeMock.commandCalls(GetTranscriptionJobCommand)).toHaveLength(0);
    transcribeMock.on(GetTranscriptionJobCommand).resolves({ TranscriptionJob: { TranscriptionJobName: JOB, TranscriptionJobStatus: 'IN_PROGRESS' } });
    expect(await finishTranscription(deps(), event('COMPLETED'))).toBeUndefined();
    expect(published()).toEqual([]);
  });

  test('subtitle file keys are read from the URI, in the video\'s transcript folder only', () => {
    expect(subtitleKey('video-1', 'https://s3.amazonaws.com/b/videos/video-1/transcript/a%20b.vtt')).toBeUndefined();
    expect(subtitleKey('video-1', 'https://s3.amazonaws.com/b/videos/video-2/transcript/job.vtt')).toBeUndefined();
    expect(subtitleKey('video-1', 'https://s3.amazonaws.com/b/videos/video-1/transcript/job.srt')).toBeUndefined();
    expect(subtitleKey('video-1', 'not a url')).toBeUndefined();
    expect(subtitleKey('video-1', 'https://s3.amazonaws.com/b/videos/video-1/transcript/job.vtt')).toBe('videos/video-1/transcript/job.vtt');
  });
});
