import type { ProbeResult } from '@aws-sdk/client-mediaconvert';

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

/** Reads the display size and audio presence of a source from MediaConvert's probe. */
export function sourceInfoFromProbe(probe: ProbeResult | undefined): SourceInfo {
  const tracks = probe?.Container?.Tracks ?? [];
  const video = tracks.find((track) => track.TrackType === 'video' && track.VideoProperties?.Width && track.VideoProperties?.Height);
  if (!video) {
    throw new UnusableSourceError('NO_VIDEO_TRACK', 'the source has no video track MediaConvert can read');
  }
  const properties = video.VideoProperties!;
  const sar = properties.SampleAspectRatio;
  const stretch = sar?.Numerator && sar?.Denominator ? sar.Numerator / sar.Denominator : 1;
  let width = Math.round(properties.Width! * stretch);
  let height = properties.Height!;
  if (properties.Rotation === 90 || properties.Rotation === 270) {
    [width, height] = [height, width];
  }
  if (Math.min(width, height) < MIN_FRAME_SIDE) {
    throw new UnusableSourceError('SOURCE_TOO_SMALL', `the source is ${width}x${height}; MediaConvert needs at least ${MIN_FRAME_SIDE} pixels on each side`);
  }
  const duration = probe?.Container?.Duration ?? video.Duration;
  return {
    width,
    height,
    hasAudio: tracks.some((track) => track.TrackType === 'audio'),
    durationSeconds: duration,
  };
}
