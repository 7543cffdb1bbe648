import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { ContentKeys } from './content-keys.lambda-shared';
import type { JobRecord, JobStoreDependencies } from './job-store.lambda-shared';
import { WORK_INDEX } from './transcode-metrics';
import { isValidId, SOURCE_PREFIX } from '../contracts/source-keys';
import { FILES_REMOVED_DETAIL_TYPE, FilesRemovedDetail, OUTPUT_LAYOUT, TRANSCODE_EVENT_SOURCE, TRANSCODE_STATUS_VERSION } from '../contracts/transcode-status';

/**
 * What happens to a video's files when it is deleted. Its renditions and
 * posters go at once, every version of them (the buckets are versioned, and a
 * plain delete would only hide them behind a delete marker). Its sources stay
 * for a retention period, so a mistaken delete can be undone, and are then
 * removed, every version, by the pipeline's scheduled check.
 */
export interface DeletionDependencies extends JobStoreDependencies {
  readonly s3: S3Client;
  /** Named in the event telling that a video's files are gone. */
  readonly pipelineId: string;
  readonly sourceBucket: string;
  readonly outputBucket: string;
  /** How long sources are kept after their video was deleted. */
  readonly sourceRetentionSeconds: number;
  /** The content keys of encrypted videos, when the pipeline encrypts: a deleted video's key goes with its renditions. */
  readonly keysTable?: string;
  readonly now?: () => Date;
}

/** What a deletion did. */
export interface DeletionOutcome {
  readonly outcome: 'deleted' | 'restored' | 'gone' | 'ignored';
  /** Object versions removed. */
  readonly removed?: number;
  /** Uploads whose sources are kept until `sourcesExpireAt`. */
  readonly uploads?: number;
  readonly sourcesExpireAt?: string;
  readonly reason?: string;
}

/**
 * Removes every version of a video's renditions and posters, and schedules
 * its sources for removal after the retention. Doing it again changes nothing
 * more (the schedule keeps its first date).
 */
export async function deleteVideo(deps: DeletionDependencies, videoId: unknown): Promise<DeletionOutcome> {
  if (!isValidId(videoId)) {
    return { outcome: 'ignored', reason: 'videoId must be a valid id' };
  }
  const prefixes = [OUTPUT_LAYOUT.videoFolder(videoId), OUTPUT_LAYOUT.posterFolder(videoId)];
  let removed = 0;
  for (const prefix of prefixes) {
    removed += await removeVersions(deps.s3, deps.outputBucket, prefix);
  }
  if (deps.keysTable) {
    // After the segments it decrypts; a restored video is encoded again, with a new key.
    await new ContentKeys(deps.documents, deps.keysTable).remove(videoId);
  }
  // Told after the removal, and again by a repeated deletion, so a CDN never keeps what it fetched meanwhile.
  await publishFilesRemoved(deps, {
    version: TRANSCODE_STATUS_VERSION, pipelineId: deps.pipelineId, videoId, prefixes, removed, at: now(deps).toISOString(),
  });
  const expiresAt = new Date(now(deps).getTime() + deps.sourceRetentionSeconds * 1000).toISOString();
  const uploads = await uploadsOf(deps, videoId);
  for (const upload of uploads) {
    await deps.documents.updateIf({
      TableName: deps.tableName,
      Key: { videoId, uploadId: upload.uploadId },
      UpdateExpression: 'SET #work = :expiring, workAt = if_not_exists(sourceExpiresAt, :at), sourceExpiresAt = if_not_exists(sourceExpiresAt, :at)',
      ConditionExpression: 'attribute_not_exists(sourceDeletedAt)',
      ExpressionAttributeNames: { '#work': WORK_INDEX.partitionKey },
      ExpressionAttributeValues: { ':expiring': WORK_INDEX.expiring, ':at': expiresAt },
    });
  }
  return { outcome: 'deleted', removed, uploads: uploads.length, sourcesExpireAt: expiresAt };
}

