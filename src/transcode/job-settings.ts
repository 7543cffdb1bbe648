import type { AudioDescription, JobSettings, Output, OutputGroup, VideoCodecSettings, VideoDescription } from '@aws-sdk/client-mediaconvert';
import { DOWNLOAD_MAX_SHORT_SIDE, LadderSpec } from './ladder-spec';
import { SourceInfo } from './source-info';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';

/** How every job of a pipeline is encoded, fixed at synth time. */
export interface EncodingPlan {
  readonly ladder: LadderSpec;
  readonly segmentSeconds: number;
  readonly qualityTuning: 'SINGLE_PASS' | 'SINGLE_PASS_HQ' | 'MULTI_PASS_HQ';
  /** Poster frames: one every `intervalSeconds`, at most `maxCaptures`; none when undefined. */
  readonly posters?: { readonly intervalSeconds: number; readonly maxCaptures: number };
  readonly download: boolean;
  /** Raw overrides applied last, in order: `path` is dotted, numbers index arrays. */
  readonly overrides: ReadonlyArray<{ readonly path: string; readonly value: unknown }>;
}

/** One encoded rendition as planned. */
export interface PlannedRendition {
  readonly width: number;
  readonly height: number;
  readonly maxBitrate: number;
  readonly qvbrQualityLevel: number;
}

/** The poster frames are encoded at the rendition closest to, but not above, this short side. */
const POSTER_SHORT_SIDE = 720;

/**
 * The renditions a source gets: every rung at or below the source's short
 * side, oriented like the source and with its aspect ratio (even sides). A
 * source smaller than every rung gets one rendition at its own size.
 */
export function planRenditions(ladder: LadderSpec, source: SourceInfo): PlannedRendition[] {
  const shortSide = Math.min(source.width, source.height);
  const portrait = source.height > source.width;
  const fitting = ladder.rungs.filter((rung) => rung.shortSide <= shortSide);
  const rungs = fitting.length > 0 ? fitting : [{ ...ladder.rungs[0], shortSide: even(shortSide, 'down') }];
  return rungs.map((rung) => {
    const longSide = Math.max(source.width, source.height);
    const long = even(longSide * rung.shortSide / shortSide);
    return {
      width: portrait ? rung.shortSide : long,
      height: portrait ? long : rung.shortSide,
      maxBitrate: rung.maxBitrate,
      qvbrQualityLevel: rung.qvbrQualityLevel,
    };
  });
}

/**
 * MediaConvert job settings for one source: an HLS group with one muxed
 * video+audio output a rendition (or automated ABR), poster frame captures
 * under the public poster prefix, and an optional MP4 download. The plan's
 * raw overrides are applied last.
 */
export function buildJobSettings(
  plan: EncodingPlan, source: SourceInfo, input: { fileUrl: string; outputBucket: string; videoId: string },
): JobSettings {
  const videoFolder = `s3://${input.outputBucket}/${OUTPUT_LAYOUT.videoFolder(input.videoId)}`;
  const gopSeconds = plan.segmentSeconds % 2 === 0 ? 2 : 1;
  const audio = source.hasAudio ? [aacAudio()] : undefined;
  const renditions = planRenditions(plan.ladder, source);

  const h264 = (rendition: Pick<PlannedRendition, 'maxBitrate' | 'qvbrQualityLevel'>, qualityTuning = plan.qualityTuning): VideoCodecSettings => ({
    Codec: 'H_264',
    H264Settings: {
      RateControlMode: 'QVBR',
      QvbrSettings: { QvbrQualityLevel: rendition.qvbrQualityLevel },
      MaxBitrate: rendition.maxBitrate,
      QualityTuningLevel: qualityTuning,
      CodecProfile: 'HIGH',
      CodecLevel: 'AUTO',
      GopSize: gopSeconds,
      GopSizeUnits: 'SECONDS',
      GopClosedCadence: 1,
      NumberBFramesBetweenReferenceFrames: 2,
      SceneChangeDetect: 'TRANSITION_DETECTION',
      InterlaceMode: 'PROGRESSIVE',
      FramerateControl: 'INITIALIZE_FROM_SOURCE',
      ParControl: 'SPECIFIED',
      ParNumerator: 1,
      ParDenominator: 1,
    },
  });
  const video = (rendition: PlannedRendition): VideoDescription => ({
    Width: rendition.width,
    Height: rendition.height,
    ScalingBehavior: 'DEFAULT',
    AntiAlias: 'ENABLED',
    CodecSettings: h264(rendition),
  });

  const hls: OutputGroup = plan.ladder.automatic
    ? {
      Name: 'HLS',
      OutputGroupSettings: {
        Type: 'HLS_GROUP_SETTINGS',
        HlsGroupSettings: hlsGroupSettings(`${videoFolder}master`, plan.segmentSeconds),
      },
      AutomatedEncodingSettings: {
        AbrSettings: {
          MaxRenditions: plan.ladder.automatic.maxRenditions,
          MaxAbrBitrate: plan.ladder.automatic.maxBitrate,
          MinAbrBitrate: plan.ladder.automatic.minBitrate,
        },
      },
      Outputs: [{
        NameModifier: '_abr',
        ContainerSettings: { Container: 'M3U8', M3u8Settings: {} },
        VideoDescription: { ScalingBehavior: 'DEFAULT', CodecSettings: h264({ maxBitrate: plan.ladder.automatic.maxBitrate, qvbrQualityLevel: 7 }, 'MULTI_PASS_HQ') },
        AudioDescriptions: audio,
      }],
    }
    : {
      Name: 'HLS',
      OutputGroupSettings: {
        Type: 'HLS_GROUP_SETTINGS',
        HlsGroupSettings: hlsGroupSettings(`${videoFolder}master`, plan.segmentSeconds),
      },
      Outputs: renditions.map((rendition): Output => ({
        NameModifier: `_${rendition.width}x${rendition.height}`,
        ContainerSettings: { Container: 'M3U8', M3u8Settings: {} },
        VideoDescription: video(rendition),
        AudioDescriptions: audio,
      })),
    };

  const groups: OutputGroup[] = [hls];
  if (plan.posters) {
    const poster = renditions.filter((r) => Math.min(r.width, r.height) <= POSTER_SHORT_SIDE).pop() ?? renditions[0];
    groups.push({
      Name: 'Posters',
      OutputGroupSettings: {
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: { Destination: `s3://${input.outputBucket}/${OUTPUT_LAYOUT.posterFolder(input.videoId)}poster` },
      },
      Outputs: [{
        ContainerSettings: { Container: 'RAW' },
        Extension: 'jpg',
        VideoDescription: {
          Width: poster.width,
          Height: poster.height,
          ScalingBehavior: 'DEFAULT',
          CodecSettings: {
            Codec: 'FRAME_CAPTURE',
            FrameCaptureSettings: {
              FramerateNumerator: 1,
              FramerateDenominator: plan.posters.intervalSeconds,
              MaxCaptures: plan.posters.maxCaptures,
              Quality: 80,
            },
          },
        },
      }],
    });
  }
  if (plan.download) {
    const top = renditions.filter((r) => Math.min(r.width, r.height) <= DOWNLOAD_MAX_SHORT_SIDE).pop() ?? renditions[0];
    groups.push({
      Name: 'Download',
      OutputGroupSettings: {
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: { Destination: `${videoFolder}download` },
      },
      Outputs: [{
        ContainerSettings: { Container: 'MP4', Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' } },
        VideoDescription: video(top),
        AudioDescriptions: audio,
      }],
    });
  }

  const settings: JobSettings = {
    TimecodeConfig: { Source: 'ZEROBASED' },
    Inputs: [{
      FileInput: input.fileUrl,
      TimecodeSource: 'ZEROBASED',
      VideoSelector: { Rotate: 'AUTO' },
      AudioSelectors: source.hasAudio ? { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } } : undefined,
    }],
    OutputGroups: groups,
  };
  return applyOverrides(settings, plan.overrides);
}

