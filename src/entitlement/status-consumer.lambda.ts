import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { API_ENV, API_METRICS, requiredEnv } from './api-environment';
import type { CaptionStore } from './caption-tracks.lambda-shared';
import { Catalog } from './catalog.lambda-shared';
import { s3MediaFiles } from './media-files.lambda-shared';
import { consumeCaptionsTranscribed, consumeFilesRemoved, consumeTranscodeStatus } from './status-consumer.lambda-shared';
import {
  CAPTIONS_TRANSCRIBED_DETAIL_TYPE, CaptionsTranscribedDetail, FILES_REMOVED_DETAIL_TYPE, FilesRemovedDetail, TranscodeStatusDetail,
} from '../contracts/transcode-status';
import { Documents } from '../internal/documents.lambda-shared';
import { onceUntilFailure } from '../internal/once.lambda-shared';
import { ContentKeys } from '../transcode/content-keys.lambda-shared';

const documents = new Documents(new DynamoDBClient({}));
const catalog = new Catalog(documents, requiredEnv(process.env, API_ENV.catalogTable));
const logger = new Logger({ serviceName: API_METRICS.service });
const distributionId = process.env[API_ENV.distributionId] || undefined;
/** Set when the pipeline makes automatic captions: they are written beside the renditions like a creator's tracks. */
const outputBucket = process.env[API_ENV.outputBucket] || undefined;
const mediaFiles = outputBucket ? s3MediaFiles(outputBucket) : undefined;
/** Set when the pipeline encrypts segments: an automatic track's timing is read from a decrypted segment. */
const keysTable = process.env[API_ENV.contentKeysTable] || undefined;
const contentKeys = keysTable ? new ContentKeys(documents, keysTable) : undefined;
/** Deletions are rare beside status events: the CloudFront client loads on the first one. */
const cloudfront = onceUntilFailure(async () => {
  const { CloudFrontClient, CreateInvalidationCommand } = await import('@aws-sdk/client-cloudfront');
  return { client: new CloudFrontClient({}), CreateInvalidationCommand };
});

/**
 * Invalidates paths of the distribution. The caller reference names the
 * event, so Lambda's retry of the same event is one invalidation: CloudFront
 * answers a repeated reference with the first invalidation.
 */
async function invalidate(reference: string, paths: string[]): Promise<void> {
  const { client, CreateInvalidationCommand } = await cloudfront();
  await client.send(new CreateInvalidationCommand({
    DistributionId: distributionId,
    InvalidationBatch: { CallerReference: reference, Paths: { Quantity: paths.length, Items: paths } },
  }));
}

type PipelineEvent =
  | { readonly 'id'?: string; readonly 'detail-type': typeof FILES_REMOVED_DETAIL_TYPE; readonly 'detail'?: FilesRemovedDetail }
  | { readonly 'id'?: string; readonly 'detail-type': typeof CAPTIONS_TRANSCRIBED_DETAIL_TYPE; readonly 'detail'?: CaptionsTranscribedDetail }
  | { readonly 'id'?: string; readonly 'detail-type'?: string; readonly 'detail'?: TranscodeStatusDetail };

/** Invoked by the rule for the pipeline's events: transcode statuses, deleted videos' files gone, automatic captions. */
export async function handler(event: PipelineEvent): Promise<{ applied: boolean } | { invalidated: string[] } | { automaticCaptions: string }> {
  if (event['detail-type'] === CAPTIONS_TRANSCRIBED_DETAIL_TYPE) {
    const detail = event.detail as CaptionsTranscribedDetail | undefined;
    const now = new Date();
    const store: CaptionStore | undefined = mediaFiles ? {
      catalog,
      files: mediaFiles,
      // One invalidation per event and state: Lambda's retry of the event is the same invalidation.
      invalidate: distributionId ? (paths) => invalidate(`${detail?.transcriptionJobName}@${detail?.state}`, paths) : undefined,
      contentKey: contentKeys ? (videoId) => contentKeys.read(videoId) : undefined,
      now,
    } : undefined;
    const automaticCaptions = await consumeCaptionsTranscribed(catalog, store, { detail }, now);
    logger.info('automatic captions handled', { videoId: detail?.videoId, state: detail?.state, recorded: automaticCaptions });
    return { automaticCaptions };
  }
  if (event['detail-type'] === FILES_REMOVED_DETAIL_TYPE) {
    const detail = event.detail as FilesRemovedDetail | undefined;
    const reference = `${detail?.videoId}@${detail?.at}`;
    const invalidated = await consumeFilesRemoved(distributionId ? (paths) => invalidate(reference, paths) : undefined, { detail });
    logger.info('deleted video\'s files gone', { videoId: detail?.videoId, invalidated });
    return { invalidated };
  }
  const detail = event.detail as TranscodeStatusDetail | undefined;
  const applied = await consumeTranscodeStatus(catalog, { detail }, new Date());
  logger.info('transcode status handled', { videoId: detail?.videoId, state: detail?.state, applied });
  return { applied };
}
