import { GetJobCommand } from '@aws-sdk/client-mediaconvert';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { handleJobEvent, JobStateChangeEvent, StatusDependencies, statusFromJob } from './job-status.lambda-shared';
import { applyStatus, CLAIM_LEASE_MS, inFlightSince, JobRecord } from './job-store.lambda-shared';
import { abandonUpload, failUpload, ObjectCreatedDetail, resumeUpload, retryUpload, SubmitDependencies, submitUpload } from './submit-job.lambda-shared';
import { deleteVideo, DeletionDependencies, removeExpiredSources, restoreVideo } from './video-deletion.lambda-shared';

/**
 * The pipeline's scheduled check, for what events alone cannot guarantee:
 *
 * - Uploads in flight longer than a bound are compared with MediaConvert.
 *   One with a job gets the job's state from GetJob, applied through the same
 *   monotonic status path as the job's events, so a lost or late event (or a
 *   job MediaConvert stopped: it ends any job still PROGRESSING after 48
 *   hours) still moves the upload on. One without a job resumes its
 *   submission, which finds a job an earlier try created before making one;
 *   after {@link ReconcileSettings.maxSubmitTries} transient faults it fails,
 *   with the last fault as its reason, so the creator can retry.
 * - The sources of deleted videos whose retention ran out are removed.
 * - Events and invocations that failed every retry wait in the pipeline's
 *   dead-letter queue: each is handled again by the handler it was meant for
 *   and deleted once it was; one that fails again stays, and the queue's alarm
 *   keeps telling.
 */
export interface ReconcileSettings {
  /** How long an upload may be in flight before it is checked, in seconds. */
  readonly stuckAfterSeconds: number;
  /** Transient faults after which a submission fails. */
  readonly maxSubmitTries: number;
}

export interface ReconcileDependencies extends SubmitDependencies, StatusDependencies {
  readonly reconcile: ReconcileSettings;
  /** The dead-letter queue to drain, when there is one. */
  readonly deadLetters?: { readonly sqs: SQSClient; readonly queueUrl: string };
  /** Removing the sources of deleted videos once their retention ran out; not done when absent. */
  readonly deletion?: DeletionDependencies;
  /** Told of each upload or message that could not be handled this time. */
  readonly onProblem?: (what: string, error: unknown) => void;
}

export interface ReconcileReport {
  /** Uploads in flight past the bound that were looked at. */
  checked: number;
  /** Of those, how many changed: a state applied, a job found or submitted, a failure recorded. */
  moved: number;
  /** Dead letters handled again and deleted. */
  redriven: number;
  /** Uploads and messages that failed again; they are looked at next time. */
  problems: number;
  /** Uploads of deleted videos whose sources were removed. */
  sourcesRemoved: number;
}

/** Uploads looked at in one run; the rest wait for the next, oldest first. */
const BATCH = 100;

export async function reconcile(deps: ReconcileDependencies): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, moved: 0, redriven: 0, problems: 0, sourcesRemoved: 0 };
  await drainDeadLetters(deps, report);
  if (deps.deletion) {
    try {
      report.sourcesRemoved = await removeExpiredSources(deps.deletion);
    } catch (error) {
      report.problems += 1;
      deps.onProblem?.('sources of deleted videos', error);
    }
  }
  const bound = new Date(now(deps).getTime() - deps.reconcile.stuckAfterSeconds * 1000);
  for (const record of await inFlightSince(deps, bound, BATCH)) {
    report.checked += 1;
    try {
      if (await reconcileUpload(deps, record)) {
        report.moved += 1;
      }
    } catch (error) {
      report.problems += 1;
      deps.onProblem?.(`upload ${record.videoId}/${record.uploadId}`, error);
    }
  }
  return report;
}

