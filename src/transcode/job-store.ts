import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  TRANSCODE_DETAIL_TYPES, TRANSCODE_EVENT_SOURCE, TranscodeStatusDetail, TranscodeState,
} from '../contracts/transcode-status';
import { Documents } from '../internal/documents';

/**
 * The pipeline's record of each upload's transcode, one item per
 * (videoId, uploadId), written only by conditional updates so that duplicate,
 * retried and out-of-order events change nothing. Every accepted status goes
 * into an outbox attribute in the same write and is published from there, so
 * a publish that failed is sent again by the retry of the same event.
 */

/** `SUBMITTING`: claimed by the submit handler, before MediaConvert reported anything. */
export type RecordState = 'SUBMITTING' | TranscodeState;

export interface JobRecord {
  readonly videoId: string;
  readonly uploadId: string;
  readonly sourceKey: string;
  readonly attempt: number;
  readonly state: RecordState;
  readonly progressPercent: number;
  readonly jobId?: string;
  readonly outbox?: string;
  readonly failure?: TranscodeStatusDetail['failure'];
  readonly outputs?: TranscodeStatusDetail['outputs'];
}

export interface JobStoreDependencies {
  readonly documents: Documents;
  readonly tableName: string;
  readonly events: EventBridgeClient;
  /** @default the account's default event bus */
  readonly eventBusName?: string;
}

const RANK: Record<RecordState, number> = { SUBMITTING: 0, SUBMITTED: 1, PROGRESSING: 2, COMPLETE: 3, ERROR: 3 };

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export async function getJob(deps: JobStoreDependencies, videoId: string, uploadId: string): Promise<JobRecord | undefined> {
  const answer = await deps.documents.get({ TableName: deps.tableName, Key: { videoId, uploadId }, ConsistentRead: true });
  return answer.Item as JobRecord | undefined;
}

/**
 * How long a claim keeps other tries of the same event away. Shorter than
 * Lambda's first retry of an asynchronous invocation (one minute), so a try
 * that crashed is resumed by its retry, while duplicates delivered at the same
 * time back off.
 */
export const CLAIM_LEASE_MS = 30_000;

/**
 * Claims an upload for submission. Answers the record to submit from (a new
 * claim, or one left SUBMITTING by a try whose lease ran out), or `undefined`
 * when another try holds the claim or the upload is past submission.
 */
export async function claimSubmission(
  deps: JobStoreDependencies, key: { videoId: string; uploadId: string; sourceKey: string }, now: Date,
): Promise<JobRecord | undefined> {
  const record: JobRecord & { createdAt: string; updatedAt: string; claimedAt: number } = {
    ...key,
    attempt: 1,
    state: 'SUBMITTING',
    progressPercent: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    claimedAt: now.getTime(),
  };
  try {
    await deps.documents.put({
      TableName: deps.tableName, Item: record, ConditionExpression: 'attribute_not_exists(videoId)',
    });
    return record;
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw error;
    }
  }
  try {
    const answer = await deps.documents.update({
      TableName: deps.tableName,
      Key: { videoId: key.videoId, uploadId: key.uploadId },
      UpdateExpression: 'SET claimedAt = :now',
      ConditionExpression: '#state = :submitting AND claimedAt < :expired',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':now': now.getTime(), ':submitting': 'SUBMITTING', ':expired': now.getTime() - CLAIM_LEASE_MS },
      ReturnValues: 'ALL_NEW',
    });
    return answer.Attributes as JobRecord;
  } catch (error) {
    if (isConditionFailure(error)) {
      return undefined;
    }
    throw error;
  }
}

/**
 * Starts another attempt of an upload whose transcode failed. Answers the
 * record to submit from, or `undefined` when the upload is not in ERROR.
 */
export async function claimRetry(deps: JobStoreDependencies, videoId: string, uploadId: string, now: Date): Promise<JobRecord | undefined> {
  try {
    const answer = await deps.documents.update({
      TableName: deps.tableName,
      Key: { videoId, uploadId },
      UpdateExpression: 'SET #state = :submitting, progressPercent = :zero, attempt = attempt + :one, updatedAt = :now, claimedAt = :claimed ' +
        'REMOVE jobId, failure, outputs, outbox',
      ConditionExpression: '#state = :error',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':submitting': 'SUBMITTING', ':zero': 0, ':one': 1, ':now': now.toISOString(), ':claimed': now.getTime(), ':error': 'ERROR',
      },
      ReturnValues: 'ALL_NEW',
    });
    return answer.Attributes as JobRecord;
  } catch (error) {
    if (isConditionFailure(error)) {
      return undefined;
    }
    throw error;
  }
}

