import type { AspectRatio, ProbeResult } from '@aws-sdk/client-mediaconvert';

/** What the job settings need to know of a source, as displayed (rotation and pixel aspect applied). */
export interface SourceInfo {
  readonly width: number;
  readonly height: number;
  readonly hasAudio: boolean;
  /** Seconds, when the container says. */
  readonly durationSeconds?: number;
}

/** A source that cannot be encoded, with the code recorded as the failure. */
export class UnusableSourceError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'UnusableSourceError';
  }
}

/** MediaConvert's smallest output frame side. */
export const MIN_FRAME_SIDE = 32;

/**
 * Containers whose rotation metadata MediaConvert applies with the input's
 * `Rotate: AUTO`: "If your input video container is .mov or .mp4 and your
 * input has rotation metadata" (InputRotate, MediaConvert API Reference).
 * Other containers are encoded as stored, rotation metadata or not.
 */
const AUTO_ROTATED_FORMATS: ReadonlySet<string> = new Set(['mp4', 'quicktime']);

/**
 * Reads the display size and audio presence of a source from MediaConvert's
 * probe, as MediaConvert will see the frames it encodes: rotated only where
 * `Rotate: AUTO` applies, and stretched by the pixel aspect ratio, which a
 * file may declare in its container (on the track) or in its video essence
 * (under `codecMetadata`); the container's wins when both are present.
 */
export function sourceInfoFromProbe(probe: ProbeResult | undefined): SourceInfo {
  const tracks = probe?.Container?.Tracks ?? [];
  const video = tracks.find((track) => track.TrackType === 'video' && track.VideoProperties?.Width && track.VideoProperties?.Height);
  if (!video) {
    throw new UnusableSourceError('NO_VIDEO_TRACK', 'the file has no video track MediaConvert can read; upload a video file');
  }
  const properties = video.VideoProperties!;
  const sar = usableRatio(properties.SampleAspectRatio) ?? usableRatio(properties.CodecMetadata?.SampleAspectRatio);
  const stretch = sar ? sar.Numerator! / sar.Denominator! : 1;
  let width = Math.round(properties.Width! * stretch);
  let height = properties.Height!;
  // The container's rotation (the MP4 tkhd matrix) is the metadata Rotate: AUTO reads.
  const rotation = properties.Rotation;
  const format = probe?.Container?.Format;
  if ((rotation === 90 || rotation === 270) && format !== undefined && AUTO_ROTATED_FORMATS.has(format)) {
    [width, height] = [height, width];
  }
  if (Math.min(width, height) < MIN_FRAME_SIDE) {
    throw new UnusableSourceError('SOURCE_TOO_SMALL', `the video is ${width}x${height}; MediaConvert needs at least ${MIN_FRAME_SIDE} pixels on each side`);
  }
  const duration = probe?.Container?.Duration ?? video.Duration;
  return {
    width,
    height,
    hasAudio: tracks.some((track) => track.TrackType === 'audio'),
    durationSeconds: duration,
  };
}

function usableRatio(ratio: AspectRatio | undefined): AspectRatio | undefined {
  return ratio?.Numerator && ratio?.Denominator && ratio.Numerator > 0 && ratio.Denominator > 0 ? ratio : undefined;
}
