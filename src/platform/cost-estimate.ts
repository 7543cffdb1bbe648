import { Duration, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import { HlsLadder, HlsRung, LadderCostEstimate, LadderCostOptions } from '../transcode/hls-ladder';
import { AUDIO_BITRATE, DOWNLOAD_MAX_SHORT_SIDE } from '../transcode/ladder-spec';

/**
 * What MediaConvert charges for one minute of one output, by resolution class
 * of the output's short side, in one pricing tier.
 */
export interface MediaConvertMinutePrices {
  /** Dollars per output minute of an SD output (short side below 720). */
  readonly sd: number;

  /** Dollars per output minute of an HD output (short side 720 to 1080). */
  readonly hd: number;

  /** Dollars per output minute of a UHD output (short side above 1080). */
  readonly uhd: number;
}

/**
 * The unit prices a cost estimate multiplies, in dollars, for one Region.
 */
export interface PlatformPrices {
  /** MediaConvert's Basic tier: AVC, single pass, outputs up to 30 frames per second. */
  readonly mediaConvertBasic: MediaConvertMinutePrices;

  /**
   * MediaConvert's Professional tier, for the features your pipeline uses
   * (automated ABR, multi-pass HQ, acceleration).
   *
   * @default - none: an estimate that needs the Professional tier throws
   */
  readonly mediaConvertProfessional?: MediaConvertMinutePrices;

  /** S3 Standard storage, dollars per GB-month. */
  readonly s3StandardPerGbMonth: number;

  /** CloudFront data transfer out to the internet, dollars per GB. */
  readonly cloudFrontPerGb: number;

  /** CloudFront HTTPS requests, dollars per 10,000. */
  readonly cloudFrontPer10kHttpsRequests: number;

  /** API Gateway HTTP API requests, dollars per million. */
  readonly httpApiPerMillionRequests: number;

  /** Lambda requests, dollars per million. */
  readonly lambdaPerMillionRequests: number;

  /** Lambda duration on Arm (the handlers run on arm64), dollars per GB-second. */
  readonly lambdaArmPerGbSecond: number;

  /** DynamoDB on-demand read request units, dollars per million. */
  readonly dynamoDbPerMillionReadUnits: number;

  /**
   * Amazon Transcribe's batch transcription, dollars per minute of audio:
   * what automatic captions cost.
   *
   * @default - none: an estimate with automatic captions throws
   */
  readonly transcribePerMinute?: number;

  /**
   * MediaConvert's audio-only output, dollars per output minute: the MP3
   * automatic captions are transcribed from.
   *
   * @default - none: an estimate with automatic captions throws
   */
  readonly mediaConvertAudioOnlyPerMinute?: number;
}

/**
 * What to price per minute of source video.
 */
export interface SourceMinuteCostOptions extends LadderCostOptions {
  /**
   * The pipeline's ladder (`pipeline.ladder`).
   *
   * @default HlsLadder.standard()
   */
  readonly ladder?: HlsLadder;

  /**
   * Price the outputs at the Professional tier: set it when the pipeline uses
   * `QualityTuning.MULTI_PASS_HQ` or acceleration.
   *
   * @default - the ladder decides (an automatic ladder needs the Professional tier)
   */
  readonly professionalTier?: boolean;

  /**
   * Price automatic captions too (the pipeline's `automaticCaptions`): one
   * audio-only MediaConvert output and one minute of Amazon Transcribe per
   * minute of source. Needs `transcribePerMinute` and
   * `mediaConvertAudioOnlyPerMinute` among the prices.
   *
   * @default false
   */
  readonly automaticCaptions?: boolean;
}

/**
 * Dollars per minute of source video.
 */
export interface SourceMinuteCost {
  /** The output minutes MediaConvert bills, from `HlsLadder.outputMinutesPerSourceMinute`. */
  readonly outputMinutes: LadderCostEstimate;

  /** Whether the outputs were priced at the Professional tier. */
  readonly professionalTier: boolean;

  /** Transcoding, once per upload: output minutes by class times their price. */
  readonly transcoding: number;

  /** Automatic captions, once per upload: the audio-only output and the transcription; 0 without them. */
  readonly captions: number;

  /**
   * Gigabytes (2^30 bytes) the renditions of one source minute take, each at
   * its rung's maximum bitrate plus 128 kb/s of audio: an upper bound, as QVBR
   * usually spends less.
   */
  readonly storedGigabytes: number;

  /** Storing those renditions in S3 Standard, per month. */
  readonly storagePerMonth: number;
}

/**
 * What an average view looks like.
 */
export interface ViewCostOptions {
  /**
   * How long an average view lasts, in minutes.
   *
   * @default 10
   */
  readonly averageViewMinutes?: number;

  /**
   * The average bitrate delivered to a viewer, video and audio, in bits per second.
   *
   * @default 6_128_000 - the standard ladder's 1080 rung at its maximum (6 Mb/s) plus 128 kb/s of audio
   */
  readonly deliveredBitrate?: number;

  /**
   * The HLS segment length (the pipeline's `segmentLength`): a player fetches one segment per length.
   *
   * @default Duration.seconds(6)
   */
  readonly segmentLength?: Duration;

  /**
   * How often the player calls the API for a playback session: once at the
   * start, then before each session's cookies lapse.
   *
   * @default Duration.minutes(4) - 80% of the default 5-minute session
   */
  readonly sessionRefreshInterval?: Duration;

  /**
   * The API function's memory.
   *
   * @default Size.mebibytes(512) - what EntitlementApi gives it
   */
  readonly apiFunctionMemory?: Size;

  /**
   * How long the API function runs for one playback call (token check,
   * DynamoDB reads, cookie signing).
   *
   * @default Duration.millis(100)
   */
  readonly apiFunctionDuration?: Duration;

  /**
   * DynamoDB read request units one playback call consumes.
   *
   * @default 1.5 - the video (a strongly consistent read, 1) and the caller's entitlement (an eventually consistent read, 0.5)
   */
  readonly readUnitsPerPlaybackCall?: number;
}

/**
 * What 1,000 views cost, in dollars, and the quantities behind it.
 */
export interface ViewCost {
  /** Gigabytes (2^30 bytes) CloudFront delivers. */
  readonly deliveredGigabytes: number;

  /** Playlist and segment requests to CloudFront. */
  readonly mediaRequests: number;

  /** Playback-session calls to the API (through CloudFront, to the HTTP API and its function). */
  readonly apiCalls: number;

  /** CloudFront data transfer out. */
  readonly dataTransfer: number;

  /** CloudFront HTTPS requests, for media and API calls. */
  readonly requests: number;

  /** HTTP API requests and the API function's requests and duration. */
  readonly api: number;

  /** DynamoDB reads. */
  readonly database: number;

  /** All of the above. */
  readonly total: number;
}

/** AAC stereo muxed into every rendition (the pipeline's job settings). */
const BYTES_PER_GB = 1024 ** 3;

/**
 * List prices in US East (N. Virginia), read on 2026-11-22. Only CloudFront's
 * data transfer was read on AWS's pricing page itself; the others are the
 * values AWS's Price List gives for the usage types named, or (HTTP APIs,
 * Lambda on Arm) the US East rates as published pages quote them. Check them
 * against the pricing pages before you rely on them.
 */
const US_EAST_1_LIST_PRICES: PlatformPrices = {
  // AWS Price List: IAD-B-AVC-HD-S-30 $0.015 a minute; IAD-Normalized-Transcode-Minute-Basic
  // $0.0075 (first tier). SD and UHD: that rate times 1 and 4, the resolution multipliers
  // as published pages quote them (not read on AWS's page).
  mediaConvertBasic: { sd: 0.0075, hd: 0.015, uhd: 0.03 },
  // AWS Price List: AmazonS3 TimedStorage-ByteHrs, first 50 TB.
  s3StandardPerGbMonth: 0.023,
  // https://aws.amazon.com/cloudfront/pricing/: United States, Mexico and Canada, first 10 TB.
  cloudFrontPerGb: 0.085,
  // AWS Price List: AmazonCloudFront HTTPS requests, United States ($0.000001 each).
  cloudFrontPer10kHttpsRequests: 0.01,
  // HTTP APIs in US East (N. Virginia), first 300 million a month.
  httpApiPerMillionRequests: 1,
  // AWS Price List: AWSLambda Request.
  lambdaPerMillionRequests: 0.2,
  // Arm, first 7.5 billion GB-seconds a month.
  lambdaArmPerGbSecond: 0.0000133334,
  // AWS Price List: AmazonDynamoDB ReadRequestUnits (PayPerRequestThroughput).
  dynamoDbPerMillionReadUnits: 0.125,
};

/**
 * A rough price of running the platform: transcoding and storage per minute of
 * source video, delivery per 1,000 views. It multiplies list prices by the
 * quantities the platform's defaults produce, and leaves out free tiers,
 * volume discounts (MediaConvert, CloudFront and S3 get cheaper with volume),
 * savings plans, taxes, Cognito's monthly active users, logs, alarms and
 * secrets, the source files you keep, request and data charges below a cent
 * per view (S3 requests, EventBridge, the API's response bytes), and every
 * Region but the one its prices are for.
 */
export class PlatformCostModel {
  /**
   * List prices in US East (N. Virginia), read on 2026-11-22: MediaConvert's
   * Basic tier at $0.0075 (SD), $0.015 (HD) and $0.03 (UHD) per output minute
   * up to 30 fps; S3 Standard at $0.023 per GB-month; CloudFront at $0.085 per
   * GB (United States, first 10 TB) and $0.01 per 10,000 HTTPS requests; HTTP
   * APIs at $1.00 per million; Lambda at $0.20 per million requests and
   * $0.0000133334 per GB-second on Arm; DynamoDB on-demand reads at $0.125 per
   * million units. No Professional tier prices: give them with `fromPrices`.
   */
  public static listPricesUsEast1(): PlatformCostModel {
    return new PlatformCostModel(US_EAST_1_LIST_PRICES);
  }

  /**
   * A model with your own prices: another Region, a discount, the
   * Professional tier.
   */
  public static fromPrices(prices: PlatformPrices): PlatformCostModel {
    return new PlatformCostModel(prices);
  }

  /** The prices this model multiplies. */
  public readonly prices: PlatformPrices;

  private constructor(prices: PlatformPrices) {
    const errors: string[] = [];
    const check = (name: string, value: number | undefined) => nonNegative(errors, name, value);
    const checkTier = (name: string, tier: MediaConvertMinutePrices | undefined) => {
      if (tier) {
        check(`${name}.sd`, tier.sd);
        check(`${name}.hd`, tier.hd);
        check(`${name}.uhd`, tier.uhd);
      }
    };
    if (!prices.mediaConvertBasic) {
      errors.push('mediaConvertBasic is required');
    }
    checkTier('mediaConvertBasic', prices.mediaConvertBasic);
    checkTier('mediaConvertProfessional', prices.mediaConvertProfessional);
    check('s3StandardPerGbMonth', prices.s3StandardPerGbMonth);
    check('cloudFrontPerGb', prices.cloudFrontPerGb);
    check('cloudFrontPer10kHttpsRequests', prices.cloudFrontPer10kHttpsRequests);
    check('httpApiPerMillionRequests', prices.httpApiPerMillionRequests);
    check('lambdaPerMillionRequests', prices.lambdaPerMillionRequests);
    check('lambdaArmPerGbSecond', prices.lambdaArmPerGbSecond);
    check('dynamoDbPerMillionReadUnits', prices.dynamoDbPerMillionReadUnits);
    if (prices.transcribePerMinute !== undefined) {
      check('transcribePerMinute', prices.transcribePerMinute);
    }
    if (prices.mediaConvertAudioOnlyPerMinute !== undefined) {
      check('mediaConvertAudioOnlyPerMinute', prices.mediaConvertAudioOnlyPerMinute);
    }
    throwIfAny('prices', errors);
    this.prices = prices;
  }

  /**
   * Transcoding (once per upload) and storage (per month) of one minute of
   * source video.
   */
  public perSourceMinute(options: SourceMinuteCostOptions = {}): SourceMinuteCost {
    const ladder = options.ladder ?? HlsLadder.standard();
    const sourceShortSide = options.sourceShortSide;
    if (sourceShortSide !== undefined && (Token.isUnresolved(sourceShortSide) || !(sourceShortSide > 0))) {
      throw new Error(`invalid source minute options: sourceShortSide must be a positive number of pixels, got ${sourceShortSide}`);
    }
    const download = options.download ?? false;
    const outputMinutes = ladder.outputMinutesPerSourceMinute({ sourceShortSide, download });
    const professionalTier = options.professionalTier ?? outputMinutes.professionalTier;
    const tier = professionalTier ? this.prices.mediaConvertProfessional : this.prices.mediaConvertBasic;
    if (!tier) {
      throw new Error('this estimate needs MediaConvert\'s Professional tier, but the prices have no mediaConvertProfessional: give them with PlatformCostModel.fromPrices');
    }
    // An automatic ladder's renditions have no known class: price them at the source's (or UHD's) rate, an upper bound.
    const unclassified = outputMinutes.totalMinutes - outputMinutes.sdMinutes - outputMinutes.hdMinutes - outputMinutes.uhdMinutes;
    const transcoding = outputMinutes.sdMinutes * tier.sd + outputMinutes.hdMinutes * tier.hd + outputMinutes.uhdMinutes * tier.uhd
      + unclassified * rateOfClass(tier, sourceShortSide);
    let captions = 0;
    if (options.automaticCaptions) {
      const { transcribePerMinute, mediaConvertAudioOnlyPerMinute } = this.prices;
      if (transcribePerMinute === undefined || mediaConvertAudioOnlyPerMinute === undefined) {
        throw new Error('this estimate prices automatic captions, but the prices have no transcribePerMinute or mediaConvertAudioOnlyPerMinute: give them with PlatformCostModel.fromPrices');
      }
      captions = transcribePerMinute + mediaConvertAudioOnlyPerMinute;
    }
    const bitrate = storedBitrate(ladder, sourceShortSide, download);
    const storedGigabytes = bitrate * 60 / 8 / BYTES_PER_GB;
    return {
      outputMinutes,
      professionalTier,
      transcoding,
      captions,
      storedGigabytes,
      storagePerMonth: storedGigabytes * this.prices.s3StandardPerGbMonth,
    };
  }

  /**
   * Delivery of 1,000 views: CloudFront data transfer and requests for the
   * playlists and segments, and the playback-session calls (HTTP API, Lambda,
   * DynamoDB) that open each view and keep its cookies fresh.
   */
  public perThousandViews(options: ViewCostOptions = {}): ViewCost {
    const errors: string[] = [];
    const viewMinutes = options.averageViewMinutes ?? 10;
    const bitrate = options.deliveredBitrate ?? 6_000_000 + AUDIO_BITRATE;
    const segmentSeconds = seconds(options.segmentLength ?? Duration.seconds(6));
    const refreshSeconds = seconds(options.sessionRefreshInterval ?? Duration.minutes(4));
    const memoryGb = (options.apiFunctionMemory ?? Size.mebibytes(512)).toMebibytes({ rounding: SizeRoundingBehavior.NONE }) / 1024;
    const runSeconds = seconds(options.apiFunctionDuration ?? Duration.millis(100));
    const readUnits = options.readUnitsPerPlaybackCall ?? 1.5;
    positive(errors, 'averageViewMinutes', viewMinutes);
    positive(errors, 'deliveredBitrate', bitrate);
    positive(errors, 'segmentLength', segmentSeconds);
    positive(errors, 'sessionRefreshInterval', refreshSeconds);
    nonNegative(errors, 'readUnitsPerPlaybackCall', readUnits);
    throwIfAny('view options', errors);

    const views = 1000;
    const viewSeconds = viewMinutes * 60;
    const deliveredGigabytes = views * bitrate * viewSeconds / 8 / BYTES_PER_GB;
    // The master playlist and one rendition playlist, then one segment per segment length.
    const mediaRequests = views * (2 + Math.ceil(viewSeconds / segmentSeconds));
    // One call to start, then one per refresh interval while the view lasts.
    const apiCalls = views * Math.ceil(viewSeconds / refreshSeconds);

    const p = this.prices;
    const dataTransfer = deliveredGigabytes * p.cloudFrontPerGb;
    const requests = (mediaRequests + apiCalls) / 10_000 * p.cloudFrontPer10kHttpsRequests;
    const api = apiCalls * ((p.httpApiPerMillionRequests + p.lambdaPerMillionRequests) / 1_000_000
      + memoryGb * runSeconds * p.lambdaArmPerGbSecond);
    const database = apiCalls * readUnits * p.dynamoDbPerMillionReadUnits / 1_000_000;
    return {
      deliveredGigabytes,
      mediaRequests,
      apiCalls,
      dataTransfer,
      requests,
      api,
      database,
      total: dataTransfer + requests + api + database,
    };
  }
}

/** The rate of the source's resolution class; UHD's when the source is unknown. */
function rateOfClass(tier: MediaConvertMinutePrices, shortSide: number | undefined): number {
  if (shortSide === undefined || shortSide > 1080) {
    return tier.uhd;
  }
  return shortSide >= 720 ? tier.hd : tier.sd;
}

/**
 * The bitrate of everything the pipeline stores for a source, video at each
 * rendition's maximum plus audio, as the ladder decides which renditions a
 * source gets (`HlsLadder.outputMinutesPerSourceMinute`).
 */
function storedBitrate(ladder: HlsLadder, sourceShortSide: number | undefined, download: boolean): number {
  const automatic = ladder.automaticOptions;
  if (automatic) {
    const renditions = automatic.maxRenditions! + (download ? 1 : 0);
    return renditions * (automatic.maxBitrate! + AUDIO_BITRATE);
  }
  let encoded: HlsRung[] = sourceShortSide === undefined
    ? ladder.rungs
    : ladder.rungs.filter((rung) => rung.shortSide <= sourceShortSide);
  if (encoded.length === 0) {
    encoded = [{ shortSide: sourceShortSide!, maxBitrate: ladder.rungs[0].maxBitrate }];
  }
  const bitrates = encoded.map((rung) => rung.maxBitrate);
  if (download) {
    // The MP4 download is the largest rendition up to 1080 on its short side (or the smallest one).
    const downloadRung = encoded.filter((rung) => rung.shortSide <= DOWNLOAD_MAX_SHORT_SIDE).pop() ?? encoded[0];
    bitrates.push(downloadRung.maxBitrate);
  }
  return bitrates.reduce((sum, video) => sum + video + AUDIO_BITRATE, 0);
}

function seconds(duration: Duration): number {
  return duration.toMilliseconds({ integral: false }) / 1000;
}

function nonNegative(errors: string[], name: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value) || !Number.isFinite(value) || value < 0) {
    errors.push(`${name} must be a number of 0 or more, got ${value}`);
  }
}

function positive(errors: string[], name: string, value: number): void {
  if (Token.isUnresolved(value) || !Number.isFinite(value) || value <= 0) {
    errors.push(`${name} must be a number above 0, got ${value}`);
  }
}

function throwIfAny(what: string, errors: string[]): void {
  if (errors.length > 0) {
    throw new Error(`invalid ${what}: ${errors.join('; ')}`);
  }
}
