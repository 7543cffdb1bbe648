import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { ObjectCreatedDetail, retryUpload, submitUpload, SubmitDependencies, SubmitOutcome } from './submit-job';
import { TRANSCODE_METRICS } from './transcode-metrics';
import { transcodeRuntime } from './transcode-runtime';

const runtime = transcodeRuntime(process.env);
// Throttling and transient faults are retried by the client, with backoff that adapts to throttling.
const mediaconvert = new MediaConvertClient({ maxAttempts: 8, retryMode: 'adaptive' });
const deps: SubmitDependencies = { ...runtime.store, mediaconvert, settings: runtime.settings };

type SubmitEvent =
  | { readonly 'detail-type': 'Object Created'; readonly 'detail': ObjectCreatedDetail }
  | { readonly action: 'retry'; readonly videoId: unknown; readonly uploadId: unknown };

/**
 * Invoked by the EventBridge rule for new source objects, or directly with
 * `{ action: 'retry', videoId, uploadId }` to transcode a failed upload again.
 */
export async function handler(event: SubmitEvent): Promise<SubmitOutcome> {
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
