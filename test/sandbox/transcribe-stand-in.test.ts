import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalS3, LocalS3 } from '../../sandbox/s3/local-s3';
import { generateClip } from '../../sandbox/seed';
import { parseWords, TranscribeEvent, TranscribeStandIn, webVtt } from '../../sandbox/transcribe/transcribe-stand-in';
import { parseCaptions } from '../../src/entitlement/captions.lambda-shared';

/**
 * The sandbox's Transcribe: a real offline recognizer (PocketSphinx) behind
 * Transcribe's API, failing where Transcribe fails.
 */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local-secret' };
let s3Server: LocalS3;
let s3: S3Client;
let work: string;
const events: TranscribeEvent[] = [];

beforeAll(async () => {
  s3Server = await startLocalS3({ buckets: ['media'], credentials });
  s3 = new S3Client({ endpoint: s3Server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials });
  work = mkdtempSync(join(tmpdir(), 'transcribe-'));
  // A spoken clip's audio, as the pipeline's audio-only MP3 would be; and a tone, with no speech.
  const spoken = join(work, 'spoken.mp4');
  await generateClip(spoken, 5, '320x180', 'Hello and welcome. This is a test of automatic captions.');
  const tone = join(work, 'tone.mp4');
  await generateClip(tone, 3, '320x180');
  await s3.send(new PutObjectCommand({ Bucket: 'media', Key: 'videos/spoken/speech.mp3', Body: readFileSync(spoken) }));
  await s3.send(new PutObjectCommand({ Bucket: 'media', Key: 'videos/tone/speech.mp3', Body: readFileSync(tone) }));
});
afterAll(async () => {
  s3?.destroy();
  await s3Server?.close();
  rmSync(work, { recursive: true, force: true });
});

const request = (name: string, video: string, more: Record<string, unknown> = {}) => ({
  TranscriptionJobName: name,
  Media: { MediaFileUri: `s3://media/videos/${video}/speech.mp3` },
  MediaFormat: 'mp3',
  LanguageCode: 'en-US',
  OutputBucketName: 'media',
  OutputKey: `videos/${video}/transcript/`,
  Subtitles: { Formats: ['vtt'], OutputStartIndex: 1 },
  ...more,
});

async function text(key: string): Promise<string> {
  return ((await s3.send(new GetObjectCommand({ Bucket: 'media', Key: key }))).Body!.transformToString());
}

test('speech becomes WebVTT the platform accepts, announced as Transcribe announces it; a name in use is a ConflictException', async () => {
  const transcribe = new TranscribeStandIn({ s3, emit: (event) => events.push(event) });
  const started = await transcribe.handle('StartTranscriptionJob', request('job-spoken', 'spoken'));
  expect(started).toMatchObject({ TranscriptionJob: { TranscriptionJobName: 'job-spoken', TranscriptionJobStatus: 'QUEUED' } });
  await expect(transcribe.handle('StartTranscriptionJob', request('job-spoken', 'spoken'))).rejects.toMatchObject({ name: 'ConflictException' });
  await Promise.all([...transcribe.running]);
  const job = (await transcribe.handle('GetTranscriptionJob', { TranscriptionJobName: 'job-spoken' })).TranscriptionJob as any;
  expect(job).toMatchObject({
    TranscriptionJobStatus: 'COMPLETED',
    LanguageCode: 'en-US',
    Subtitles: { Formats: ['vtt'], SubtitleFileUris: ['https://s3.us-east-1.amazonaws.com/media/videos/spoken/transcript/job-spoken.vtt'] },
  });
  expect(events).toContainEqual(expect.objectContaining({
    'source': 'aws.transcribe', 'detail-type': 'Transcribe Job State Change', 'detail': { TranscriptionJobName: 'job-spoken', TranscriptionJobStatus: 'COMPLETED' },
  }));
  // What the recognizer heard, whatever it is: cues the platform's own checks accept, numbered from 1, within the clip.
  const parsed = parseCaptions(await text('videos/spoken/transcript/job-spoken.vtt'), 'vtt');
  expect(parsed.cues.length).toBeGreaterThan(0);
  expect(parsed.cues.every((cue) => cue.startMs >= 0 && cue.endMs <= 5000 && cue.text.trim().length > 0)).toBe(true);
  expect(JSON.parse(await text('videos/spoken/transcript/job-spoken.json')).results.transcripts[0].transcript.length).toBeGreaterThan(0);
  await expect(transcribe.handle('GetTranscriptionJob', { TranscriptionJobName: 'no-such-job' })).rejects.toMatchObject({ name: 'NotFoundException' });
});

