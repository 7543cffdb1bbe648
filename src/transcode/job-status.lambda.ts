import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { handleJobEvent, JobStateChangeEvent, StatusDependencies } from './job-status.lambda-shared';
import { TRANSCODE_METRICS } from './transcode-metrics';
import { transcodeRuntime } from './transcode-runtime.lambda-shared';

const runtime = transcodeRuntime(process.env);
const deps: StatusDependencies = {
  ...runtime.store,
  pipelineId: runtime.settings.pipelineId,
  outputBucket: runtime.settings.outputBucket,
};

/** Invoked by the EventBridge rule for this pipeline's MediaConvert job state changes. */
export async function handler(event: JobStateChangeEvent): Promise<string> {
  const result = await handleJobEvent(deps, event);
  const status = event.detail?.status;
  if (result === 'applied' && status === 'COMPLETE') {
    runtime.metrics.addMetric(TRANSCODE_METRICS.completed, MetricUnit.Count, 1);
  } else if (result === 'applied' && (status === 'ERROR' || status === 'CANCELED')) {
    runtime.metrics.addMetric(TRANSCODE_METRICS.failed, MetricUnit.Count, 1);
  }
  runtime.logger.info('job event handled', { jobId: event.detail?.jobId, status, result });
  if (runtime.metrics.hasStoredMetrics()) {
    runtime.metrics.publishStoredMetrics();
  }
  return result;
}
