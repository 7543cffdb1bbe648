/**
 * The ladder as the submit handler receives it, in its environment.
 */

export interface LadderSpec {
  readonly rungs: Array<{ shortSide: number; maxBitrate: number; qvbrQualityLevel: number }>;
  readonly automatic?: { maxRenditions: number; maxBitrate: number; minBitrate: number };
}


/** The MP4 download is encoded at the top rung, but at most this short side. */
export const DOWNLOAD_MAX_SHORT_SIDE = 1080;

