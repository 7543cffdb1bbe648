import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { StartTranscriptionJobCommandInput, TranscribeClient } from '@aws-sdk/client-transcribe';
import { GetTranscriptionJobCommand, StartTranscriptionJobCommand } from '@aws-sdk/client-transcribe';
import type { SpeechPlan } from './job-settings.lambda-shared';
import { parseTranscriptionJobName, transcriptionJobName, transcriptionPrefix } from './transcription-names';
import {
  CAPTIONS_TRANSCRIBED_DETAIL_TYPE, CaptionsTranscribedDetail, OUTPUT_LAYOUT, TRANSCODE_EVENT_SOURCE, TRANSCODE_STATUS_VERSION, TranscodeStatusDetail,
} from '../contracts/transcode-status';

/**
 * Automatic captions: once a video is encoded, Amazon Transcribe turns the
 * speech of its audio-only MP3 into WebVTT subtitles (StartTranscriptionJob
 * with `Subtitles`), and the pipeline tells the catalog, which adds them as a
 * caption track marked automatic. Nothing here holds the video back: it is
 * READY before a transcription starts, and a failure is only recorded.
 */

/** The StartTranscriptionJob request for a completed encode with an audio-only file. */
export function transcriptionRequest(
  plan: SpeechPlan, bucket: string, prefix: string, status: TranscodeStatusDetail & { outputs: { speechKey: string } },
): StartTranscriptionJobCommandInput {
  return {
    TranscriptionJobName: transcriptionJobName(prefix, status),
    Media: { MediaFileUri: `s3://${bucket}/${status.outputs.speechKey}` },
    MediaFormat: 'mp3',
    OutputBucketName: bucket,
    // A key ending in "/" is a folder: the transcript and the captions are named after the job within it.
    OutputKey: OUTPUT_LAYOUT.transcriptFolder(status.videoId),
    Subtitles: { Formats: ['vtt'], OutputStartIndex: 1 },
    // Past the account's concurrent job quota (100 by default), a queued job waits for a slot instead of being
    // refused; Transcribe reads and writes a queued job's files with this role (JobExecutionSettings).
    ...(plan.dataAccessRoleArn ? { JobExecutionSettings: { AllowDeferredExecution: true, DataAccessRoleArn: plan.dataAccessRoleArn } } : {}),
    ...(plan.languageCode
      ? { LanguageCode: plan.languageCode as StartTranscriptionJobCommandInput['LanguageCode'] }
      : { IdentifyLanguage: true, ...(plan.languageOptions ? { LanguageOptions: [...plan.languageOptions] as StartTranscriptionJobCommandInput['LanguageOptions'] } : {}) }),
  };
}

/**
 * The key of a WebVTT file in the video's transcript folder, from one of the
 * job's `SubtitleFileUris` (HTTPS URLs of the objects, path-style or
 * virtual-hosted). The file's name is read, not built: the API Reference says
 * only that subtitles are stored "in the same location as your transcript".
 */
export function subtitleKey(videoId: string, uri: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(uri).pathname);
  } catch {
    return undefined;
  }
  const folder = OUTPUT_LAYOUT.transcriptFolder(videoId);
  const at = path.indexOf(`/${folder}`);
  const key = at < 0 ? undefined : path.slice(at + 1);
  return key && /^[A-Za-z0-9._-]+\.vtt$/.test(key.slice(folder.length)) ? key : undefined;
}

export interface TranscriptionDependencies {
  readonly transcribe: TranscribeClient;
  readonly events: EventBridgeClient;
  readonly eventBusName?: string;
  readonly pipelineId: string;
  readonly outputBucket: string;
  readonly plan: SpeechPlan;
  readonly now?: () => Date;
}

/** The `detail` of Amazon Transcribe's "Transcribe Job State Change" event, as far as it is read here. */
export interface TranscribeJobStateChangeDetail {
  readonly TranscriptionJobName?: string;
  readonly TranscriptionJobStatus?: string;
  readonly FailureReason?: string;
}

/**
 * Errors of StartTranscriptionJob that another try cannot mend: the request
 * is refused, or the caller may not make it (a permission taken away). They
 * are recorded as FAILED for the video's owner to see, rather than retried.
 */
const REFUSED = new Set(['BadRequestException', 'AccessDeniedException']);

/**
 * Starts the transcription of a completed encode, once: a start repeated for
 * a duplicated or retried event meets the job already there and tells
 * STARTED again (consumers keep the furthest state). Nothing is started for
 * an encode without an audio-only file (no sound, or no automatic captions).
 * A refused request is published as FAILED; throttling and service errors
 * are thrown, for the invocation to be tried again.
 */
