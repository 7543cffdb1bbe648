import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { WORK_INDEX } from './transcode-metrics';
import {
  TRANSCODE_DETAIL_TYPES, TRANSCODE_EVENT_SOURCE, TranscodeStatusDetail, TranscodeState,
} from '../contracts/transcode-status';
import { Documents } from '../internal/documents.lambda-shared';

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
  /** When the current try took the claim (epoch ms); 0 once a try let it go after a transient fault. */
  readonly claimedAt?: number;
  /** Set (epoch ms) just before the attempt's first CreateJob: from then on a job may exist that the record does not name. */
  readonly createRequestedAt?: number;
  /** Tries of the attempt that ended in a transient fault, and the last fault. */
  readonly submitTries?: number;
  readonly lastError?: string;
  /** Which work of the scheduled check the upload is part of, if any (the sparse index). */
  readonly work?: string;
  /** While the attempt is in flight (claimed, queued or encoding): when it started. */
  readonly inFlightSince?: string;
  /** When its video was deleted: when its source is to be removed, and once it was. */
  readonly sourceExpiresAt?: string;
  readonly sourceDeletedAt?: string;
}

export interface JobStoreDependencies {
  readonly documents: Documents;
  readonly tableName: string;
  readonly events: EventBridgeClient;
  /** @default the account's default event bus */
  readonly eventBusName?: string;
}

const RANK: Record<RecordState, number> = { SUBMITTING: 0, SUBMITTED: 1, PROGRESSING: 2, COMPLETE: 3, ERROR: 3 };

const TERMINAL: ReadonlySet<RecordState> = new Set(['COMPLETE', 'ERROR']);


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
  const record: JobRecord & { createdAt: string; updatedAt: string; claimedAt: number; work: string; workAt: string } = {
    ...key,
    attempt: 1,
    state: 'SUBMITTING',
    progressPercent: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    claimedAt: now.getTime(),
    inFlightSince: now.toISOString(),
    work: WORK_INDEX.inFlight,
    workAt: now.toISOString(),
  };
  if (await deps.documents.putIf({
    TableName: deps.tableName, Item: record, ConditionExpression: 'attribute_not_exists(videoId)',
  })) {
    return record;
  }
  return resumeClaim(deps, key, now);
}

/**
 * Takes over the claim of an upload still being submitted whose last try let
 * go of it or ran out of its lease, and that has no job recorded. Answers the
 * record to submit from, or `undefined` when another try holds the claim or
 * the upload is past submission (its job is known, or it failed).
 */
export async function resumeClaim(deps: JobStoreDependencies, key: { videoId: string; uploadId: string }, now: Date): Promise<JobRecord | undefined> {
  return await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId: key.videoId, uploadId: key.uploadId },
    UpdateExpression: 'SET claimedAt = :now',
    ConditionExpression: '#state = :submitting AND attribute_not_exists(jobId) AND claimedAt < :expired',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: { ':now': now.getTime(), ':submitting': 'SUBMITTING', ':expired': now.getTime() - CLAIM_LEASE_MS },
    ReturnValues: 'ALL_NEW',
  }) as JobRecord | undefined;
}

/**
 * Records, before the attempt's first CreateJob, that a job may exist from now
 * on; only the try holding the claim may. Answers false when the claim passed
 * to another try meanwhile, which then submits instead.
 */
export async function markCreateRequested(deps: JobStoreDependencies, record: JobRecord, now: Date): Promise<boolean> {
  return (await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId: record.videoId, uploadId: record.uploadId },
    UpdateExpression: 'SET createRequestedAt = if_not_exists(createRequestedAt, :now)',
    ConditionExpression: '#state = :submitting AND attempt = :attempt AND claimedAt = :claimed AND attribute_not_exists(jobId)',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: { ':now': now.getTime(), ':submitting': 'SUBMITTING', ':attempt': record.attempt, ':claimed': record.claimedAt ?? -1 },
  })) !== undefined;
}

/**
 * Lets go of the claim after a transient fault (throttling, a 5xx, the
 * network), counting the try and keeping the fault, so the retry of the event,
 * or the scheduled check, resumes at once instead of waiting out the lease.
 */
