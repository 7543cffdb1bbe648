import type { Job, Output } from '@aws-sdk/client-mediaconvert';
import { applyStatus, JobStoreDependencies } from './job-store.lambda-shared';
import { isValidId } from '../contracts/source-keys';
import {
  JOB_METADATA_KEYS, OUTPUT_LAYOUT, Rendition, TRANSCODE_STATUS_VERSION, TranscodeOutputs, TranscodeStatusDetail,
} from '../contracts/transcode-status';

/** The `detail` of MediaConvert's "MediaConvert Job State Change" event, as far as it is read here. */
export interface JobStateChangeDetail {
  readonly status: string;
  readonly jobId: string;
  readonly timestamp?: number;
  readonly userMetadata?: Record<string, string>;
  readonly jobProgress?: { readonly jobPercentComplete?: number };
  readonly outputGroupDetails?: ReadonlyArray<{
    readonly type?: string;
    readonly playlistFilePaths?: string[];
    readonly outputDetails?: ReadonlyArray<{
      readonly outputFilePaths?: string[];
      readonly durationInMs?: number;
      readonly videoDetails?: { readonly widthInPx?: number; readonly heightInPx?: number; readonly averageBitrate?: number };
    }>;
  }>;
  readonly errorCode?: number;
  readonly errorMessage?: string;
}

export interface JobStateChangeEvent {
  readonly time?: string;
  readonly detail: JobStateChangeDetail;
}

export interface StatusDependencies extends JobStoreDependencies {
  readonly pipelineId: string;
  readonly outputBucket: string;
  readonly now?: () => Date;
}

/**
 * The status a MediaConvert job event reports, in the contract's terms, or
 * `undefined` for events that report none (another pipeline's job, input
 * information, warnings, queue hops).
 */
export function statusFromJobEvent(event: JobStateChangeEvent, pipelineId: string, outputBucket: string): TranscodeStatusDetail | undefined {
  const { detail } = event;
  const metadata = detail.userMetadata ?? {};
  const videoId = metadata[JOB_METADATA_KEYS.videoId];
  const uploadId = metadata[JOB_METADATA_KEYS.uploadId];
  const attempt = Number(metadata[JOB_METADATA_KEYS.attempt]);
  if (metadata[JOB_METADATA_KEYS.pipeline] !== pipelineId || !isValidId(videoId) || !isValidId(uploadId) || !Number.isInteger(attempt)) {
    return undefined;
  }
  const at = event.time ?? new Date(detail.timestamp ?? Date.now()).toISOString();
  const base = {
    version: TRANSCODE_STATUS_VERSION,
    pipelineId,
    videoId,
    uploadId,
    sourceKey: metadata[JOB_METADATA_KEYS.sourceKey],
    attempt,
    jobId: detail.jobId,
    at,
  } as const;
  switch (detail.status) {
    case 'SUBMITTED':
      return { ...base, state: 'SUBMITTED', progressPercent: 0 };
    case 'PROGRESSING':
    case 'STATUS_UPDATE':
      return { ...base, state: 'PROGRESSING', progressPercent: clampPercent(detail.jobProgress?.jobPercentComplete) };
    case 'COMPLETE':
      return { ...base, state: 'COMPLETE', progressPercent: 100, outputs: outputsOf(detail, outputBucket, videoId) };
    case 'ERROR':
      return {
        ...base,
        state: 'ERROR',
        progressPercent: 0,
        failure: { code: String(detail.errorCode ?? 'ERROR'), message: detail.errorMessage ?? 'MediaConvert reported an error without a message' },
      };
    case 'CANCELED':
      return { ...base, state: 'ERROR', progressPercent: 0, failure: { code: 'CANCELED', message: 'the job was canceled' } };
    default:
      return undefined;
  }
}

/**
 * The status a job read with GetJob reports, in the contract's terms. GetJob's
 * job holds no output file paths (only the EventBridge COMPLETE event does),
 * so they are derived from the job's settings as MediaConvert names its files:
 * `<destination><name modifier>.<extension>`, and frame captures
 * `<destination>.<n>.jpg` with a 0-based frame number padded to seven digits
 * (FrameCaptureSettings, MediaConvert API Reference).
 */
