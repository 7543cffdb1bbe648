import { createHash } from 'node:crypto';
import { isValidId } from '../contracts/source-keys';
import type { TranscodeStatusDetail } from '../contracts/transcode-status';

/*
 * Transcription job names are unique in an account and Region (a second
 * StartTranscriptionJob with a name in use is refused with ConflictException,
 * Amazon Transcribe API Reference), so a name made of the pipeline, the video,
 * the upload and the attempt makes a repeated or retried start one job.
 */

/** The prefix of this pipeline's transcription job names; EventBridge picks its jobs' events by it. */
export function transcriptionPrefix(pipelineId: string): string {
  return `vod-${createHash('sha256').update(pipelineId).digest('hex').slice(0, 12)}-`;
}

/**
 * `<prefix><videoId>.<uploadId>.<attempt>`: Transcribe allows letters, digits,
 * `.`, `_` and `-` in at most 200 characters; ids have no dots, so the name
 * reads back unambiguously.
 */
export function transcriptionJobName(prefix: string, status: Pick<TranscodeStatusDetail, 'videoId' | 'uploadId' | 'attempt'>): string {
  return `${prefix}${status.videoId}.${status.uploadId}.${status.attempt}`;
}

/** The video and upload a job name of this pipeline stands for, or undefined for any other name. */
export function parseTranscriptionJobName(prefix: string, name: unknown): { videoId: string; uploadId: string } | undefined {
  if (typeof name !== 'string' || !name.startsWith(prefix)) {
    return undefined;
  }
  const [videoId, uploadId, attempt, ...rest] = name.slice(prefix.length).split('.');
  return rest.length === 0 && isValidId(videoId) && isValidId(uploadId) && /^[1-9][0-9]{0,5}$/.test(attempt ?? '') ? { videoId, uploadId } : undefined;
}