test('silence makes a file without cues; a language the model does not know fails the job with a reason', async () => {
  const transcribe = new TranscribeStandIn({ s3, emit: (event) => events.push(event) });
  await transcribe.handle('StartTranscriptionJob', request('job-tone', 'tone'));
  await transcribe.handle('StartTranscriptionJob', request('job-french', 'spoken', { LanguageCode: 'fr-FR' }));
  await Promise.all([...transcribe.running]);
  expect(await text('videos/tone/transcript/job-tone.vtt')).toBe('WEBVTT\n');
  const french = (await transcribe.handle('GetTranscriptionJob', { TranscriptionJobName: 'job-french' })).TranscriptionJob as any;
  expect(french).toMatchObject({ TranscriptionJobStatus: 'FAILED', FailureReason: expect.stringContaining('en-US only') });
  expect(events).toContainEqual(expect.objectContaining({ detail: { TranscriptionJobName: 'job-french', TranscriptionJobStatus: 'FAILED', FailureReason: french.FailureReason } }));
});

test('past the concurrent job quota a job is refused, unless it may be queued', async () => {
  const transcribe = new TranscribeStandIn({ s3, emit: () => undefined, concurrentJobs: 1 });
  await transcribe.handle('StartTranscriptionJob', request('quota-1', 'tone'));
  await expect(transcribe.handle('StartTranscriptionJob', request('quota-2', 'tone'))).rejects.toMatchObject({ name: 'LimitExceededException' });
  const queued = { JobExecutionSettings: { AllowDeferredExecution: true, DataAccessRoleArn: 'arn:aws:iam::000000000000:role/transcribe' } };
  await transcribe.handle('StartTranscriptionJob', request('quota-3', 'tone', queued));
  expect(((await transcribe.handle('GetTranscriptionJob', { TranscriptionJobName: 'quota-3' })).TranscriptionJob as any).TranscriptionJobStatus).toBe('QUEUED');
  await Promise.all([...transcribe.running]);
  await Promise.all([...transcribe.running]);
  expect(((await transcribe.handle('GetTranscriptionJob', { TranscriptionJobName: 'quota-3' })).TranscriptionJob as any).TranscriptionJobStatus).toBe('COMPLETED');
  await expect(transcribe.handle('StartTranscriptionJob', request('bad name!', 'tone'))).rejects.toMatchObject({ name: 'BadRequestException' });
  await expect(transcribe.handle('StartTranscriptionJob', request('both', 'tone', { IdentifyLanguage: true }))).rejects.toMatchObject({ name: 'BadRequestException' });
  await expect(transcribe.handle('StartTranscriptionJob', request('no-role', 'tone', { JobExecutionSettings: { AllowDeferredExecution: true } })))
    .rejects.toMatchObject({ name: 'BadRequestException' });
});

test('PocketSphinx\'s timed words become cues: a pause, seven words or three and a half seconds end one', () => {
  const words = parseWords([
    '<s> 0.000 0.300 1.0', 'hello 0.310 0.700 0.9', 'and(2) 0.710 0.800 0.5', '<sil> 0.810 1.600 1.0', 'welcome 1.610 2.000 0.8',
    '[NOISE] 2.010 2.100 0.2', '</s> 2.110 2.500 1.0', 'not a word line',
  ].join('\n'));
  expect(words.map((word) => word.text)).toEqual(['hello', 'and', 'welcome']);
  expect(webVtt(words, 1)).toBe('WEBVTT\n\n1\n00:00:00.310 --> 00:00:00.800\nhello and\n\n2\n00:00:01.610 --> 00:00:02.000\nwelcome\n');
  const many = Array.from({ length: 9 }, (_, i) => ({ text: `w${i}`, start: i * 0.3, end: i * 0.3 + 0.25, confidence: 1 }));
  expect(webVtt(many, 0).split('\n\n').slice(1).map((cue) => cue.split('\n')[0])).toEqual(['0', '1']);
  expect(webVtt([], 1)).toBe('WEBVTT\n');
});