function hlsGroupSettings(destination: string, segmentSeconds: number) {
  return {
    Destination: destination,
    SegmentLength: segmentSeconds,
    MinSegmentLength: 0,
    SegmentControl: 'SEGMENTED_FILES' as const,
    DirectoryStructure: 'SINGLE_DIRECTORY' as const,
    ManifestDurationFormat: 'FLOATING_POINT' as const,
    OutputSelection: 'MANIFESTS_AND_SEGMENTS' as const,
    ProgramDateTime: 'EXCLUDE' as const,
    CodecSpecification: 'RFC_4281' as const,
    StreamInfResolution: 'INCLUDE' as const,
    ClientCache: 'ENABLED' as const,
    CaptionLanguageSetting: 'OMIT' as const,
  };
}

function aacAudio(): AudioDescription {
  return {
    AudioSourceName: 'Audio Selector 1',
    CodecSettings: {
      Codec: 'AAC',
      AacSettings: { Bitrate: 128_000, CodingMode: 'CODING_MODE_2_0', SampleRate: 48_000, RateControlMode: 'CBR' },
    },
  };
}

/** Rounds to an even number of pixels, as H.264 with 4:2:0 chroma requires. */
function even(value: number, direction: 'nearest' | 'down' = 'nearest'): number {
  return direction === 'down' ? Math.floor(value / 2) * 2 : Math.max(2, Math.round(value / 2) * 2);
}

/**
 * Sets each override's value at its dotted path. Objects on the way are
 * created; an array index must already exist, so an override aimed at an
 * output this source does not have fails loudly instead of being ignored.
 */
export function applyOverrides<T extends object>(settings: T, overrides: EncodingPlan['overrides']): T {
  const result = JSON.parse(JSON.stringify(settings));
  for (const { path, value } of overrides) {
    const parts = path.split('.');
    let node: Record<string, unknown> | unknown[] = result;
    parts.forEach((part, index) => {
      const last = index === parts.length - 1;
      if (Array.isArray(node)) {
        const position = Number(part);
        if (!Number.isInteger(position) || position < 0 || position >= node.length) {
          throw new Error(`settings override ${JSON.stringify(path)}: ${parts.slice(0, index).join('.')} has ${node.length} entries, no index ${part}`);
        }
        if (last) {
          node[position] = value;
        } else {
          node = node[position] as Record<string, unknown>;
        }
        return;
      }
      if (last) {
        if (value === undefined) {
          delete node[part];
        } else {
          node[part] = value;
        }
        return;
      }
      if (typeof node[part] !== 'object' || node[part] === null) {
        node[part] = {};
      }
      node = node[part] as Record<string, unknown>;
    });
  }
  return result;
}
