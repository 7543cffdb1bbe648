import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handleJobEvent, JobStateChangeEvent, StatusDependencies, statusFromJobEvent } from './job-status.lambda-shared';
import { TRANSCODE_METRICS } from './transcode-metrics';
import { transcodeRuntime } from './transcode-runtime.lambda-shared';
import type { TranscribeJobStateChangeDetail, TranscriptionDependencies } from './transcription.lambda-shared';
import { TrackStorage, writeThumbnailsTrack } from './trick-play.lambda-shared';
import { onceUntilFailure } from '../internal/once.lambda-shared';

const runtime = transcodeRuntime(process.env);
const deps: StatusDependencies = {
  ...runtime.store,
  pipelineId: runtime.settings.pipelineId,
  outputBucket: runtime.settings.outputBucket,
};
const s3 = new S3Client({});
const storage: TrackStorage = {
  async read(key) {
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: deps.outputBucket, Key: key }));
      return await object.Body!.transformToString();
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') {
        return undefined;
      }
      throw error;
    }
  },
  async write(key, body, contentType) {
    await s3.send(new PutObjectCommand({ Bucket: deps.outputBucket, Key: key, Body: body, ContentType: contentType }));
  },
};

/** Automatic captions are opt-in: Amazon Transcribe's client loads with the first transcription. */
const transcription = onceUntilFailure(async () => {
  const [{ TranscribeClient }, module] = await Promise.all([import('@aws-sdk/client-transcribe'), import('./transcription.lambda-shared.js')]);
  const dependencies: TranscriptionDependencies = {
    transcribe: new TranscribeClient({}),
    events: runtime.store.events,
    eventBusName: runtime.store.eventBusName,
    pipelineId: deps.pipelineId,
    outputBucket: deps.outputBucket,
    plan: runtime.settings.plan.speech!,
  };
  return { module, dependencies };
});

type StatusEvent = JobStateChangeEvent | { readonly source: 'aws.transcribe'; readonly time?: string; readonly detail?: TranscribeJobStateChangeDetail };

/** Invoked by the EventBridge rules for this pipeline's MediaConvert job state changes, and its transcription jobs' when it makes automatic captions. */
export async function handler(event: StatusEvent): Promise<string> {
  if ('source' in event && event.source === 'aws.transcribe') {
    const { module, dependencies } = await transcription();
    const told = await module.finishTranscription(dependencies, event);
    runtime.logger.info('transcription event handled', { job: event.detail?.TranscriptionJobName, state: told?.state, reason: told?.reason });
    return told?.state ?? 'ignored';
  }
  return handleTranscodeEvent(event as JobStateChangeEvent);
}

async function handleTranscodeEvent(event: JobStateChangeEvent): Promise<string> {
  const result = await handleJobEvent(deps, event);
  const status = event.detail?.status;
  if (result === 'applied' && status === 'COMPLETE') {
    runtime.metrics.addMetric(TRANSCODE_METRICS.completed, MetricUnit.Count, 1);
    await writeThumbnails(event);
  } else if (result === 'applied' && (status === 'ERROR' || status === 'CANCELED')) {
    runtime.metrics.addMetric(TRANSCODE_METRICS.failed, MetricUnit.Count, 1);
  }
  runtime.logger.info('job event handled', { jobId: event.detail?.jobId, status, result });
  if (runtime.metrics.hasStoredMetrics()) {
    runtime.metrics.publishStoredMetrics();
  }
  // Last, so that nothing above waits on it: a transcription that cannot start now (throttled) throws for
  // the event to be tried again, and the retry (a duplicate by then) starts it; one already started is the same job.
  if (status === 'COMPLETE' && result !== 'ignored') {
    await transcribeSpeech(event);
  }
  return result;
}

/** Starts the automatic captions of a completed video with sound, when the pipeline makes them. */
async function transcribeSpeech(event: JobStateChangeEvent): Promise<void> {
  if (!runtime.settings.plan.speech) {
    return;
  }
  const status = statusFromJobEvent(event, deps.pipelineId, deps.outputBucket);
  if (status?.state === 'COMPLETE' && status.outputs?.speechKey) {
    const { module, dependencies } = await transcription();
    const told = await module.startTranscription(dependencies, status);
    runtime.logger.info('transcription', { videoId: status.videoId, job: told?.transcriptionJobName, state: told?.state, reason: told?.reason });
  }
}

/** The WebVTT thumbnails track of a completed video; a failure leaves the video playable, without scrub thumbnails. */
async function writeThumbnails(event: JobStateChangeEvent): Promise<void> {
  const status = statusFromJobEvent(event, deps.pipelineId, deps.outputBucket);
  if (status?.state !== 'COMPLETE' || !status.outputs || !runtime.settings.plan.trickPlay) {
    return;
  }
  try {
    const key = await writeThumbnailsTrack(storage, status.videoId, status.outputs.masterPlaylistKey);
    runtime.logger.info('thumbnails track', { videoId: status.videoId, key });
  } catch (error) {
    runtime.logger.warn('no thumbnails track', { videoId: status.videoId, error: (error as Error).message });
  }
}