/** Brings one in-flight upload up to date with MediaConvert. Answers whether it changed. */
export async function reconcileUpload(deps: ReconcileDependencies, record: JobRecord): Promise<boolean> {
  if (record.jobId) {
    let job;
    try {
      job = (await deps.mediaconvert.send(new GetJobCommand({ Id: record.jobId }))).Job;
    } catch (error) {
      if ((error as Error).name !== 'NotFoundException') {
        throw error;
      }
    }
    if (!job) {
      // MediaConvert deletes a job's record three months after it was created.
      await failUpload(deps, record, 'JOB_NOT_FOUND', `MediaConvert no longer knows job ${record.jobId}; retry the upload`);
      return true;
    }
    const status = statusFromJob(job, deps.pipelineId, deps.outputBucket, now(deps));
    return status ? applyStatus(deps, status, now(deps)) : false;
  }
  if ((record.claimedAt ?? 0) > now(deps).getTime() - CLAIM_LEASE_MS) {
    return false;
  }
  if ((record.submitTries ?? 0) >= deps.reconcile.maxSubmitTries) {
    const outcome = await abandonUpload(deps, record,
      `the transcode could not be started after ${record.submitTries} tries (${record.lastError ?? 'no fault recorded'}); retry the upload`);
    return outcome.outcome !== 'duplicate';
  }
  const outcome = await resumeUpload(deps, record);
  return outcome.outcome !== 'duplicate';
}

/**
 * What a dead letter holds: the event itself (an EventBridge rule target's
 * dead-letter queue), or a Lambda on-failure record with the event as its
 * `requestPayload` ("Capturing records of Lambda asynchronous invocations").
 */
export function deadLetterEvent(body: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') {
    return undefined;
  }
  const record = parsed as Record<string, unknown>;
  const payload = 'requestPayload' in record && 'requestContext' in record ? record.requestPayload : record;
  return payload && typeof payload === 'object' ? payload as Record<string, unknown> : undefined;
}

/** Handles a dead letter's event again with the handler it was meant for. Answers false for an event that is not the pipeline's. */
export async function redrive(deps: ReconcileDependencies, event: Record<string, unknown>): Promise<boolean> {
  if (event['detail-type'] === 'Object Created' && event.detail) {
    await submitUpload(deps, event.detail as ObjectCreatedDetail);
    return true;
  }
  if (event['detail-type'] === 'MediaConvert Job State Change' && event.detail) {
    await handleJobEvent(deps, event as unknown as JobStateChangeEvent);
    return true;
  }
  if (event.action === 'retry') {
    await retryUpload(deps, event as { videoId: unknown; uploadId: unknown });
    return true;
  }
  if (event.action === 'delete-video' && deps.deletion) {
    await deleteVideo(deps.deletion, event.videoId);
    return true;
  }
  if (event.action === 'restore-video' && deps.deletion) {
    await restoreVideo(deps.deletion, event as { videoId: unknown; uploadId: unknown });
    return true;
  }
  return false;
}

async function drainDeadLetters(deps: ReconcileDependencies, report: ReconcileReport): Promise<void> {
  if (!deps.deadLetters) {
    return;
  }
  const { sqs, queueUrl } = deps.deadLetters;
  for (let batch = 0; batch < 10; batch++) {
    const answer = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 120,
    }));
    const messages = answer.Messages ?? [];
    for (const message of messages) {
      const event = deadLetterEvent(message.Body ?? '');
      try {
        if (!event || !await redrive(deps, event)) {
          // Not an event of this pipeline: it stays, for a person to look at.
          deps.onProblem?.(`dead letter ${message.MessageId}`, new Error('not an event the pipeline handles'));
          report.problems += 1;
          continue;
        }
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        report.redriven += 1;
      } catch (error) {
        report.problems += 1;
        deps.onProblem?.(`dead letter ${message.MessageId}`, error);
      }
    }
    if (messages.length < 10) {
      return;
    }
  }
}

function now(deps: { now?: () => Date }): Date {
  return (deps.now ?? (() => new Date()))();
}
