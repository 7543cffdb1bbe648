import { createHash } from 'node:crypto';
import { CreateJobCommand, CreateJobCommandInput, MediaConvertClient, ProbeCommand, ProbeResult, SearchJobsCommand } from '@aws-sdk/client-mediaconvert';
import { ContentKeys, contentKeyUrl } from './content-keys.lambda-shared';
import { buildJobSettings, EncodingPlan, SegmentEncryption, SettingsOverrideError } from './job-settings.lambda-shared';
import {
  applyStatus, claimRetry, claimSubmission, JobRecord, JobStoreDependencies, markCreateRequested, recordJobId, releaseClaim, resumeClaim,
} from './job-store.lambda-shared';
import type { ReconcileSettings } from './reconcile.lambda-shared';
import { sourceInfoFromProbe, UnusableSourceError } from './source-info.lambda-shared';
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
  /** The scheduled check's bounds. */
  readonly reconcile?: ReconcileSettings;
  /** How long the sources of a deleted video are kept, in seconds. */
  readonly sourceRetentionSeconds?: number;
  /** Segments encrypted with each video's content key, kept in `keysTable` and answered at `keyServerUrl`. */
  readonly encryption?: { readonly keyServerUrl: string; readonly keysTable: string };
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
 * Submits one MediaConvert job for a source that arrived. A duplicated,
 * retried or late event submits nothing more:
 *
 * 1. The upload is claimed with a conditional write; duplicates back off while
 *    the claim's lease is fresh, and nothing is claimed once a job is known.
 * 2. Before the first CreateJob of an attempt, the record notes that a job may
 *    exist from then on (`createRequestedAt`).
 * 3. A try that resumes such an attempt first looks the job up with
 *    SearchJobs, by the source's URL and the attempt in the job's user
 *    metadata, and records the job it finds instead of creating another.
 *    MediaConvert deduplicates a repeated ClientRequestToken for one minute
 *    only ("Preventing duplicate jobs", MediaConvert API Reference), while
 *    Lambda retries an asynchronous invocation after one and then two more
 *    minutes and EventBridge for up to a day, so the token alone cannot keep a
 *    late retry from billing a second job; the lookup does.
 *
 * A source MediaConvert cannot read fails the upload with a reason the creator
 * can read. A transient fault lets go of the claim, so the retry resumes at
 * once, and is counted; the pipeline's scheduled check fails the upload after
 * too many.
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

/**
 * Resumes the submission of an upload whose tries all stopped short of
 * recording a job (the scheduled check calls this). Answers `duplicate` when
 * another try holds the claim or the upload is past submission.
 */
export async function resumeUpload(deps: SubmitDependencies, key: { videoId: string; uploadId: string }): Promise<SubmitOutcome> {
  const record = await resumeClaim(deps, key, now(deps));
  return record ? submitAttempt(deps, record) : { outcome: 'duplicate' };
}

/**
 * Gives up on a submission that faulted too often: takes the claim (so no
 * other try is past it), records a job an earlier try created if there is
 * one, and otherwise fails the upload with `reason`, for the creator to retry.
 */
export async function abandonUpload(deps: SubmitDependencies, key: { videoId: string; uploadId: string }, reason: string): Promise<SubmitOutcome> {
  const record = await resumeClaim(deps, key, now(deps));
  if (!record) {
    return { outcome: 'duplicate' };
  }
  if (record.createRequestedAt !== undefined) {
    const existing = await findJob(deps, record);
    if (existing) {
      await recordJobId(deps, record, existing);
      return { outcome: 'submitted', jobId: existing, attempt: record.attempt };
    }
  }
  return failUpload(deps, record, 'SUBMIT_FAILED', reason);
}

/**
 * MediaConvert's answers to Probe or CreateJob that a retry would get again:
 * 400 (a problem in the request), 403, 404, 409 and 422 (the API reference
 * of both operations). 429 and 5xx answers are transient.
 */
const REFUSALS: Record<string, { readonly probe: string; readonly job: string }> = {
  BadRequestException: { probe: 'SOURCE_UNREADABLE', job: 'JOB_REFUSED' },
  UnprocessableEntityException: { probe: 'SOURCE_UNREADABLE', job: 'JOB_REFUSED' },
  ConflictException: { probe: 'SOURCE_UNREADABLE', job: 'JOB_REFUSED' },
  NotFoundException: { probe: 'SOURCE_NOT_FOUND', job: 'JOB_REFUSED' },
  ForbiddenException: { probe: 'SOURCE_FORBIDDEN', job: 'JOB_FORBIDDEN' },
};

