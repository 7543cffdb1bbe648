import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createUploadS3Client, handleUploadRequest } from './issue-upload.lambda-shared';
import { UPLOAD_METRICS } from './upload-metrics';
import { uploadSettingsFromEnvironment } from './upload-settings';
import { UploadResponse } from '../contracts/upload-messages';

const settings = uploadSettingsFromEnvironment(process.env);
const s3 = createUploadS3Client();
const logger = new Logger({ serviceName: UPLOAD_METRICS.service });
const metrics = new Metrics({
  namespace: UPLOAD_METRICS.namespace,
  serviceName: UPLOAD_METRICS.service,
  defaultDimensions: { [UPLOAD_METRICS.bucketDimension]: settings.bucketName },
});

/**
 * Invoked synchronously by whoever authorized the creator, with one
 * UploadRequest. Logs name the request, never its presigned URLs or fields.
 */
export async function handler(event: unknown): Promise<UploadResponse> {
  const action = typeof event === 'object' && event !== null ? (event as { action?: unknown }).action : undefined;
  const response = await handleUploadRequest({ s3, settings }, event);
  if (response.ok) {
    const result = response.result;
    if (result.kind === 'post' || result.kind === 'multipart') {
      metrics.addMetric(UPLOAD_METRICS.issued, MetricUnit.Count, 1);
      logger.info('upload issued', { videoId: result.videoId, key: result.key, kind: result.kind, size: result.size });
    } else if (result.kind === 'completed') {
      metrics.addMetric(UPLOAD_METRICS.completed, MetricUnit.Count, 1);
      logger.info('upload completed', { key: result.key, size: result.size });
    } else {
      logger.info('upload request answered', { action: String(action), kind: result.kind });
    }
  } else {
    metrics.addMetric(UPLOAD_METRICS.refused, MetricUnit.Count, 1);
    logger.warn('upload request refused', { action: String(action), statusCode: response.statusCode, code: response.error.code });
  }
  if (metrics.hasStoredMetrics()) {
    metrics.publishStoredMetrics();
  }
  return response;
}
