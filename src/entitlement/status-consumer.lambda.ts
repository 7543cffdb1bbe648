import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { API_ENV, API_METRICS, requiredEnv } from './api-environment';
import { Catalog } from './catalog.lambda-shared';
import { consumeTranscodeStatus } from './status-consumer.lambda-shared';
import { TranscodeStatusDetail } from '../contracts/transcode-status';
import { Documents } from '../internal/documents.lambda-shared';

const documents = new Documents(new DynamoDBClient({}));
const catalog = new Catalog(documents, requiredEnv(process.env, API_ENV.catalogTable));
const logger = new Logger({ serviceName: API_METRICS.service });

/** Invoked by the rule for the pipeline's transcode status events. */
export async function handler(event: { detail?: TranscodeStatusDetail }): Promise<{ applied: boolean }> {
  const applied = await consumeTranscodeStatus(catalog, event, new Date());
  logger.info('transcode status handled', { videoId: event.detail?.videoId, state: event.detail?.state, applied });
  return { applied };
}
