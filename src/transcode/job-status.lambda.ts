import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { handleJobEvent, JobStateChangeEvent, StatusDependencies, statusFromJobEvent } from './job-status.lambda-shared';
import { TRANSCODE_METRICS } from './transcode-metrics';
import { transcodeRuntime } from './transcode-runtime.lambda-shared';
import { TrackStorage, writeThumbnailsTrack } from './trick-play.lambda-shared';

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

/** Invoked by the EventBridge rule for this pipeline's MediaConvert job state changes. */
export async function handler(event: JobStateChangeEvent): Promise<string> {
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
  return result;
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
