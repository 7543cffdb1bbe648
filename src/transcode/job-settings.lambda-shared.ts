import type { AudioDescription, HlsGroupSettings, JobSettings, Output, OutputGroup, VideoCodecSettings, VideoDescription } from '@aws-sdk/client-mediaconvert';
import { AUDIO_BITRATE, DOWNLOAD_MAX_SHORT_SIDE, H264_MAX_LONG_SIDE, H264_MAX_SHORT_SIDE, LadderSpec } from './ladder-spec';
import { SourceInfo } from './source-info.lambda-shared';
import { thumbnailSize, TrickPlayPlan } from './trick-play.lambda-shared';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';

/** How every job of a pipeline is encoded, fixed at synth time. */
export interface EncodingPlan {
  readonly ladder: LadderSpec;
  readonly segmentSeconds: number;
  readonly qualityTuning: 'SINGLE_PASS' | 'SINGLE_PASS_HQ' | 'MULTI_PASS_HQ';
  /** Poster frames: one every `intervalSeconds`, at most `maxCaptures`; none when undefined. */
  readonly posters?: { readonly intervalSeconds: number; readonly maxCaptures: number };
  readonly download: boolean;
  /** Tiled scrub thumbnails on the HLS group (image-based trick play); none when undefined. */
  readonly trickPlay?: TrickPlayPlan;
  /** Automatic captions: an audio-only MP3 of each source with sound, for Amazon Transcribe; none when undefined. */
  readonly speech?: SpeechPlan;
  /** Raw overrides applied last, in order: `path` is dotted, numbers index arrays. */
  readonly overrides: ReadonlyArray<{ readonly path: string; readonly value: unknown }>;
}