async function submitAttempt(deps: SubmitDependencies, record: JobRecord): Promise<SubmitOutcome> {
  const { settings } = deps;
  if (record.createRequestedAt !== undefined) {
    let existing: string | undefined;
    try {
      existing = await findJob(deps, record);
    } catch (error) {
      // A fault of the lookup is a fault of the try: counted, and the claim let go.
      await releaseClaim(deps, record, describe(error), now(deps));
      throw error;
    }
    if (existing) {
      await recordJobId(deps, record, existing);
      return { outcome: 'submitted', jobId: existing, attempt: record.attempt };
    }
  }

  let request: CreateJobCommandInput;
  try {
    const encryption = settings.encryption ? {
      key: await new ContentKeys(deps.documents, settings.encryption.keysTable).keyFor(record.videoId, now(deps)),
      keyUrl: contentKeyUrl(settings.encryption.keyServerUrl, record.videoId),
    } : undefined;
    const probe = await deps.mediaconvert.send(new ProbeCommand({ InputFiles: [{ FileUrl: sourceUrl(settings, record) }] }));
    request = createJobRequest(settings, record, probe.ProbeResults?.[0], encryption);
  } catch (error) {
    if (error instanceof UnusableSourceError) {
      return failUpload(deps, record, error.code, error.message);
    }
    if (error instanceof SettingsOverrideError) {
      return failUpload(deps, record, 'SETTINGS_OVERRIDE', error.message);
    }
    const refusal = REFUSALS[(error as Error).name];
    if (refusal) {
      return failUpload(deps, record, refusal.probe, `MediaConvert could not read the uploaded file as a video (${(error as Error).message}); upload a video file`);
    }
    await releaseClaim(deps, record, describe(error), now(deps));
    throw error;
  }

  if (!await markCreateRequested(deps, record, now(deps))) {
    return { outcome: 'duplicate' };
  }
  let jobId: string;
  try {
    const answer = await deps.mediaconvert.send(new CreateJobCommand(request));
    jobId = answer.Job!.Id!;
  } catch (error) {
    const refusal = REFUSALS[(error as Error).name];
    if (refusal) {
      return failUpload(deps, record, refusal.job, `MediaConvert refused the job: ${(error as Error).message}`);
    }
    await releaseClaim(deps, record, describe(error), now(deps));
    throw error;
  }
  await recordJobId(deps, record, jobId);
  return { outcome: 'submitted', jobId, attempt: record.attempt };
}

/**
 * The job an earlier try of this attempt created, if any: SearchJobs filters
 * by input file and queue, newest first, twenty a page; the attempt is told
 * apart by the user metadata every job of the pipeline carries. Jobs created
 * before the attempt's first CreateJob cannot be it, so the search stops there.
 */
async function findJob(deps: SubmitDependencies, record: JobRecord): Promise<string | undefined> {
  const since = (record.createRequestedAt ?? 0) - 60_000;
  let nextToken: string | undefined;
  for (let page = 0; page < 10; page++) {
    const answer = await deps.mediaconvert.send(new SearchJobsCommand({
      InputFile: sourceUrl(deps.settings, record),
      Queue: deps.settings.queueArn,
      Order: 'DESCENDING',
      MaxResults: 20,
      NextToken: nextToken,
    }));
    for (const job of answer.Jobs ?? []) {
      const metadata = job.UserMetadata ?? {};
      if (metadata[JOB_METADATA_KEYS.pipeline] === deps.settings.pipelineId && metadata[JOB_METADATA_KEYS.videoId] === record.videoId
        && metadata[JOB_METADATA_KEYS.uploadId] === record.uploadId && metadata[JOB_METADATA_KEYS.attempt] === String(record.attempt) && job.Id) {
        return job.Id;
      }
    }
    const oldest = answer.Jobs?.[answer.Jobs.length - 1]?.CreatedAt;
    nextToken = answer.NextToken;
    if (!nextToken || (oldest && oldest.getTime() < since)) {
      return undefined;
    }
  }
  return undefined;
}

function describe(error: unknown): string {
  return `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
}

/** The source object of an upload, as MediaConvert reads it. */
function sourceUrl(settings: PipelineSettings, record: Pick<JobRecord, 'sourceKey'>): string {
  return `s3://${settings.sourceBucket}/${record.sourceKey}`;
}

/**
 * The CreateJob request for one attempt of one upload, from what Probe
 * reported of its source. Throws {@link UnusableSourceError} for a source that
 * cannot be encoded and {@link SettingsOverrideError} for an override that
 * does not fit it.
 */
export function createJobRequest(
  settings: PipelineSettings, record: Pick<JobRecord, 'videoId' | 'uploadId' | 'sourceKey' | 'attempt'>, probe: ProbeResult | undefined,
  encryption?: SegmentEncryption,
): CreateJobCommandInput {
  const fileUrl = sourceUrl(settings, record);
  const source = sourceInfoFromProbe(probe);
  return {
    Role: settings.roleArn,
    Queue: settings.queueArn,
    Settings: buildJobSettings(settings.plan, source, { fileUrl, outputBucket: settings.outputBucket, videoId: record.videoId, encryption }),
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
  };
}

/** Fails an attempt with a reason the creator can read; the source is kept, so the upload can be retried. */
export async function failUpload(deps: SubmitDependencies, record: Pick<JobRecord, 'videoId' | 'uploadId' | 'sourceKey' | 'attempt'>, code: string, message: string): Promise<SubmitOutcome> {
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
