import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { reconcile, ReconcileDependencies, ReconcileReport } from './reconcile.lambda-shared';
import { DEFAULT_SOURCE_RETENTION_SECONDS, TRANSCODE_ENV, TRANSCODE_METRICS } from './transcode-metrics';
import { transcodeRuntime } from './transcode-runtime.lambda-shared';

const runtime = transcodeRuntime(process.env);
const mediaconvert = new MediaConvertClient({ maxAttempts: 8, retryMode: 'adaptive' });
const queueUrl = process.env[TRANSCODE_ENV.deadLetters];
const deps: ReconcileDependencies = {
  ...runtime.store,
  mediaconvert,
  settings: runtime.settings,
  pipelineId: runtime.settings.pipelineId,
  outputBucket: runtime.settings.outputBucket,
  reconcile: runtime.settings.reconcile ?? { stuckAfterSeconds: 1800, maxSubmitTries: 5 },
  deadLetters: queueUrl ? { sqs: new SQSClient({}), queueUrl } : undefined,
  deletion: {
    ...runtime.store,
    s3: new S3Client({}),
    sourceBucket: runtime.settings.sourceBucket,
    outputBucket: runtime.settings.outputBucket,
    sourceRetentionSeconds: runtime.settings.sourceRetentionSeconds ?? DEFAULT_SOURCE_RETENTION_SECONDS,
    pipelineId: runtime.settings.pipelineId,
  },
  onProblem: (what, error) => runtime.logger.warn('could not reconcile', { what, error: error as Error }),
};

/** Invoked on a schedule: checks uploads in flight too long against MediaConvert and handles dead letters again. */
export async function handler(): Promise<ReconcileReport> {
  const report = await reconcile(deps);
  runtime.metrics.addMetric(TRANSCODE_METRICS.reconciled, MetricUnit.Count, report.moved + report.redriven + report.sourcesRemoved);
  runtime.logger.info('pipeline reconciled', { ...report });
  runtime.metrics.publishStoredMetrics();
  return report;
}