async function publishFilesRemoved(deps: DeletionDependencies, detail: FilesRemovedDetail): Promise<void> {
  const answer = await deps.events.send(new PutEventsCommand({
    Entries: [{
      EventBusName: deps.eventBusName, Source: TRANSCODE_EVENT_SOURCE, DetailType: FILES_REMOVED_DETAIL_TYPE, Detail: JSON.stringify(detail),
    }],
  }));
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const entry = answer.Entries?.[0];
    throw new Error(`EventBridge refused the files-removed event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
  }
}

/**
 * Undoes a deletion while the upload's source is kept: its removal is called
 * off, and the upload is marked failed with the reason `RESTORED`, so it can
 * be transcoded again (its renditions are gone). Answers `gone` once the
 * source was removed.
 */
export async function restoreVideo(deps: DeletionDependencies, request: { videoId: unknown; uploadId: unknown }): Promise<DeletionOutcome> {
  if (!isValidId(request.videoId) || !isValidId(request.uploadId)) {
    return { outcome: 'ignored', reason: 'videoId and uploadId must be valid ids' };
  }
  const restored = await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId: request.videoId, uploadId: request.uploadId },
    UpdateExpression: 'SET #state = :error, failure = :failure, progressPercent = :zero, updatedAt = :now REMOVE #work, workAt, sourceExpiresAt, outputs, inFlightSince',
    ConditionExpression: 'attribute_exists(sourceExpiresAt) AND attribute_not_exists(sourceDeletedAt)',
    ExpressionAttributeNames: { '#state': 'state', '#work': WORK_INDEX.partitionKey },
    ExpressionAttributeValues: {
      ':error': 'ERROR',
      ':failure': { code: 'RESTORED', message: 'the video was deleted and restored; its renditions were removed, so transcode it again' },
      ':zero': 0,
      ':now': now(deps).toISOString(),
    },
  });
  return restored
    ? { outcome: 'restored' }
    : { outcome: 'gone', reason: 'the upload was not deleted, or its source has been removed already' };
}

/** Removes the sources whose retention ran out, every version, at most `limit` uploads a run. Answers how many uploads. */
export async function removeExpiredSources(deps: DeletionDependencies, limit = 50): Promise<number> {
  const answer = await deps.documents.query({
    TableName: deps.tableName,
    IndexName: WORK_INDEX.name,
    KeyConditionExpression: '#partition = :value AND #at < :now',
    ExpressionAttributeNames: { '#partition': WORK_INDEX.partitionKey, '#at': WORK_INDEX.sortKey },
    ExpressionAttributeValues: { ':value': WORK_INDEX.expiring, ':now': now(deps).toISOString() },
    Limit: limit,
  });
  let removedUploads = 0;
  for (const record of (answer.Items ?? []) as JobRecord[]) {
    await removeVersions(deps.s3, deps.sourceBucket, `${SOURCE_PREFIX}${record.videoId}/${record.uploadId}/`);
    // A transcode that was still running when the video was deleted may have written files since: they go too,
    // unless an upload of the video is live again (restored), whose renditions they are.
    const uploads = await uploadsOf(deps, record.videoId);
    if (uploads.every((upload) => upload.sourceExpiresAt !== undefined)) {
      await removeVersions(deps.s3, deps.outputBucket, OUTPUT_LAYOUT.videoFolder(record.videoId));
      await removeVersions(deps.s3, deps.outputBucket, OUTPUT_LAYOUT.posterFolder(record.videoId));
    }
    const marked = await deps.documents.updateIf({
      TableName: deps.tableName,
      Key: { videoId: record.videoId, uploadId: record.uploadId },
      UpdateExpression: 'SET sourceDeletedAt = :now REMOVE #work, workAt',
      ConditionExpression: 'attribute_exists(sourceExpiresAt) AND sourceExpiresAt < :now',
      ExpressionAttributeNames: { '#work': WORK_INDEX.partitionKey },
      ExpressionAttributeValues: { ':now': now(deps).toISOString() },
    });
    // A restore that came meanwhile keeps the record; its source was listed before, and is gone.
    removedUploads += marked ? 1 : 0;
  }
  return removedUploads;
}

/** Deletes every version (and delete marker) of every object under `prefix`, a thousand a request. Answers how many. */
export async function removeVersions(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let removed = 0;
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({
      Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker,
    }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
      .filter((entry) => entry.Key?.startsWith(prefix))
      .map((entry) => ({ Key: entry.Key!, VersionId: entry.VersionId }));
    for (let i = 0; i < objects.length; i += 1000) {
      const answer = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects.slice(i, i + 1000), Quiet: true } }));
      if ((answer.Errors ?? []).length > 0) {
        const first = answer.Errors![0];
        throw new Error(`S3 did not delete ${answer.Errors!.length} objects under ${prefix}, first ${first.Key}: ${first.Code} ${first.Message}`);
      }
      removed += objects.slice(i, i + 1000).length;
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return removed;
}

async function uploadsOf(deps: DeletionDependencies, videoId: string): Promise<JobRecord[]> {
  const answer = await deps.documents.query({
    TableName: deps.tableName,
    KeyConditionExpression: 'videoId = :video',
    ExpressionAttributeValues: { ':video': videoId },
  });
  return answer.Items as JobRecord[];
}

function now(deps: { now?: () => Date }): Date {
  return (deps.now ?? (() => new Date()))();
}
