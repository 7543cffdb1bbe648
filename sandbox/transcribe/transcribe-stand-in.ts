import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { run } from '../mediaconvert/mediaconvert';

/**
 * Amazon Transcribe's batch API for the sandbox, answering StartTranscriptionJob
 * and GetTranscriptionJob as the API Reference documents them, with a real
 * offline recognizer: CMU PocketSphinx and its US English model, both Debian
 * packages (`pocketsphinx`, `pocketsphinx-en-us`). It is far less accurate than
 * Transcribe; what it writes is what it heard, never a made-up transcript.
 *
 * It fails the way Transcribe fails: a job name in use is a ConflictException;
 * a malformed request a BadRequestException; past the concurrent job quota a
 * LimitExceededException, unless the job may be queued (AllowDeferredExecution
 * with a DataAccessRoleArn), when it waits QUEUED. A finished job is announced
 * as Transcribe announces it on EventBridge ("Transcribe Job State Change",
 * with FailureReason when FAILED).
 */

export interface TranscribeStandInOptions {
  readonly s3: S3Client;
  /** EventBridge's delivery of Transcribe's events. */
  readonly emit: (event: TranscribeEvent) => void;
  /** Jobs transcribed at once; Transcribe's default quota is 100. */
  readonly concurrentJobs?: number;
  readonly onError?: (jobName: string, error: Error) => void;
}

export interface TranscribeEvent {
  readonly 'source': 'aws.transcribe';
  readonly 'detail-type': 'Transcribe Job State Change';
  readonly 'time': string;
  readonly 'detail': { TranscriptionJobName: string; TranscriptionJobStatus: string; FailureReason?: string };
}

/** A Transcribe error as the services stand-in answers it. */
class TranscribeError {
  constructor(readonly name: string, readonly message: string, readonly status = 400) {}
}

/** Whether the recognizer is installed: without it the sandbox makes no automatic captions. */
export function recognizerInstalled(): boolean {
  return spawnSync('pocketsphinx_continuous', ['-h'], { stdio: 'ignore' }).error === undefined;
}

const JOB_NAME = /^[0-9a-zA-Z._-]{1,200}$/;
/** The model the recognizer has: US English. */
const LANGUAGE = 'en-US';

export class TranscribeStandIn {
  readonly jobs = new Map<string, Record<string, any>>();
  readonly running = new Set<Promise<void>>();
  private readonly queue: Array<() => void> = [];
  private active = 0;

  constructor(private readonly options: TranscribeStandInOptions) {}

  async handle(operation: string, request: Record<string, any>): Promise<Record<string, unknown>> {
    switch (operation) {
      case 'StartTranscriptionJob':
        return this.start(request);
      case 'GetTranscriptionJob': {
        const job = this.jobs.get(String(request.TranscriptionJobName));
        if (!job) {
          throw new TranscribeError('NotFoundException', 'The requested job couldn\'t be found. Check the job name and try your request again.');
        }
        return { TranscriptionJob: { ...job } };
      }
      default:
        throw new TranscribeError('BadRequestException', `the sandbox's Transcribe answers StartTranscriptionJob and GetTranscriptionJob, not ${operation}`);
    }
  }

  private start(request: Record<string, any>): Record<string, unknown> {
    const name = request.TranscriptionJobName;
    const refuse = (message: string) => new TranscribeError('BadRequestException', message);
    if (typeof name !== 'string' || !JOB_NAME.test(name)) {
      throw refuse('1 validation error detected: Value at \'transcriptionJobName\' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z._-]+');
    }
    if (this.jobs.has(name)) {
      throw new TranscribeError('ConflictException', 'The requested job name already exists. Use a different job name.');
    }
    const media = /^s3:\/\/([^/]+)\/(.+)$/.exec(String(request.Media?.MediaFileUri ?? ''));
    if (!media) {
      throw refuse('The S3 URI of the media file is not valid.');
    }
    if (Boolean(request.LanguageCode) === Boolean(request.IdentifyLanguage)) {
      throw refuse('Set either LanguageCode or IdentifyLanguage.');
    }
    const deferred = request.JobExecutionSettings?.AllowDeferredExecution === true;
    if (deferred && !request.JobExecutionSettings?.DataAccessRoleArn) {
      throw refuse('AllowDeferredExecution requires a DataAccessRoleArn.');
    }
    const limit = this.options.concurrentJobs ?? 100;
    if (this.active >= limit && !deferred) {
      throw new TranscribeError('LimitExceededException', 'You have exceeded the maximum number of concurrent transcription jobs.');
    }
    const job: Record<string, any> = {
      TranscriptionJobName: name,
      TranscriptionJobStatus: 'QUEUED',
      ...(request.LanguageCode ? { LanguageCode: request.LanguageCode } : {}),
      MediaFormat: request.MediaFormat,
      Media: { MediaFileUri: request.Media.MediaFileUri },
      CreationTime: epochSeconds(),
      ...(request.Subtitles ? { Subtitles: { Formats: request.Subtitles.Formats, OutputStartIndex: request.Subtitles.OutputStartIndex ?? 0 } } : {}),
    };
    this.jobs.set(name, job);
    const task = this.slot(limit).then(() => this.transcribe(job, request, media[1], media[2])).finally(() => {
      this.active -= 1;
      this.queue.shift()?.();
      this.running.delete(task);
    });
    this.running.add(task);
    return { TranscriptionJob: { ...job } };
  }

  /** A place among the jobs transcribed at once; a queued job waits for one. */
  private slot(limit: number): Promise<void> {
    if (this.active < limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(() => {
      this.active += 1;
      resolve();
    }));
  }

