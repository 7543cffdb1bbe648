import { createHash } from 'node:crypto';
import { CreateJobCommand, MediaConvertClient, ProbeCommand } from '@aws-sdk/client-mediaconvert';
import { buildJobSettings, EncodingPlan } from './job-settings';
import { applyStatus, claimRetry, claimSubmission, JobRecord, JobStoreDependencies, recordJobId } from './job-store';
import { sourceInfoFromProbe, UnusableSourceError } from './source-info';
import { decodeS3EventKey, isValidId, parseSourceObjectKey } from '../contracts/source-keys';
import { JOB_METADATA_KEYS, TRANSCODE_STATUS_VERSION } from '../contracts/transcode-status';

/** What the submit handler knows of its pipeline, fixed at synth time. */
export interface PipelineSettings {
  /** Unique per pipeline; the EventBridge rule for job events matches it in the job's user metadata. */
  readonly pipelineId: string;
  readonly roleArn: string;
  /** @default the account's default queue */
  readonly queueArn?: string;
  readonly sourceBucket: string;
  readonly outputBucket: string;
  readonly plan: EncodingPlan;
  readonly acceleration: 'DISABLED' | 'ENABLED' | 'PREFERRED';
  readonly priority: number;
}

export interface SubmitDependencies extends JobStoreDependencies {
  readonly mediaconvert: MediaConvertClient;
  readonly settings: PipelineSettings;
  readonly now?: () => Date;
}

export type SubmitOutcome =
  | { readonly outcome: 'submitted'; readonly jobId: string; readonly attempt: number }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'ignored'; readonly reason: string }
  | { readonly outcome: 'failed'; readonly code: string; readonly message: string };

/** The `detail` of S3's "Object Created" EventBridge event, as far as it is read here. */
export interface ObjectCreatedDetail {
  readonly bucket: { readonly name: string };
  readonly object: { readonly key: string };
}

/**
 * Submits one MediaConvert job for a source that arrived. A duplicated or
 * retried event submits nothing more: the upload is claimed with a
 * conditional write first (duplicates back off while the claim is fresh), and
 * a retry that resumes a claim sends the same client request token, which
 * MediaConvert deduplicates.
 */
export async function submitUpload(deps: SubmitDependencies, detail: ObjectCreatedDetail): Promise<SubmitOutcome> {
  if (detail.bucket.name !== deps.settings.sourceBucket) {
    return { outcome: 'ignored', reason: `object of bucket ${detail.bucket.name}, not ${deps.settings.sourceBucket}` };
  }
  const sourceKey = decodeS3EventKey(detail.object.key);
  const parsed = parseSourceObjectKey(sourceKey);
  if (!parsed) {
    return { outcome: 'ignored', reason: `${JSON.stringify(sourceKey)} is not a source key` };
  }
  const record = await claimSubmission(deps, { videoId: parsed.videoId, uploadId: parsed.uploadId, sourceKey }, now(deps));
  return record ? submitAttempt(deps, record) : { outcome: 'duplicate' };
}

/**
 * Transcodes an upload again after a failure: its source is kept, so a new
 * attempt starts from it. Anything but a failed upload is left alone.
 */
export async function retryUpload(deps: SubmitDependencies, request: { videoId: unknown; uploadId: unknown }): Promise<SubmitOutcome> {
  if (!isValidId(request.videoId) || !isValidId(request.uploadId)) {
    return { outcome: 'ignored', reason: 'videoId and uploadId must be valid ids' };
  }
  const record = await claimRetry(deps, request.videoId, request.uploadId, now(deps));
  return record ? submitAttempt(deps, record) : { outcome: 'ignored', reason: 'the upload has not failed, or does not exist' };
}

async function submitAttempt(deps: SubmitDependencies, record: JobRecord): Promise<SubmitOutcome> {
  const { settings } = deps;
  const fileUrl = `s3://${settings.sourceBucket}/${record.sourceKey}`;
  let jobSettings;
  try {
    const probe = await deps.mediaconvert.send(new ProbeCommand({ InputFiles: [{ FileUrl: fileUrl }] }));
    const source = sourceInfoFromProbe(probe.ProbeResults?.[0]);
    jobSettings = buildJobSettings(settings.plan, source, { fileUrl, outputBucket: settings.outputBucket, videoId: record.videoId });
  } catch (error) {
    if (error instanceof UnusableSourceError) {
      return fail(deps, record, error.code, error.message);
    }
    if ((error as Error).message?.startsWith('settings override')) {
      return fail(deps, record, 'SETTINGS_OVERRIDE', (error as Error).message);
    }
    throw error;
  }

  let jobId: string;
  try {
    const answer = await deps.mediaconvert.send(new CreateJobCommand({
      Role: settings.roleArn,
      Queue: settings.queueArn,
      Settings: jobSettings,
      ClientRequestToken: requestToken(record),
      UserMetadata: {
        [JOB_METADATA_KEYS.pipeline]: settings.pipelineId,
        [JOB_METADATA_KEYS.videoId]: record.videoId,
        [JOB_METADATA_KEYS.uploadId]: record.uploadId,
        [JOB_METADATA_KEYS.sourceKey]: record.sourceKey,
        [JOB_METADATA_KEYS.attempt]: String(record.attempt),
      },
      StatusUpdateInterval: 'SECONDS_15',
      AccelerationSettings: { Mode: settings.acceleration },
      Priority: settings.priority,
    }));
    jobId = answer.Job!.Id!;
  } catch (error) {
    // MediaConvert refused these settings: a retry of the same event would too.
    if ((error as Error).name === 'BadRequestException') {
      return fail(deps, record, 'JOB_REFUSED', (error as Error).message);
    }
    throw error;
  }
  await recordJobId(deps, record, jobId);
  return { outcome: 'submitted', jobId, attempt: record.attempt };
}

async function fail(deps: SubmitDependencies, record: JobRecord, code: string, message: string): Promise<SubmitOutcome> {
  await applyStatus(deps, {
    version: TRANSCODE_STATUS_VERSION,
    pipelineId: deps.settings.pipelineId,
    videoId: record.videoId,
    uploadId: record.uploadId,
    sourceKey: record.sourceKey,
    attempt: record.attempt,
    state: 'ERROR',
    progressPercent: 0,
    at: now(deps).toISOString(),
    failure: { code, message },
  }, now(deps));
  return { outcome: 'failed', code, message };
}

/** The same for every try of one attempt, so MediaConvert returns the first job instead of making another. */
export function requestToken(record: Pick<JobRecord, 'sourceKey' | 'attempt'>): string {
  return createHash('sha256').update(`${record.sourceKey}#${record.attempt}`).digest('hex');
}

function now(deps: SubmitDependencies): Date {
  return (deps.now ?? (() => new Date()))();
}
