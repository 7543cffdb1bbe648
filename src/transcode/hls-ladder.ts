import { Token } from 'aws-cdk-lib';
import { DOWNLOAD_MAX_SHORT_SIDE, H264_MAX_SHORT_SIDE, LadderSpec } from './ladder-spec';

/**
 * One rung of an HLS ladder.
 */
export interface HlsRung {
  /**
   * The rung's short side in pixels: its height for a landscape source, its
   * width for a portrait one (a 720 rung of a 1080x1920 source is 720x1280).
   * The long side follows the source's aspect ratio. Even, from 144 to 2160:
   * MediaConvert encodes H.264 frames up to 4096x2160 (or 2160x4096), and a
   * rendition whose long side would pass 4096 is shrunk to fit, keeping its
   * aspect ratio.
   */
  readonly shortSide: number;

  /**
   * The highest bitrate QVBR may spend on the rung's video, in bits per second.
   */
  readonly maxBitrate: number;

  /**
   * The QVBR quality level, 1 (lowest) to 10.
   *
   * @default 7 up to 1080, 8 above (MediaConvert's guidance)
   */
  readonly qvbrQualityLevel?: number;
}

/**
 * Options of an automatic ladder, where MediaConvert's automated ABR chooses
 * the rungs from the content.
 */
export interface AutomaticLadderOptions {
  /**
   * Most renditions, 3 to 15.
   *
   * @default 6
   */
  readonly maxRenditions?: number;

  /**
   * Highest bitrate of the top rendition, bits per second.
   *
   * @default 8_000_000
   */
  readonly maxBitrate?: number;

  /**
   * Lowest bitrate of the bottom rendition, bits per second.
   *
   * @default 600_000
   */
  readonly minBitrate?: number;
}

/**
 * What to count in a cost estimate.
 */
export interface LadderCostOptions {
  /**
   * The short side of the source, in pixels; rungs above it are not encoded.
   *
   * @default - every rung is encoded
   */
  readonly sourceShortSide?: number;

  /**
   * Count the MP4 download rendition too.
   *
   * @default false
   */
  readonly download?: boolean;
}

/**
 * Output minutes MediaConvert bills per minute of source, by resolution class
 * of each output's short side: SD below 720, HD 720 to 1080, UHD above.
 * Poster frame captures are not counted.
 */
export interface LadderCostEstimate {
  readonly sdMinutes: number;
  readonly hdMinutes: number;
  readonly uhdMinutes: number;
  /** All output minutes; for an automatic ladder the upper bound, its classes unknown. */
  readonly totalMinutes: number;
  /** Whether the ladder needs MediaConvert's Professional tier (automated ABR does). */
  readonly professionalTier: boolean;
}

/**
 * The renditions every source is encoded into: H.264 with QVBR rate control
 * and AAC audio, never upscaled past the source, in the source's orientation
 * and aspect ratio.
 */
export class HlsLadder {
  /**
   * Five rungs from 270 to 1080, after the ladders of the streaming industry:
   * 270 at 400 kb/s, 360 at 800 kb/s, 540 at 2 Mb/s, 720 at 3.5 Mb/s, 1080 at 6 Mb/s.
   */
  public static standard(): HlsLadder {
    return new HlsLadder(STANDARD_RUNGS);
  }

  /**
   * The standard ladder with 1440 at 10 Mb/s and 2160 at 16 Mb/s on top, for
   * 4K sources. Lower-resolution sources still stop at their own size.
   */
  public static uhd(): HlsLadder {
    return new HlsLadder([
      ...STANDARD_RUNGS,
      { shortSide: 1440, maxBitrate: 10_000_000 },
      { shortSide: 2160, maxBitrate: 16_000_000 },
    ]);
  }

  /**
   * A ladder of your own rungs, from 1 to 10 of them with distinct short sides.
   */
  public static fromRungs(rungs: HlsRung[]): HlsLadder {
    return new HlsLadder(rungs);
  }

  /**
   * MediaConvert's automated ABR picks the rungs per title. It is a
   * Professional tier feature and needs multi-pass encoding.
   */
  public static automatic(options: AutomaticLadderOptions = {}): HlsLadder {
    const automatic = {
      maxRenditions: options.maxRenditions ?? 6,
      maxBitrate: options.maxBitrate ?? 8_000_000,
      minBitrate: options.minBitrate ?? 600_000,
    };
    const errors: string[] = [];
    wholeIn(errors, 'maxRenditions', automatic.maxRenditions, 3, 15);
    wholeIn(errors, 'maxBitrate', automatic.maxBitrate, 100_000, 100_000_000);
    wholeIn(errors, 'minBitrate', automatic.minBitrate, 100_000, automatic.maxBitrate);
    throwIfAny('automatic ladder', errors);
    return new HlsLadder([], automatic);
  }