/** Records the MediaConvert job of an attempt, unless a status event already did. */
export async function recordJobId(deps: JobStoreDependencies, record: JobRecord, jobId: string): Promise<void> {
  try {
    await deps.documents.update({
      TableName: deps.tableName,
      Key: { videoId: record.videoId, uploadId: record.uploadId },
      UpdateExpression: 'SET jobId = :job',
      ConditionExpression: 'attempt = :attempt AND attribute_not_exists(jobId)',
      ExpressionAttributeValues: { ':job': jobId, ':attempt': record.attempt },
    });
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw error;
    }
  }
}

/**
 * Applies a status update if it moves the upload on (a later state, or more
 * progress) for the same attempt and job, then publishes it. Answers whether
 * the update was new; a duplicate or stale update changes nothing, except that
 * an update still waiting in the outbox (its earlier publish failed) is sent.
 */
export async function applyStatus(deps: JobStoreDependencies, detail: TranscodeStatusDetail, now: Date): Promise<boolean> {
  const outbox = JSON.stringify(detail);
  const before = (Object.keys(RANK) as RecordState[]).filter((state) => RANK[state] < RANK[detail.state]);
  const names: Record<string, string> = { '#state': 'state' };
  const values: Record<string, unknown> = {
    ':state': detail.state, ':progress': detail.progressPercent, ':attempt': detail.attempt, ':outbox': outbox, ':now': now.toISOString(),
  };
  before.forEach((state, index) => {
    values[`:before${index}`] = state;
  });
  let condition = `(#state IN (${before.map((_, index) => `:before${index}`).join(', ')})`;
  if (detail.state === 'PROGRESSING') {
    condition += ' OR (#state = :state AND progressPercent < :progress)';
  }
  condition += ') AND attempt = :attempt';
  let update = 'SET #state = :state, progressPercent = :progress, outbox = :outbox, updatedAt = :now';
  if (detail.jobId) {
    condition += ' AND (attribute_not_exists(jobId) OR jobId = :job)';
    update += ', jobId = :job';
    values[':job'] = detail.jobId;
  }
  if (detail.outputs) {
    update += ', outputs = :outputs';
    values[':outputs'] = detail.outputs;
  }
  if (detail.failure) {
    update += ', failure = :failure';
    values[':failure'] = detail.failure;
  }
  let accepted = true;
  try {
    await deps.documents.update({
      TableName: deps.tableName,
      Key: { videoId: detail.videoId, uploadId: detail.uploadId },
      UpdateExpression: update,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw error;
    }
    accepted = false;
  }
  if (!accepted) {
    const current = await getJob(deps, detail.videoId, detail.uploadId);
    if (current?.outbox !== outbox) {
      return false;
    }
  }
  await publish(deps, detail);
  await clearOutbox(deps, detail.videoId, detail.uploadId, outbox);
  return accepted;
}

async function publish(deps: JobStoreDependencies, detail: TranscodeStatusDetail): Promise<void> {
  const answer = await deps.events.send(new PutEventsCommand({
    Entries: [{
      EventBusName: deps.eventBusName,
      Source: TRANSCODE_EVENT_SOURCE,
      DetailType: TRANSCODE_DETAIL_TYPES[detail.state],
      Detail: JSON.stringify(detail),
      Time: new Date(detail.at),
    }],
  }));
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const entry = answer.Entries?.[0];
    throw new Error(`EventBridge refused the status event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
  }
}

async function clearOutbox(deps: JobStoreDependencies, videoId: string, uploadId: string, outbox: string): Promise<void> {
  try {
    await deps.documents.update({
      TableName: deps.tableName,
      Key: { videoId, uploadId },
      UpdateExpression: 'REMOVE outbox',
      ConditionExpression: 'outbox = :outbox',
      ExpressionAttributeValues: { ':outbox': outbox },
    });
  } catch (error) {
    if (!isConditionFailure(error)) {
      throw error;
    }
  }
}