  private async transcribe(job: Record<string, any>, request: Record<string, any>, bucket: string, key: string): Promise<void> {
    const name: string = job.TranscriptionJobName;
    job.TranscriptionJobStatus = 'IN_PROGRESS';
    job.StartTime = epochSeconds();
    const work = mkdtempSync(join(tmpdir(), 'transcribe-'));
    try {
      const language = request.LanguageCode ?? LANGUAGE;
      if (language !== LANGUAGE) {
        throw new Error(`The sandbox's offline recognizer has a model for ${LANGUAGE} only, not ${language}.`);
      }
      const media = join(work, 'media');
      const object = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(object.Body as Readable, createWriteStream(media));
      // PocketSphinx's model is for 16 kHz mono speech.
      const wav = join(work, 'speech.wav');
      await run('ffmpeg', ['-y', '-v', 'error', '-i', media, '-ac', '1', '-ar', '16000', '-f', 'wav', wav]);
      const words = parseWords(await run('pocketsphinx_continuous', ['-infile', wav, '-time', 'yes', '-logfn', '/dev/null']));
      const start = Number(request.Subtitles?.OutputStartIndex ?? 0);
      const folder = outputFolder(request.OutputKey);
      const outputBucket = request.OutputBucketName ?? bucket;
      const transcriptKey = `${folder}${name}.json`;
      const transcript = {
        jobName: name,
        status: 'COMPLETED',
        results: {
          transcripts: [{ transcript: words.map((word) => word.text).join(' ') }],
          items: words.map((word) => ({
            type: 'pronunciation',
            start_time: word.start.toFixed(3),
            end_time: word.end.toFixed(3),
            alternatives: [{ content: word.text, confidence: word.confidence.toFixed(4) }],
          })),
        },
      };
      await this.put(outputBucket, transcriptKey, JSON.stringify(transcript), 'application/json');
      const uris: string[] = [];
      if ((request.Subtitles?.Formats ?? []).includes('vtt')) {
        const vttKey = `${folder}${name}.vtt`;
        await this.put(outputBucket, vttKey, webVtt(words, start), 'text/vtt');
        uris.push(`https://s3.us-east-1.amazonaws.com/${outputBucket}/${vttKey}`);
      }
      Object.assign(job, {
        TranscriptionJobStatus: 'COMPLETED',
        LanguageCode: language,
        CompletionTime: epochSeconds(),
        Transcript: { TranscriptFileUri: `https://s3.us-east-1.amazonaws.com/${outputBucket}/${transcriptKey}` },
        ...(job.Subtitles ? { Subtitles: { ...job.Subtitles, SubtitleFileUris: uris } } : {}),
      });
      this.announce(job);
    } catch (error) {
      this.options.onError?.(name, error as Error);
      Object.assign(job, { TranscriptionJobStatus: 'FAILED', FailureReason: String((error as Error).message).slice(0, 300), CompletionTime: epochSeconds() });
      this.announce(job);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  private announce(job: Record<string, any>): void {
    this.options.emit({
      'source': 'aws.transcribe',
      'detail-type': 'Transcribe Job State Change',
      'time': new Date().toISOString(),
      'detail': {
        TranscriptionJobName: job.TranscriptionJobName,
        TranscriptionJobStatus: job.TranscriptionJobStatus,
        ...(job.FailureReason ? { FailureReason: job.FailureReason } : {}),
      },
    });
  }

  private async put(bucket: string, key: string, body: string, contentType: string): Promise<void> {
    await this.options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  }
}

/** A time on the JSON 1.1 wire: seconds since the epoch, a number. */
function epochSeconds(): number {
  return Date.now() / 1000;
}

/** An output key without an extension is a folder (with a `/` added); none is the bucket's top. */
function outputFolder(outputKey: unknown): string {
  if (typeof outputKey !== 'string' || outputKey === '') {
    return '';
  }
  return outputKey.endsWith('/') ? outputKey : `${outputKey}/`;
}

interface Word { readonly text: string; readonly start: number; readonly end: number; readonly confidence: number }

/**
 * The words of PocketSphinx's `-time yes` output: one `<word> <start> <end> <confidence>`
 * line each, without sentence marks, silences and fillers; alternative
 * pronunciations (`word(2)`) as the word.
 */
export function parseWords(output: string): Word[] {
  const words: Word[] = [];
  for (const line of output.split('\n')) {
    const match = /^(\S+) (\d+\.\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(line.trim());
    if (!match || /^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(match[1])) {
      continue;
    }
    words.push({ text: match[1].replace(/\(\d+\)$/, ''), start: Number(match[2]), end: Number(match[3]), confidence: Number(match[4]) });
  }
  return words;
}

/**
 * WebVTT cues from timed words, numbered from `startIndex` as Transcribe's
 * OutputStartIndex: a cue ends at a pause of half a second, after seven
 * words, or past three and a half seconds. No words, no cues.
 */
export function webVtt(words: readonly Word[], startIndex: number): string {
  const cues: Word[][] = [];
  for (const word of words) {
    const cue = cues[cues.length - 1];
    if (cue && word.start - cue[cue.length - 1].end < 0.5 && cue.length < 7 && word.end - cue[0].start <= 3.5) {
      cue.push(word);
    } else {
      cues.push([word]);
    }
  }
  const stamp = (seconds: number) => {
    const ms = Math.round(seconds * 1000);
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}.${pad(ms % 1000, 3)}`;
  };
  return ['WEBVTT', '', ...cues.flatMap((cue, i) => [
    String(startIndex + i), `${stamp(cue[0].start)} --> ${stamp(cue[cue.length - 1].end)}`, cue.map((word) => word.text).join(' '), '',
  ])].join('\n');
}
