/**
 * The ladder as the submit handler receives it, in its environment.
 */

export interface LadderSpec {
  readonly rungs: Array<{ shortSide: number; maxBitrate: number; qvbrQualityLevel: number }>;
  readonly automatic?: { maxRenditions: number; maxBitrate: number; minBitrate: number };
}


/** The MP4 download is encoded at the top rung, but at most this short side. */
export const DOWNLOAD_MAX_SHORT_SIDE = 1080;


/** The largest short side of an H.264 frame MediaConvert encodes (4096x2160 or 2160x4096). */
export const H264_MAX_SHORT_SIDE = 2160;

/** The largest long side of an H.264 frame MediaConvert encodes. */
export const H264_MAX_LONG_SIDE = 4096;

/** Bits per second of the AAC stereo audio muxed into every rendition. */
export const AUDIO_BITRATE = 128_000;
