import { Catalog } from './catalog.lambda-shared';
import { TRANSCODE_STATUS_VERSION, TranscodeStatusDetail } from '../contracts/transcode-status';

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
