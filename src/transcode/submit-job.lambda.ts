import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { ObjectCreatedDetail, retryUpload, submitUpload, SubmitDependencies, SubmitOutcome } from './submit-job.lambda-shared';
import { DEFAULT_SOURCE_RETENTION_SECONDS, TRANSCODE_METRICS } from './transcode-metrics';
import { transcodeRuntime } from './transcode-runtime.lambda-shared';
import type { DeletionDependencies, DeletionOutcome } from './video-deletion.lambda-shared';
import { onceUntilFailure } from '../internal/once.lambda-shared';

const runtime = transcodeRuntime(process.env);
// Throttling and transient faults are retried by the client, with backoff that adapts to throttling.
const mediaconvert = new MediaConvertClient({ maxAttempts: 8, retryMode: 'adaptive' });
const deps: SubmitDependencies = { ...runtime.store, mediaconvert, settings: runtime.settings };

/**
 * Deletions are rare beside submissions: their module and the S3 client load
 * on the first one, so a container that only submits never pays for them at
 * its cold start.
 */
const deletion = onceUntilFailure(async () => {
  const [{ S3Client }, module] = await Promise.all([import('@aws-sdk/client-s3'), import('./video-deletion.lambda-shared.js')]);
  const deletionDeps: DeletionDependencies = {
    ...runtime.store,
    s3: new S3Client({}),
    sourceBucket: runtime.settings.sourceBucket,
    outputBucket: runtime.settings.outputBucket,
    sourceRetentionSeconds: runtime.settings.sourceRetentionSeconds ?? DEFAULT_SOURCE_RETENTION_SECONDS,
    pipelineId: runtime.settings.pipelineId,
    keysTable: runtime.settings.encryption?.keysTable,
  };
  return { deletionDeps, deleteVideo: module.deleteVideo, restoreVideo: module.restoreVideo };
});

type SubmitEvent =
  | { readonly 'detail-type': 'Object Created'; readonly 'detail': ObjectCreatedDetail }
  | { readonly action: 'retry'; readonly videoId: unknown; readonly uploadId: unknown }
  | { readonly action: 'delete-video'; readonly videoId: unknown }
  | { readonly action: 'restore-video'; readonly videoId: unknown; readonly uploadId: unknown };

/**
 * Invoked by the EventBridge rule for new source objects, or directly with
 * `{ action: 'retry', videoId, uploadId }` to transcode a failed upload again,
 * `{ action: 'delete-video', videoId }` to remove a deleted video's files, or
 * `{ action: 'restore-video', videoId, uploadId }` to undo that while its source is kept.
 */
export async function handler(event: SubmitEvent): Promise<SubmitOutcome | DeletionOutcome> {
  if ('action' in event && (event.action === 'delete-video' || event.action === 'restore-video')) {
    const { deletionDeps, deleteVideo, restoreVideo } = await deletion();
    const outcome = event.action === 'delete-video' ? await deleteVideo(deletionDeps, event.videoId) : await restoreVideo(deletionDeps, event);
    runtime.logger.info('video deletion handled', { action: event.action, ...outcome });
    return outcome;
  }
  const outcome = 'action' in event && event.action === 'retry'
    ? await retryUpload(deps, event)
    : 'detail' in event
      ? await submitUpload(deps, event.detail)
      : { outcome: 'ignored' as const, reason: 'neither an Object Created event nor a retry request' };
  if (outcome.outcome === 'submitted') {
    runtime.metrics.addMetric(TRANSCODE_METRICS.submitted, MetricUnit.Count, 1);
  } else if (outcome.outcome === 'failed') {
    runtime.metrics.addMetric(TRANSCODE_METRICS.failed, MetricUnit.Count, 1);
  }
  runtime.logger.info('source handled', { ...outcome });
  if (runtime.metrics.hasStoredMetrics()) {
    runtime.metrics.publishStoredMetrics();
  }
  return outcome;
}