/** How automatic captions are made: the language spoken, or Amazon Transcribe identifies it. */
export interface SpeechPlan {
  /** An Amazon Transcribe language code such as `en-US`; undefined to have Transcribe identify the language. */
  readonly languageCode?: string;
  /** With language identification, the languages it chooses among (at least two); all it knows when undefined. */
  readonly languageOptions?: readonly string[];
  /** The role Amazon Transcribe assumes to read and write a job it queued; without it, jobs are not queued. */
  readonly dataAccessRoleArn?: string;
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
 * The largest frame MediaConvert encodes with H.264: 4096x2160 landscape or
 * 2160x4096 portrait ("Supported output resolution maximums by codec",
 * MediaConvert User Guide). A larger output fails the job.
 */
export const H264_MAX_FRAME = { longSide: H264_MAX_LONG_SIDE, shortSide: H264_MAX_SHORT_SIDE } as const;

/**
 * The renditions a source gets: every rung at or below the source's short
 * side, oriented like the source and with its aspect ratio (even sides),
 * scaled down further where a side would pass H.264's frame limit. A source
 * smaller than every rung gets one rendition at its own size. Rungs that end
 * at the same size after fitting are encoded once.
 */
export function planRenditions(ladder: LadderSpec, source: SourceInfo): PlannedRendition[] {
  const shortSide = Math.min(source.width, source.height);
  const fitting = ladder.rungs.filter((rung) => rung.shortSide <= shortSide);
  const rungs = fitting.length > 0 ? fitting : [{ ...ladder.rungs[0], shortSide: even(shortSide, 'down') }];
  const planned: PlannedRendition[] = [];
  for (const rung of rungs) {
    const { width, height } = fitFrame(source, rung.shortSide);
    if (!planned.some((r) => r.width === width && r.height === height)) {
      planned.push({ width, height, maxBitrate: rung.maxBitrate, qvbrQualityLevel: rung.qvbrQualityLevel });
    }
  }
  return planned;
}

/**
 * The frame of a rendition whose short side is `shortSide` (at most the
 * source's), in the source's orientation and aspect ratio, shrunk until both
 * sides are within H.264's limit, each side even.
 */
export function fitFrame(source: Pick<SourceInfo, 'width' | 'height'>, shortSide: number): { width: number; height: number } {
  const portrait = source.height > source.width;
  const sourceShort = Math.min(source.width, source.height);
  const sourceLong = Math.max(source.width, source.height);
  let short = shortSide;
  let long = even(sourceLong * shortSide / sourceShort);
  if (short > H264_MAX_FRAME.shortSide || long > H264_MAX_FRAME.longSide) {
    // Shrink by the tighter of the two limits, rounding down so neither side passes it.
    const scale = Math.min(H264_MAX_FRAME.shortSide / sourceShort, H264_MAX_FRAME.longSide / sourceLong);
    short = even(sourceShort * scale + 1e-9, 'down');
    long = even(sourceLong * scale + 1e-9, 'down');
  }
  return portrait ? { width: short, height: long } : { width: long, height: short };
}

/**
 * MediaConvert job settings for one source: an HLS group with one muxed
 * video+audio output a rendition (or automated ABR), poster frame captures
 * under the public poster prefix, and an optional MP4 download. The plan's
 * raw overrides are applied last.
 */
export function buildJobSettings(
  plan: EncodingPlan, source: SourceInfo, input: { fileUrl: string; outputBucket: string; videoId: string; encryption?: SegmentEncryption },
): JobSettings {
  const videoFolder = `s3://${input.outputBucket}/${OUTPUT_LAYOUT.videoFolder(input.videoId)}`;
  const gopSeconds = plan.segmentSeconds % 2 === 0 ? 2 : 1;
  const audio = source.hasAudio ? [aacAudio()] : undefined;
  const renditions = plan.ladder.automatic ? [] : planRenditions(plan.ladder, source);

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

  const stackFrame = cappedFrame(source, H264_MAX_FRAME.shortSide);
  const hls: OutputGroup = plan.ladder.automatic
    ? {
      Name: 'HLS',
      OutputGroupSettings: {
        Type: 'HLS_GROUP_SETTINGS',
        HlsGroupSettings: hlsGroupSettings(`${videoFolder}master`, plan.segmentSeconds, plan.trickPlay, source, input.encryption),
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
        // With automated ABR, the size is the largest rendition the stack may have: the source's, within H.264's limit.
        VideoDescription: {
          Width: stackFrame.width,
          Height: stackFrame.height,
          ScalingBehavior: 'DEFAULT',
          CodecSettings: h264({ maxBitrate: plan.ladder.automatic.maxBitrate, qvbrQualityLevel: 7 }, 'MULTI_PASS_HQ'),
        },
        AudioDescriptions: audio,
      }],
    }
    : {
      Name: 'HLS',
      OutputGroupSettings: {
        Type: 'HLS_GROUP_SETTINGS',
        HlsGroupSettings: hlsGroupSettings(`${videoFolder}master`, plan.segmentSeconds, plan.trickPlay, source, input.encryption),
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
    const poster = plan.ladder.automatic
      ? cappedFrame(source, POSTER_SHORT_SIDE)
      : renditions.filter((r) => Math.min(r.width, r.height) <= POSTER_SHORT_SIDE).pop() ?? renditions[0];
    // The poster is a capture of its own: MediaConvert reports only the last image of a
    // frame-capture output, so an output of one image is the only one whose key is known exactly.
    groups.push(frameCaptureGroup('Poster', `s3://${input.outputBucket}/${OUTPUT_LAYOUT.posterFolder(input.videoId)}${OUTPUT_LAYOUT.posterBaseName}`, poster, 1, 1));
    if (plan.posters.maxCaptures > 1) {
      groups.push(frameCaptureGroup('Frames', `s3://${input.outputBucket}/${OUTPUT_LAYOUT.posterFolder(input.videoId)}${OUTPUT_LAYOUT.frameBaseName}`,
        poster, plan.posters.intervalSeconds, plan.posters.maxCaptures));
    }
  }
  if (plan.download) {
    groups.push({
      Name: 'Download',
      OutputGroupSettings: {
        Type: 'FILE_GROUP_SETTINGS',
        FileGroupSettings: { Destination: `${videoFolder}download` },
      },
      Outputs: [{
        ContainerSettings: { Container: 'MP4', Mp4Settings: { MoovPlacement: 'PROGRESSIVE_DOWNLOAD' } },
        VideoDescription: video(downloadRendition(plan, source, renditions)),
        AudioDescriptions: audio,
      }],
    });
  }

  if (plan.speech && source.hasAudio) {
    groups.push(speechGroup(videoFolder));
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

/**
 * The MP4 download: the top rendition at most 1080 on its short side. With an
 * automatic ladder, whose renditions are chosen by MediaConvert, it is the
 * source's size within that bound at the ladder's highest bitrate, so the
 * output has the MaxBitrate QVBR needs.
 */
function downloadRendition(plan: EncodingPlan, source: SourceInfo, renditions: PlannedRendition[]): PlannedRendition {
  if (plan.ladder.automatic) {
    return { ...cappedFrame(source, DOWNLOAD_MAX_SHORT_SIDE), maxBitrate: plan.ladder.automatic.maxBitrate, qvbrQualityLevel: 7 };
  }
  return renditions.filter((r) => Math.min(r.width, r.height) <= DOWNLOAD_MAX_SHORT_SIDE).pop() ?? renditions[0];
}

/** The source's frame with its short side at most `cap`, within H.264's limit. */
function cappedFrame(source: SourceInfo, cap: number): { width: number; height: number } {
  return fitFrame(source, Math.min(even(Math.min(source.width, source.height), 'down'), cap));
}

/** A file group of JPEG frame captures: one every `intervalSeconds` from the start, at most `maxCaptures`. */
function frameCaptureGroup(name: string, destination: string, size: Pick<PlannedRendition, 'width' | 'height'>, intervalSeconds: number, maxCaptures: number): OutputGroup {
  return {
    Name: name,
    OutputGroupSettings: { Type: 'FILE_GROUP_SETTINGS', FileGroupSettings: { Destination: destination } },
    Outputs: [{
      ContainerSettings: { Container: 'RAW' },
      Extension: 'jpg',
      VideoDescription: {
        Width: size.width,
        Height: size.height,
        ScalingBehavior: 'DEFAULT',
        CodecSettings: {
          Codec: 'FRAME_CAPTURE',
          FrameCaptureSettings: { FramerateNumerator: 1, FramerateDenominator: intervalSeconds, MaxCaptures: maxCaptures, Quality: 80 },
        },
      },
    }],
  };
}

function hlsGroupSettings(
  destination: string, segmentSeconds: number, trickPlay: TrickPlayPlan | undefined, source: SourceInfo, encryption: SegmentEncryption | undefined,
): HlsGroupSettings {
  return {
    ...(trickPlay ? imageBasedTrickPlay(trickPlay, source) : {}),
    ...(encryption ? { Encryption: hlsEncryption(encryption) } : {}),
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

/** A video's AES-128 content key and the URL players fetch it from. */
export interface SegmentEncryption {
  /** The key: 16 bytes. */
  readonly key: Uint8Array;
  /** Written as the `URI` of each media playlist's `#EXT-X-KEY`. */
  readonly keyUrl: string;
}

/**
 * HLS AES-128 with a static key (HlsEncryptionSettings, MediaConvert API
 * Reference): every segment of every rendition encrypted whole with the
 * video's key, written as 32 hex characters (StaticKeyValue), and the key's
 * URL given as the StaticKeyProvider's Url, "the URL to include in the
 * manifest so that content can be decrypted" (MediaConvert User Guide,
 * encrypting content): the `URI` of the media playlists' `#EXT-X-KEY`. No
 * constant initialization vector: each segment's IV "will follow the segment
 * number". How MediaConvert numbers segments is not documented against the
 * playlist's media sequence numbers, which players take as the IV when
 * `#EXT-X-KEY` names none (RFC 8216, 5.2), so the IV is written in the
 * manifest (InitializationVectorInManifest INCLUDE) and no player guesses it.
 */
function hlsEncryption(encryption: SegmentEncryption): NonNullable<HlsGroupSettings['Encryption']> {
  if (encryption.key.length !== 16) {
    throw new Error(`an AES-128 key is 16 bytes, got ${encryption.key.length}`);
  }
  return {
    EncryptionMethod: 'AES128',
    Type: 'STATIC_KEY',
    StaticKeyProvider: { StaticKeyValue: Buffer.from(encryption.key).toString('hex'), Url: encryption.keyUrl },
    InitializationVectorInManifest: 'INCLUDE',
  };
}

/**
 * Tiled JPEG thumbnails for scrubbing: ImageBasedTrickPlay ADVANCED, one
 * thumbnail every interval (IntervalCadence FOLLOW_CUSTOM, ThumbnailInterval),
 * tiled TileWidth x TileHeight to an image (HlsImageBasedTrickPlaySettings,
 * MediaConvert API Reference). The thumbnail has the source's aspect ratio,
 * ThumbnailWidth divisible by 8 and ThumbnailHeight by 2 as documented.
 */
function imageBasedTrickPlay(plan: TrickPlayPlan, source: SourceInfo): Pick<HlsGroupSettings, 'ImageBasedTrickPlay' | 'ImageBasedTrickPlaySettings'> {
  const thumbnail = thumbnailSize(plan, source);
  return {
    ImageBasedTrickPlay: 'ADVANCED',
    ImageBasedTrickPlaySettings: {
      IntervalCadence: 'FOLLOW_CUSTOM',
      ThumbnailInterval: plan.intervalSeconds,
      ThumbnailWidth: thumbnail.width,
      ThumbnailHeight: thumbnail.height,
      TileWidth: plan.tileColumns,
      TileHeight: plan.tileRows,
    },
  };
}

/**
 * The audio alone, for speech to text: an MP3 in no container (RAW), a
 * format Amazon Transcribe reads, mono at 44.1 kHz (Transcribe recommends
 * 16 kHz or more). Audio costs far less to encode than video and the file is
 * small: 64 kbit/s is 0.5 MB a minute.
 */
function speechGroup(videoFolder: string): OutputGroup {
  return {
    Name: 'Speech',
    OutputGroupSettings: { Type: 'FILE_GROUP_SETTINGS', FileGroupSettings: { Destination: `${videoFolder}speech` } },
    Outputs: [{
      ContainerSettings: { Container: 'RAW' },
      Extension: 'mp3',
      AudioDescriptions: [{
        AudioSourceName: 'Audio Selector 1',
        CodecSettings: { Codec: 'MP3', Mp3Settings: { Bitrate: 64_000, Channels: 1, SampleRate: 44_100, RateControlMode: 'CBR' } },
      }],
    }],
  };
}

function aacAudio(): AudioDescription {
  return {
    AudioSourceName: 'Audio Selector 1',
    CodecSettings: {
      Codec: 'AAC',
      AacSettings: { Bitrate: AUDIO_BITRATE, CodingMode: 'CODING_MODE_2_0', SampleRate: 48_000, RateControlMode: 'CBR' },
    },
  };
}

/** Rounds to an even number of pixels, as H.264 with 4:2:0 chroma requires. */
function even(value: number, direction: 'nearest' | 'down' = 'nearest'): number {
  return direction === 'down' ? Math.floor(value / 2) * 2 : Math.max(2, Math.round(value / 2) * 2);
}

/** A settings override that does not fit the settings built for a source (an index past an array's end). */
export class SettingsOverrideError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsOverrideError';
  }
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
          throw new SettingsOverrideError(`settings override ${JSON.stringify(path)}: ${parts.slice(0, index).join('.')} has ${node.length} entries, no index ${part}`);
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
