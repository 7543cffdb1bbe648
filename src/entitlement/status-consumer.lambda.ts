import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { API_ENV, requiredEnv } from './api-environment';
import { Catalog } from './catalog.lambda-shared';
import { consumeTranscodeStatus } from './status-consumer.lambda-shared';
import { TranscodeStatusDetail } from '../contracts/transcode-status';
import { Documents } from '../internal/documents.lambda-shared';

const documents = new Documents(new DynamoDBClient({}));
const catalog = new Catalog(documents, requiredEnv(process.env, API_ENV.catalogTable));

/** Invoked by the rule for the pipeline's transcode status events. */
export async function handler(event: { detail?: TranscodeStatusDetail }): Promise<{ applied: boolean }> {
  const applied = await consumeTranscodeStatus(catalog, event, new Date());
  console.log(JSON.stringify({ videoId: event.detail?.videoId, state: event.detail?.state, applied }));
  return { applied };
}
