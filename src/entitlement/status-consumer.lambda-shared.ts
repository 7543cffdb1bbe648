import { CaptionStore, MAX_CAPTION_TRACKS, putCaptionTrack } from './caption-tracks.lambda-shared';
import { CaptionError, MAX_CAPTION_BYTES, parseCaptions, parseLanguage } from './captions.lambda-shared';
import { AutomaticCaptionsRecord, VideoRecord } from './catalog-model.lambda-shared';
import { Catalog } from './catalog.lambda-shared';
import { ApiError } from './http.lambda-shared';
import { isValidId } from '../contracts/source-keys';
import {
  CaptionsTranscribedDetail, FilesRemovedDetail, OUTPUT_LAYOUT, TRANSCODE_STATUS_VERSION, TranscodeStatusDetail,
} from '../contracts/transcode-status';

/**
 * Moves videos through their life from the transcode pipeline's status
 * events. Answers whether the catalog changed; a status of another upload, a
 * duplicate or an out-of-order event does not change it.
 */
export async function consumeTranscodeStatus(catalog: Catalog, event: { detail?: TranscodeStatusDetail }, now: Date): Promise<boolean> {
  const detail = event.detail;
  if (!detail || detail.version !== TRANSCODE_STATUS_VERSION) {
    throw new Error(`not a version ${TRANSCODE_STATUS_VERSION} transcode status event`);
  }
  return catalog.applyTranscodeStatus(detail, now);
}

/**
 * Once the pipeline tells that a deleted video's files are gone, the CDN's
 * copies of them are invalidated: earlier, a request between the
 * invalidation and the removal would cache them again, and a public poster
 * would outlive its video for a day. Answers the paths invalidated (none
 * without a CDN).
 */
export async function consumeFilesRemoved(
  invalidate: ((paths: string[]) => Promise<void>) | undefined, event: { detail?: FilesRemovedDetail },
): Promise<string[]> {
  const detail = event.detail;
  if (!detail || detail.version !== TRANSCODE_STATUS_VERSION || !Array.isArray(detail.prefixes)) {
    throw new Error(`not a version ${TRANSCODE_STATUS_VERSION} files-removed event`);
  }
  const paths = detail.prefixes.filter((prefix) => /^(videos|posters)\/[A-Za-z0-9-]+\/$/.test(prefix)).map((prefix) => `/${prefix}*`);
  if (invalidate && paths.length > 0) {
    await invalidate(paths);
  }
  return invalidate ? paths : [];
}

/** How far a video's automatic captions got: a later event of the same job never moves them back. */
const AUTOMATIC_RANK: Record<AutomaticCaptionsRecord['state'], number> = { IN_PROGRESS: 1, ADDED: 2, SKIPPED: 2, FAILED: 2 };
const FROM_EVENT: Record<CaptionsTranscribedDetail['state'], AutomaticCaptionsRecord['state']> = { STARTED: 'IN_PROGRESS', COMPLETE: 'ADDED', FAILED: 'FAILED' };
/** The top-level attribute naming the automatic captions' job and rank, which their conditional writes compare. */
const AUTOMATIC_CAPTIONS_STEP = 'automaticCaptionsStep';
function step(record: AutomaticCaptionsRecord | undefined): string | undefined {
  return record ? `${record.transcriptionJobName}#${AUTOMATIC_RANK[record.state]}` : undefined;
}
/** Concurrent changes to the video (a creator editing it) are met by reading it again, this many times. */
const CONFLICT_TRIES = 3;

/**
 * Records what the pipeline tells of a video's automatic captions and, when
 * they are complete, adds them as a caption track marked automatic, the way
 * a creator's track is added (no new encode). The event is ignored for a
 * video that is gone, not READY or PUBLISHED, or has another upload by now,
 * and when it is a duplicate or older than what is recorded. A creator's own
 * track of the same language stays: the automatic one is SKIPPED. Answers
 * the state recorded, or `ignored`.
 */
export async function consumeCaptionsTranscribed(
  catalog: Catalog, store: CaptionStore | undefined, event: { detail?: CaptionsTranscribedDetail }, now: Date,
): Promise<AutomaticCaptionsRecord['state'] | 'ignored'> {
  const detail = event.detail;
  if (!detail || detail.version !== TRANSCODE_STATUS_VERSION || !isValidId(detail.videoId) || !isValidId(detail.uploadId)
    || !(detail.state in FROM_EVENT) || typeof detail.transcriptionJobName !== 'string') {
    throw new Error(`not a version ${TRANSCODE_STATUS_VERSION} captions-transcribed event`);
  }
  for (let tries = 1; ; tries++) {
    const video = await catalog.get(detail.videoId);
    if (!video || video.currentUploadId !== detail.uploadId || (video.state !== 'READY' && video.state !== 'PUBLISHED')) {
      return 'ignored';
    }
    const recorded = video.automaticCaptions;
    const sameJob = recorded?.transcriptionJobName === detail.transcriptionJobName;
    if (recorded && sameJob && AUTOMATIC_RANK[recorded.state] >= AUTOMATIC_RANK[FROM_EVENT[detail.state]]) {
      return 'ignored';
    }
    try {
      return await recordAutomaticCaptions(catalog, store, video, detail, now);
    } catch (error) {
      // The video changed between the read and the write: read it again.
      if (!(error instanceof ApiError && error.statusCode === 409 && error.code === 'conflict') || tries >= CONFLICT_TRIES) {
        throw error;
      }
    }
  }
}