export async function startTranscription(
  deps: TranscriptionDependencies, status: TranscodeStatusDetail,
): Promise<CaptionsTranscribedDetail | undefined> {
  const speechKey = status.outputs?.speechKey;
  if (status.state !== 'COMPLETE' || !speechKey) {
    return undefined;
  }
  const prefix = transcriptionPrefix(deps.pipelineId);
  const request = transcriptionRequest(deps.plan, deps.outputBucket, prefix, { ...status, outputs: { ...status.outputs!, speechKey } });
  const base = {
    version: TRANSCODE_STATUS_VERSION,
    pipelineId: deps.pipelineId,
    videoId: status.videoId,
    uploadId: status.uploadId,
    transcriptionJobName: request.TranscriptionJobName!,
    at: (deps.now ?? (() => new Date()))().toISOString(),
  } as const;
  let detail: CaptionsTranscribedDetail;
  try {
    await deps.transcribe.send(new StartTranscriptionJobCommand(request));
    detail = { ...base, state: 'STARTED' };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ConflictException') {
      detail = { ...base, state: 'STARTED' };
    } else if (REFUSED.has(name)) {
      detail = { ...base, state: 'FAILED', reason: `Amazon Transcribe refused the job: ${(error as Error).message}` };
    } else {
      throw error;
    }
  }
  await publishCaptionsEvent(deps, detail);
  return detail;
}

/**
 * Turns Transcribe's event for one of this pipeline's jobs into COMPLETE
 * (with the spoken language and the WebVTT file) or FAILED, and publishes
 * it; answers undefined for another pipeline's job or a state that is not
 * final. The job is read back with GetTranscriptionJob: the event names
 * neither the language identified nor the files written.
 */
export async function finishTranscription(
  deps: TranscriptionDependencies, event: { time?: string; detail?: TranscribeJobStateChangeDetail },
): Promise<CaptionsTranscribedDetail | undefined> {
  const name = event.detail?.TranscriptionJobName;
  const ids = parseTranscriptionJobName(transcriptionPrefix(deps.pipelineId), name);
  const eventStatus = event.detail?.TranscriptionJobStatus;
  if (!ids || (eventStatus !== 'COMPLETED' && eventStatus !== 'FAILED')) {
    return undefined;
  }
  const base = {
    version: TRANSCODE_STATUS_VERSION,
    pipelineId: deps.pipelineId,
    ...ids,
    transcriptionJobName: name!,
    at: event.time ?? (deps.now ?? (() => new Date()))().toISOString(),
  } as const;
  const answer = await deps.transcribe.send(new GetTranscriptionJobCommand({ TranscriptionJobName: name }));
  const job = answer.TranscriptionJob;
  let detail: CaptionsTranscribedDetail;
  if (job?.TranscriptionJobStatus === 'COMPLETED') {
    const captionsKey = (job.Subtitles?.SubtitleFileUris ?? []).map((uri) => subtitleKey(ids.videoId, uri)).find((key) => key !== undefined);
    detail = captionsKey && job.LanguageCode
      ? { ...base, state: 'COMPLETE', language: job.LanguageCode, captionsKey }
      : { ...base, state: 'FAILED', reason: `the job completed without WebVTT subtitles in ${OUTPUT_LAYOUT.transcriptFolder(ids.videoId)}` };
  } else if (job?.TranscriptionJobStatus === 'FAILED') {
    detail = { ...base, state: 'FAILED', reason: job.FailureReason ?? event.detail?.FailureReason ?? 'Amazon Transcribe gave no reason' };
  } else {
    // An event ahead of the job it reports (or a job removed since): nothing final to tell yet.
    return undefined;
  }
  await publishCaptionsEvent(deps, detail);
  return detail;
}

async function publishCaptionsEvent(deps: TranscriptionDependencies, detail: CaptionsTranscribedDetail): Promise<void> {
  const answer = await deps.events.send(new PutEventsCommand({
    Entries: [{
      EventBusName: deps.eventBusName,
      Source: TRANSCODE_EVENT_SOURCE,
      DetailType: CAPTIONS_TRANSCRIBED_DETAIL_TYPE,
      Detail: JSON.stringify(detail),
      Time: new Date(detail.at),
    }],
  }));
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const entry = answer.Entries?.[0];
    throw new Error(`EventBridge refused the captions event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
  }
}
