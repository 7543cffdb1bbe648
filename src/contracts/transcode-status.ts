/**
 * The transcode status contract: what the pipeline tells the rest of the
 * platform about each source it encodes. The pipeline's status handler emits
 * these as EventBridge events; the catalog (or any integrator) consumes them.
 * Consumers order updates with {@link statusOrder}, so a duplicate or
 * out-of-order delivery never moves a video backwards.
 */

/** Version of the contract; a change to it is a breaking change. */
export const TRANSCODE_STATUS_VERSION = 1;

/** `source` of every event the pipeline publishes. */
export const TRANSCODE_EVENT_SOURCE = 'cdk-secure-vod.transcode';

/** `detail-type` of the pipeline's events, one per status. */
export const TRANSCODE_DETAIL_TYPES = {
  SUBMITTED: 'Video Transcode Submitted',
  PROGRESSING: 'Video Transcode Progressing',
  COMPLETE: 'Video Transcode Ready',
  ERROR: 'Video Transcode Failed',
} as const;

export type TranscodeState = keyof typeof TRANSCODE_DETAIL_TYPES;

/**
 * `detail-type` of the event the pipeline publishes once a deleted video's
 * renditions and posters are gone from the output bucket: the moment a CDN
 * in front of the bucket can drop its copies for good (dropping them earlier
 * lets the next request cache them again).
 */
export const FILES_REMOVED_DETAIL_TYPE = 'Video Files Removed';

/** The detail of a {@link FILES_REMOVED_DETAIL_TYPE} event. */
export interface FilesRemovedDetail {
  readonly version: typeof TRANSCODE_STATUS_VERSION;
  readonly pipelineId: string;
  readonly videoId: string;
  /** The output bucket's prefixes that were emptied, such as `videos/<id>/` and `posters/<id>/`. */
  readonly prefixes: string[];
  /** Object versions removed. */
  readonly removed: number;
  readonly at: string;
}

/**
 * `detail-type` of the events the pipeline publishes about a video's
 * automatic captions (speech to text with Amazon Transcribe, when the
 * pipeline has `automaticCaptions`): started, complete with a WebVTT file,
 * or failed. The video stays READY whatever happens to them.
 */
export const CAPTIONS_TRANSCRIBED_DETAIL_TYPE = 'Video Captions Transcribed';

/** The detail of a {@link CAPTIONS_TRANSCRIBED_DETAIL_TYPE} event. */
export interface CaptionsTranscribedDetail {
  readonly version: typeof TRANSCODE_STATUS_VERSION;
  readonly pipelineId: string;
  readonly videoId: string;
  /** The upload whose encode was transcribed: consumers ignore the event once the video has another. */
  readonly uploadId: string;
  readonly state: 'STARTED' | 'COMPLETE' | 'FAILED';
  /** The transcription job, named after the pipeline, the video and the upload. */
  readonly transcriptionJobName: string;
  /** The spoken language as Amazon Transcribe names it (`en-US`, a BCP 47 tag); set when COMPLETE. */
  readonly language?: string;
  /** The WebVTT file Amazon Transcribe wrote, relative to the output bucket; set when COMPLETE. */
  readonly captionsKey?: string;
  /** Why it failed; set when FAILED. */
  readonly reason?: string;
  readonly at: string;
}

/** One rendition of the HLS ladder, as encoded. */
export interface Rendition {
  readonly width: number;
  readonly height: number;
  /** Average bitrate of the video, bits per second, when MediaConvert reports it. */
  readonly bitrate?: number;
  /** The rendition's playlist, relative to the output bucket. */
  readonly playlistKey: string;
}

/** Why a transcode failed. */
export interface TranscodeFailure {
  /** MediaConvert's error code, or a code of the pipeline such as `NO_VIDEO_TRACK`. */
  readonly code: string;
  readonly message: string;
}