async function recordAutomaticCaptions(
  catalog: Catalog, store: CaptionStore | undefined, video: VideoRecord, detail: CaptionsTranscribedDetail, now: Date,
): Promise<AutomaticCaptionsRecord['state']> {
  const record = (state: AutomaticCaptionsRecord['state'], more: { language?: string; reason?: string } = {}): AutomaticCaptionsRecord => ({
    state,
    uploadId: detail.uploadId,
    transcriptionJobName: detail.transcriptionJobName,
    ...(more.language ? { language: more.language } : {}),
    ...(more.reason ? { reason: more.reason.slice(0, 500) } : {}),
    at: detail.at,
  });
  // A state alone is recorded against the state read (its job and rank), not against the whole video: a
  // creator editing the video meanwhile neither blocks it nor is blocked by it (updatedAt is left alone).
  const save = async (automaticCaptions: AutomaticCaptionsRecord) => {
    await catalog.transition(video.videoId, {
      from: ['READY', 'PUBLISHED'],
      expected: { currentUploadId: detail.uploadId, [AUTOMATIC_CAPTIONS_STEP]: step(video.automaticCaptions) },
      set: { automaticCaptions, [AUTOMATIC_CAPTIONS_STEP]: step(automaticCaptions) },
    });
    return automaticCaptions.state;
  };
  if (detail.state === 'STARTED') {
    return save(record('IN_PROGRESS'));
  }
  if (detail.state === 'FAILED') {
    return save(record('FAILED', { reason: detail.reason ?? 'the transcription failed without a reason' }));
  }
  const added = await automaticTrack(store, video, detail);
  if ('skipped' in added || 'failed' in added) {
    return save(record('skipped' in added ? 'SKIPPED' : 'FAILED', { language: added.language, reason: added.skipped ?? added.failed }));
  }
  const automaticCaptions = record('ADDED', { language: added.language });
  try {
    await putCaptionTrack({ ...store!, now }, video, { language: added.language, label: added.label, automatic: true }, added.vtt, {
      automaticCaptions, [AUTOMATIC_CAPTIONS_STEP]: step(automaticCaptions),
    });
  } catch (error) {
    // A refusal other than a concurrent change (the renditions are gone, say) will not mend with retries: record it.
    if (error instanceof ApiError && error.code !== 'conflict') {
      return save(record('FAILED', { language: added.language, reason: error.message }));
    }
    throw error;
  }
  return 'ADDED';
}

/** The track Transcribe's WebVTT file makes, checked like a creator's, or why there is none. */
async function automaticTrack(store: CaptionStore | undefined, video: VideoRecord, detail: CaptionsTranscribedDetail): Promise<
  | { language: string; label: string; vtt: string }
  | { language?: string; skipped: string; failed?: undefined }
  | { language?: string; failed: string; skipped?: undefined }
> {
  let language: string;
  try {
    language = parseLanguage(detail.language);
  } catch {
    return { failed: `Amazon Transcribe named the language ${JSON.stringify(detail.language)}, not a BCP 47 tag` };
  }
  const folder = OUTPUT_LAYOUT.transcriptFolder(video.videoId);
  const key = detail.captionsKey;
  if (typeof key !== 'string' || !key.startsWith(folder) || !/^[A-Za-z0-9._-]+\.vtt$/.test(key.slice(folder.length))) {
    return { language, failed: `the captions file ${JSON.stringify(key)} is not in the video's transcript folder` };
  }
  if (!store) {
    return { language, failed: 'caption tracks are not set up on this platform' };
  }
  const own = video.captions?.find((track) => track.language === language && !track.automatic);
  if (own) {
    return { language, skipped: `the video has a track in ${language} already (${own.label})` };
  }
  const others = (video.captions ?? []).filter((track) => track.language !== language);
  if (others.length >= MAX_CAPTION_TRACKS) {
    return { language, skipped: `the video has ${MAX_CAPTION_TRACKS} caption tracks, the most it may have` };
  }
  const label = `${languageName(language)} (automatic)`;
  if (others.some((track) => track.label === label)) {
    return { language, skipped: `another track is labelled ${label}` };
  }
  const bytes = await store.files.read(key, MAX_CAPTION_BYTES + 1);
  if (!bytes) {
    return { language, failed: `the captions file ${key} is missing` };
  }
  try {
    const parsed = parseCaptions(Buffer.from(bytes).toString('utf8'), 'vtt');
    return { language, label, vtt: parsed.vtt };
  } catch (error) {
    if (error instanceof CaptionError) {
      return { language, skipped: `no captions from the transcription: ${error.message}` };
    }
    throw error;
  }
}

/** The language's name in English (`en-US` → "English (United States)"), or the tag when Intl does not know it. */
function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(['en'], { type: 'language', languageDisplay: 'standard' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}