export function statusFromJob(job: Job, pipelineId: string, outputBucket: string, at: Date): TranscodeStatusDetail | undefined {
  const details = job.OutputGroupDetails ?? [];
  const outputGroupDetails = (job.Settings?.OutputGroups ?? []).map((group, g) => {
    const settings = group.OutputGroupSettings;
    const measured = details[g]?.OutputDetails ?? [];
    const outputDetails = (group.Outputs ?? []).map((output, o) => ({
      durationInMs: measured[o]?.DurationInMs,
      videoDetails: { widthInPx: measured[o]?.VideoDetails?.WidthInPx, heightInPx: measured[o]?.VideoDetails?.HeightInPx },
      outputFilePaths: [outputPath(settings?.HlsGroupSettings?.Destination ?? settings?.FileGroupSettings?.Destination ?? '', output)],
    }));
    return settings?.Type === 'HLS_GROUP_SETTINGS'
      ? { type: 'HLS_GROUP', playlistFilePaths: [`${settings.HlsGroupSettings?.Destination}.m3u8`], outputDetails }
      : { type: 'FILE_GROUP', outputDetails };
  });
  return statusFromJobEvent({
    time: at.toISOString(),
    detail: {
      status: job.Status ?? 'UNKNOWN',
      jobId: job.Id ?? '',
      userMetadata: job.UserMetadata,
      jobProgress: { jobPercentComplete: job.JobPercentComplete },
      outputGroupDetails,
      errorCode: job.ErrorCode,
      errorMessage: job.ErrorMessage,
    },
  }, pipelineId, outputBucket);
}

function outputPath(destination: string, output: Output): string {
  const base = `${destination}${output.NameModifier ?? ''}`;
  switch (output.ContainerSettings?.Container) {
    case 'M3U8':
      return `${base}.m3u8`;
    case 'RAW':
      // Frame captures are numbered; an audio-only file in no container is not.
      return output.VideoDescription?.CodecSettings?.Codec === 'FRAME_CAPTURE'
        ? `${base}.${'0'.repeat(7)}.${output.Extension ?? 'jpg'}`
        : `${base}.${output.Extension ?? 'mp3'}`;
    default:
      return `${base}.${output.Extension ?? output.ContainerSettings?.Container?.toLowerCase() ?? 'mp4'}`;
  }
}

/** Applies one job event. Answers what became of it. */
export async function handleJobEvent(deps: StatusDependencies, event: JobStateChangeEvent): Promise<'applied' | 'stale' | 'ignored'> {
  const status = statusFromJobEvent(event, deps.pipelineId, deps.outputBucket);
  if (!status) {
    return 'ignored';
  }
  const applied = await applyStatus(deps, status, (deps.now ?? (() => new Date()))());
  return applied ? 'applied' : 'stale';
}

function outputsOf(detail: JobStateChangeDetail, bucket: string, videoId: string): TranscodeOutputs {
  const prefix = `s3://${bucket}/`;
  const key = (path: string) => (path.startsWith(prefix) ? path.slice(prefix.length) : path);
  const groups = detail.outputGroupDetails ?? [];
  const hls = groups.find((group) => group.type === 'HLS_GROUP');
  const files = groups.filter((group) => group.type === 'FILE_GROUP').flatMap((group) => group.outputDetails ?? []).flatMap((output) => output.outputFilePaths ?? []).map(key);
  const renditions: Rendition[] = (hls?.outputDetails ?? []).map((output) => ({
    width: output.videoDetails?.widthInPx ?? 0,
    height: output.videoDetails?.heightInPx ?? 0,
    ...(output.videoDetails?.averageBitrate ? { bitrate: output.videoDetails.averageBitrate } : {}),
    playlistKey: key(output.outputFilePaths?.[0] ?? ''),
  })).sort((a, b) => a.width * a.height - b.width * b.height);
  const durations = groups.flatMap((group) => group.outputDetails ?? []).map((output) => output.durationInMs ?? 0);
  const download = files.find((file) => file.endsWith('.mp4'));
  const speech = files.find((file) => file === OUTPUT_LAYOUT.speech(videoId));
  const posterKeys = files.filter((file) => file.startsWith(OUTPUT_LAYOUT.posterFolder(videoId))).sort();
  // The poster output captures one image, so the path MediaConvert reports for it (its last) is its only one.
  const posterKey = posterKeys.find((file) => file.startsWith(`${OUTPUT_LAYOUT.posterFolder(videoId)}${OUTPUT_LAYOUT.posterBaseName}.`));
  return {
    masterPlaylistKey: key(hls?.playlistFilePaths?.[0] ?? `${prefix}${OUTPUT_LAYOUT.masterPlaylist(videoId)}`),
    renditions,
    durationSeconds: Math.round(Math.max(0, ...durations)) / 1000,
    ...(posterKey ? { posterKey } : {}),
    posterKeys,
    ...(download ? { downloadKey: download } : {}),
    ...(speech ? { speechKey: speech } : {}),
  };
}

function clampPercent(value: number | undefined): number {
  return Math.min(99, Math.max(0, Math.round(value ?? 0)));
}