/** The `detail` of every transcode event. */
export interface TranscodeStatusDetail {
  readonly version: typeof TRANSCODE_STATUS_VERSION;
  /** The pipeline that encoded the upload (HlsTranscodePipeline.pipelineId). */
  readonly pipelineId: string;
  readonly videoId: string;
  readonly uploadId: string;
  /** The source object, kept whatever happens, so a failed video can be encoded again. */
  readonly sourceKey: string;
  /** 1 for the first transcode of an upload, one more for each retry after a failure. */
  readonly attempt: number;
  /** The MediaConvert job; absent when the source failed before a job was created. */
  readonly jobId?: string;
  readonly state: TranscodeState;
  /** 0..100; 100 when COMPLETE. */
  readonly progressPercent: number;
  /** When the state was reached (ISO 8601), from the event that reported it. */
  readonly at: string;
  /** Set when COMPLETE. */
  readonly outputs?: TranscodeOutputs;
  /** Set when ERROR. */
  readonly failure?: TranscodeFailure;
}

/** What a completed transcode produced, relative to the output bucket. */
export interface TranscodeOutputs {
  /** `videos/<id>/master.m3u8` */
  readonly masterPlaylistKey: string;
  readonly renditions: Rendition[];
  readonly durationSeconds: number;
  /**
   * The poster: the first frame, under the public poster prefix, with the key
   * MediaConvert reported for it. Absent when the pipeline captures no poster.
   */
  readonly posterKey?: string;
  /** Every frame capture MediaConvert reported (the poster, and the last of the further frames). */
  readonly posterKeys: string[];
  /** The MP4 download, when the pipeline makes one. */
  readonly downloadKey?: string;
  /** The audio-only file speech is transcribed from, when the pipeline makes automatic captions and the source has sound. */
  readonly speechKey?: string;
}

const RANK: Record<TranscodeState, number> = { SUBMITTED: 1, PROGRESSING: 2, COMPLETE: 3, ERROR: 3 };

/**
 * The order of status updates as one number: a later attempt first, then a
 * later state, then more progress. Consumers keep the largest they have seen
 * and write only larger ones (a conditional write on this number), so a
 * duplicate or out-of-order delivery never moves a video backwards.
 */
export function statusOrder(status: Pick<TranscodeStatusDetail, 'attempt' | 'state' | 'progressPercent'>): number {
  return status.attempt * 1_000_000 + RANK[status.state] * 1_000 + (status.state === 'PROGRESSING' ? status.progressPercent : 0);
}

/**
 * Keys of MediaConvert job `UserMetadata` that the submit handler sets and
 * the status handler reads; `pipeline` lets an EventBridge rule pick out this
 * pipeline's jobs among all of the account's.
 */
export const JOB_METADATA_KEYS = {
  pipeline: 'cdk-secure-vod-pipeline',
  videoId: 'videoId',
  uploadId: 'uploadId',
  sourceKey: 'sourceKey',
  attempt: 'attempt',
} as const;

/** Output layout, relative to the output bucket. */
export const OUTPUT_LAYOUT = {
  videosPrefix: 'videos/',
  postersPrefix: 'posters/',
  masterPlaylist: (videoId: string) => `videos/${videoId}/master.m3u8`,
  videoFolder: (videoId: string) => `videos/${videoId}/`,
  posterFolder: (videoId: string) => `posters/${videoId}/`,
  /** The poster's file name before MediaConvert's frame number: `posters/<id>/poster.<n>.jpg`. */
  posterBaseName: 'poster',
  /** Further frame captures: `posters/<id>/frame.<n>.jpg`. */
  frameBaseName: 'frame',
  /**
   * A poster its creator picked from the scrub thumbnails:
   * `posters/<id>/picked-<milliseconds>.jpg`, a new name for every pick, so
   * no cache holds an older picture under it.
   */
  pickedPoster: (videoId: string, millis: number) => `posters/${videoId}/picked-${millis}.jpg`,
  /** How the name of a picked poster, and only of one, starts. */
  pickedPosterBaseName: 'picked-',
  download: (videoId: string) => `videos/${videoId}/download.mp4`,
  /** Audio only, for speech to text: `videos/<id>/speech.mp3`. */
  speech: (videoId: string) => `videos/${videoId}/speech.mp3`,
  /** Where Amazon Transcribe writes a video's transcript and WebVTT captions, each named after the job. */
  transcriptFolder: (videoId: string) => `videos/${videoId}/transcript/`,
} as const;