  /** The fixed rungs, lowest first; empty for an automatic ladder. */
  public readonly rungs: HlsRung[];

  /** The automated ABR options; set only for an automatic ladder. */
  public readonly automaticOptions?: AutomaticLadderOptions;

  private constructor(rungs: HlsRung[], automatic?: Required<AutomaticLadderOptions>) {
    const errors: string[] = [];
    if (!automatic && (rungs.length < 1 || rungs.length > 10)) {
      errors.push(`a ladder has 1 to 10 rungs, got ${rungs.length}`);
    }
    rungs.forEach((rung, index) => {
      const name = `rung ${index + 1}`;
      if (Number.isInteger(rung.shortSide) && rung.shortSide > H264_MAX_SHORT_SIDE) {
        errors.push(`${name} shortSide is ${rung.shortSide}, but MediaConvert encodes H.264 frames of at most 4096x2160 (or 2160x4096): the largest rung is ${H264_MAX_SHORT_SIDE}`);
      } else {
        wholeIn(errors, `${name} shortSide`, rung.shortSide, 144, H264_MAX_SHORT_SIDE);
      }
      if (rung.shortSide % 2 !== 0) {
        errors.push(`${name} shortSide must be even, got ${rung.shortSide}`);
      }
      wholeIn(errors, `${name} maxBitrate`, rung.maxBitrate, 50_000, 100_000_000);
      if (rung.qvbrQualityLevel !== undefined) {
        wholeIn(errors, `${name} qvbrQualityLevel`, rung.qvbrQualityLevel, 1, 10);
      }
    });
    const sides = rungs.map((rung) => rung.shortSide);
    if (new Set(sides).size !== sides.length) {
      errors.push(`rungs must have distinct short sides, got ${sides.join(', ')}`);
    }
    throwIfAny('ladder', errors);
    this.rungs = [...rungs].sort((a, b) => a.shortSide - b.shortSide);
    this.automaticOptions = automatic;
  }

  /**
   * Output minutes billed per source minute. With the standard ladder and a
   * 1080p source that is 3 SD and 2 HD minutes.
   */
  public outputMinutesPerSourceMinute(options: LadderCostOptions = {}): LadderCostEstimate {
    const download = options.download ?? false;
    if (this.automaticOptions) {
      return {
        sdMinutes: 0,
        hdMinutes: 0,
        uhdMinutes: 0,
        totalMinutes: this.automaticOptions.maxRenditions! + (download ? 1 : 0),
        professionalTier: true,
      };
    }
    const source = options.sourceShortSide;
    let encoded = source === undefined ? this.rungs : this.rungs.filter((rung) => rung.shortSide <= source);
    if (encoded.length === 0 && source !== undefined) {
      encoded = [{ shortSide: source, maxBitrate: this.rungs[0].maxBitrate }];
    }
    const sides = encoded.map((rung) => rung.shortSide);
    if (download) {
      sides.push(Math.min(Math.max(...sides), DOWNLOAD_MAX_SHORT_SIDE));
    }
    const count = (test: (side: number) => boolean) => sides.filter(test).length;
    const sd = count((side) => side < 720);
    const hd = count((side) => side >= 720 && side <= 1080);
    const uhd = count((side) => side > 1080);
    return { sdMinutes: sd, hdMinutes: hd, uhdMinutes: uhd, totalMinutes: sd + hd + uhd, professionalTier: false };
  }

  /** @internal */
  public _toSpec(): LadderSpec {
    const rungs = this.rungs.map((rung) => ({
      shortSide: rung.shortSide,
      maxBitrate: rung.maxBitrate,
      qvbrQualityLevel: rung.qvbrQualityLevel ?? (rung.shortSide > 1080 ? 8 : 7),
    }));
    return this.automaticOptions ? { rungs, automatic: this.automaticOptions as LadderSpec['automatic'] } : { rungs };
  }
}

const STANDARD_RUNGS: HlsRung[] = [
  { shortSide: 270, maxBitrate: 400_000 },
  { shortSide: 360, maxBitrate: 800_000 },
  { shortSide: 540, maxBitrate: 2_000_000 },
  { shortSide: 720, maxBitrate: 3_500_000 },
  { shortSide: 1080, maxBitrate: 6_000_000 },
];

function wholeIn(errors: string[], name: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) {
    errors.push(`${name} must be a number known at synth time`);
  } else if (!Number.isInteger(value) || value < min || value > max) {
    errors.push(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

function throwIfAny(what: string, errors: string[]): void {
  if (errors.length > 0) {
    throw new Error(`invalid ${what}: ${errors.join('; ')}`);
  }
}
