import { Catalog } from './catalog.lambda-shared';
import { FilesRemovedDetail, TRANSCODE_STATUS_VERSION, TranscodeStatusDetail } from '../contracts/transcode-status';

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