export async function releaseClaim(deps: JobStoreDependencies, record: JobRecord, fault: string, now: Date): Promise<void> {
  await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId: record.videoId, uploadId: record.uploadId },
    UpdateExpression: 'SET claimedAt = :released, lastError = :fault, updatedAt = :now ADD submitTries :one',
    ConditionExpression: '#state = :submitting AND attempt = :attempt AND claimedAt = :claimed',
    ExpressionAttributeNames: { '#state': 'state' },
    ExpressionAttributeValues: {
      ':released': 0,
      ':fault': fault.slice(0, 1000),
      ':now': now.toISOString(),
      ':one': 1,
      ':submitting': 'SUBMITTING',
      ':attempt': record.attempt,
      ':claimed': record.claimedAt ?? -1,
    },
  });
}

/** Uploads in flight since before `before`, oldest first, at most `limit`. */
export async function inFlightSince(deps: JobStoreDependencies, before: Date, limit: number): Promise<JobRecord[]> {
  const answer = await deps.documents.query({
    TableName: deps.tableName,
    IndexName: WORK_INDEX.name,
    KeyConditionExpression: '#partition = :value AND #since < :before',
    ExpressionAttributeNames: { '#partition': WORK_INDEX.partitionKey, '#since': WORK_INDEX.sortKey },
    ExpressionAttributeValues: { ':value': WORK_INDEX.inFlight, ':before': before.toISOString() },
    Limit: limit,
  });
  return (answer.Items ?? []) as JobRecord[];
}

/**
 * Starts another attempt of an upload whose transcode failed. Answers the
 * record to submit from, or `undefined` when the upload is not in ERROR.
 */
export async function claimRetry(deps: JobStoreDependencies, videoId: string, uploadId: string, now: Date): Promise<JobRecord | undefined> {
  return await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId, uploadId },
    UpdateExpression: 'SET #state = :submitting, progressPercent = :zero, attempt = attempt + :one, updatedAt = :now, claimedAt = :claimed, ' +
      '#work = :inFlight, workAt = :now, inFlightSince = :now REMOVE jobId, failure, outputs, outbox, createRequestedAt, submitTries, lastError',
    ConditionExpression: '#state = :error',
    ExpressionAttributeNames: { '#state': 'state', '#work': WORK_INDEX.partitionKey },
    ExpressionAttributeValues: {
      ':submitting': 'SUBMITTING',
      ':zero': 0,
      ':one': 1,
      ':now': now.toISOString(),
      ':claimed': now.getTime(),
      ':error': 'ERROR',
      ':inFlight': WORK_INDEX.inFlight,
    },
    ReturnValues: 'ALL_NEW',
  }) as JobRecord | undefined;
}

/** Records the MediaConvert job of an attempt, unless a status event already did. */
export async function recordJobId(deps: JobStoreDependencies, record: JobRecord, jobId: string): Promise<void> {
  await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId: record.videoId, uploadId: record.uploadId },
    UpdateExpression: 'SET jobId = :job',
    ConditionExpression: 'attempt = :attempt AND attribute_not_exists(jobId)',
    ExpressionAttributeValues: { ':job': jobId, ':attempt': record.attempt },
  });
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
  const accepted = await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId: detail.videoId, uploadId: detail.uploadId },
    UpdateExpression: update,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  }) !== undefined;
  if (!accepted) {
    const current = await getJob(deps, detail.videoId, detail.uploadId);
    // An upload whose transcode ended leaves the in-flight work, even if a try that recorded the end stopped before this.
    if (current && TERMINAL.has(current.state) && current.work === WORK_INDEX.inFlight) {
      await leaveInFlight(deps, detail.videoId, detail.uploadId);
    }
    if (current?.outbox !== outbox) {
      return false;
    }
  }
  if (accepted && TERMINAL.has(detail.state)) {
    await leaveInFlight(deps, detail.videoId, detail.uploadId);
  }
  await publish(deps, detail);
  await clearOutbox(deps, detail.videoId, detail.uploadId, outbox);
  return accepted;
}

/** Takes an upload whose transcode ended out of the in-flight work (not out of any other: a deleted video's stays). */
async function leaveInFlight(deps: JobStoreDependencies, videoId: string, uploadId: string): Promise<void> {
  await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId, uploadId },
    UpdateExpression: 'REMOVE #work, workAt, inFlightSince',
    ConditionExpression: '#work = :inFlight',
    ExpressionAttributeNames: { '#work': WORK_INDEX.partitionKey },
    ExpressionAttributeValues: { ':inFlight': WORK_INDEX.inFlight },
  });
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
  await deps.documents.updateIf({
    TableName: deps.tableName,
    Key: { videoId, uploadId },
    UpdateExpression: 'REMOVE outbox',
    ConditionExpression: 'outbox = :outbox',
    ExpressionAttributeValues: { ':outbox': outbox },
  });
}
