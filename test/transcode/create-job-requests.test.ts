import type { AspectRatio, CreateJobCommandInput, ProbeResult, Track } from '@aws-sdk/client-mediaconvert';
import {
  fromWireNames, JobRuleOptions, loadServiceModel, ServiceModel, validateAgainstServiceModel, validateCreateJob, validateDocumentedRules,
} from '../../sandbox/mediaconvert/job-rules';
import { HlsLadder } from '../../src';
import { EncodingPlan, SegmentEncryption } from '../../src/transcode/job-settings.lambda-shared';
import { createJobRequest, PipelineSettings } from '../../src/transcode/submit-job.lambda-shared';
import { DEFAULT_TRICK_PLAY } from '../../src/transcode/trick-play.lambda-shared';

/**
 * Every CreateJob request the submit handler builds, for sources of every
 * shape and every kind of plan, must be one MediaConvert accepts: valid
 * against its service model and against its documented rules.
 *
 * The matrix is checked against a complete service model too (with the
 * numeric limits the aws-sdk v2 model lacks) when one is given:
 * MEDIACONVERT_SERVICE_MODEL=/path/to/service-2.json(.gz) npx jest test/transcode/create-job-requests.test.ts
 */
const fullModelFile = process.env.MEDIACONVERT_SERVICE_MODEL;
const fullModel: ServiceModel | undefined = fullModelFile ? loadServiceModel(fullModelFile) : undefined;

// ---------------------------------------------------------------------------
// Sources, as MediaConvert's Probe reports them
// ---------------------------------------------------------------------------

type Orientation = 'landscape' | 'portrait' | 'square';

interface Source {
  readonly name: string;
  readonly probe: ProbeResult;
  /** How the frames are displayed, which the renditions must follow. */
  readonly orientation: Orientation;
  /** The displayed aspect ratio, width over height. */
  readonly aspect: number;
}

interface ProbeOptions {
  readonly format?: 'mp4' | 'matroska' | 'quicktime';
  readonly rotation?: number;
  readonly audio?: boolean;
  readonly sampleAspectRatio?: AspectRatio;
  readonly codecSampleAspectRatio?: AspectRatio;
}

function probe(width: number, height: number, options: ProbeOptions = {}): ProbeResult {
  const video: Track = {
    TrackType: 'video',
    Codec: 'AVC',
    Duration: 60,
    VideoProperties: {
      Width: width,
      Height: height,
      ...(options.rotation !== undefined ? { Rotation: options.rotation } : {}),
      ...(options.sampleAspectRatio ? { SampleAspectRatio: options.sampleAspectRatio } : {}),
      ...(options.codecSampleAspectRatio ? { CodecMetadata: { SampleAspectRatio: options.codecSampleAspectRatio } } : {}),
    },
  };
  const audio: Track = { TrackType: 'audio', Codec: 'AAC', Duration: 60, AudioProperties: { Channels: 2, SampleRate: 48_000 } };
  return {
    Container: {
      Format: options.format ?? 'mp4',
      Duration: 60,
      Tracks: options.audio === false ? [video] : [video, audio],
    },
  };
}

function source(name: string, width: number, height: number, options: ProbeOptions = {}, displayed = { width, height }): Source {
  const orientation = displayed.width === displayed.height ? 'square' : displayed.width > displayed.height ? 'landscape' : 'portrait';
  return { name, probe: probe(width, height, options), orientation, aspect: displayed.width / displayed.height };
}

const PAL_WIDESCREEN = { Numerator: 64, Denominator: 45 };

const SOURCES: Source[] = [
  source('landscape 1920x1080 mp4', 1920, 1080),
  source('portrait 1080x1920 mp4', 1080, 1920),
  source('square 1080x1080', 1080, 1080),
  source('4:3 1440x1080', 1440, 1080),
  source('720p 1280x720', 1280, 720),
  source('4K 3840x2160', 3840, 2160),
  source('DCI 4K 4096x2160', 4096, 2160),
  source('8K 7680x4320', 7680, 4320),
  source('ultra-wide 5760x1080', 5760, 1080),
  source('tiny 320x180', 320, 180),
  source('odd 177x99', 177, 99),
  source('audio-less 1920x1080', 1920, 1080, { audio: false }),
  // Stored landscape with rotation metadata: MediaConvert's Rotate AUTO turns mp4 and mov, so it plays portrait.
  source('rotated phone mp4 (1920x1080, rotation 90)', 1920, 1080, { rotation: 90 }, { width: 1080, height: 1920 }),
  // Matroska is not auto-rotated: encoded as stored, landscape.
  source('rotated phone mkv (1920x1080, rotation 90)', 1920, 1080, { rotation: 90, format: 'matroska' }),
  // PAL 16:9 anamorphic: 720x576 pixels 64/45 wide, displayed 1024x576.
  source('anamorphic 720x576, SAR 64/45 on the track', 720, 576, { sampleAspectRatio: PAL_WIDESCREEN }, { width: 1024, height: 576 }),
  source('anamorphic 720x576, SAR 64/45 in codec metadata', 720, 576, { codecSampleAspectRatio: PAL_WIDESCREEN }, { width: 1024, height: 576 }),
];

// ---------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------

interface Plan {
  readonly name: string;
  readonly plan: EncodingPlan;
  readonly acceleration: PipelineSettings['acceleration'];
  /** The combination really uses a Professional tier feature. */
  readonly professional: boolean;
  /** Segments encrypted with a content key. */
  readonly encryption?: SegmentEncryption;
}

const LADDERS = [
  { name: 'standard', ladder: HlsLadder.standard() },
  { name: 'uhd', ladder: HlsLadder.uhd() },
  {
    name: 'fromRungs 240/480/2160',
    ladder: HlsLadder.fromRungs([
      { shortSide: 240, maxBitrate: 350_000 },
      { shortSide: 480, maxBitrate: 1_200_000 },
      { shortSide: 2160, maxBitrate: 15_000_000 },
    ]),
  },
  { name: 'automatic', ladder: HlsLadder.automatic() },
];

const PROGRAM_DATE_TIME = { path: 'OutputGroups.0.OutputGroupSettings.HlsGroupSettings.ProgramDateTime', value: 'INCLUDE' };

const CONTENT_KEY: SegmentEncryption = {
  key: Uint8Array.from({ length: 16 }, (_, i) => i * 17), keyUrl: 'https://media.example.com/api/videos/v1/key',
};

const VARIANTS: Array<{ name: string; plan: Partial<EncodingPlan>; acceleration?: PipelineSettings['acceleration']; encryption?: SegmentEncryption }> = [
  { name: 'HLS only', plan: {} },
  { name: 'download', plan: { download: true } },
  { name: 'posters', plan: { posters: { intervalSeconds: 5, maxCaptures: 3 } } },
  { name: 'download + posters', plan: { download: true, posters: { intervalSeconds: 5, maxCaptures: 3 } } },
  { name: 'override ProgramDateTime', plan: { overrides: [PROGRAM_DATE_TIME] } },
  { name: '5-second segments', plan: { segmentSeconds: 5 } },
  { name: 'acceleration PREFERRED', plan: {}, acceleration: 'PREFERRED' },
  { name: 'MULTI_PASS_HQ + download + posters', plan: { qualityTuning: 'MULTI_PASS_HQ', download: true, posters: { intervalSeconds: 5, maxCaptures: 3 } } },
  { name: 'trick play', plan: { trickPlay: DEFAULT_TRICK_PLAY } },
  { name: 'trick play + download + posters', plan: { trickPlay: DEFAULT_TRICK_PLAY, download: true, posters: { intervalSeconds: 5, maxCaptures: 3 } } },
  { name: 'trick play, 2-second 4x8 tiles', plan: { trickPlay: { intervalSeconds: 2, thumbnailLongSide: 240, tileColumns: 4, tileRows: 8 } } },
  { name: 'automatic captions (an audio-only MP3)', plan: { speech: { languageCode: 'en-US' } } },
  { name: 'everything', plan: { trickPlay: DEFAULT_TRICK_PLAY, download: true, posters: { intervalSeconds: 5, maxCaptures: 3 }, speech: {} } },
  { name: 'encrypted segments (AES-128)', plan: {}, encryption: CONTENT_KEY },
  {
    name: 'everything, encrypted',
    plan: { trickPlay: DEFAULT_TRICK_PLAY, download: true, posters: { intervalSeconds: 5, maxCaptures: 3 }, speech: {} },
    encryption: CONTENT_KEY,
  },
];

const PLANS: Plan[] = LADDERS.flatMap(({ name, ladder }) => VARIANTS.map((variant): Plan => {
  const plan: EncodingPlan = {
    ladder: ladder._toSpec(),
    segmentSeconds: 6,
    qualityTuning: 'SINGLE_PASS_HQ',
    download: false,
    overrides: [],
    ...variant.plan,
  };
  const acceleration = variant.acceleration ?? 'DISABLED';
  return {
    name: `${name}, ${variant.name}`,
    plan,
    acceleration,
    professional: plan.ladder.automatic !== undefined || plan.qualityTuning === 'MULTI_PASS_HQ' || acceleration !== 'DISABLED',
    encryption: variant.encryption,
  };
}));

function settings(plan: Plan): PipelineSettings {
  return {
    pipelineId: 'pipeline-1',
    roleArn: 'arn:aws:iam::123456789012:role/MediaConvertRole',
    sourceBucket: 'sources',
    outputBucket: 'outputs',
    plan: plan.plan,
    acceleration: plan.acceleration,
    priority: 0,
  };
}

const RECORD = { videoId: 'v1', uploadId: 'u1', sourceKey: 'uploads/v1/u1/source.mp4', attempt: 1 };

function request(plan: Plan, probeResult: ProbeResult): CreateJobCommandInput {
  return createJobRequest(settings(plan), RECORD, probeResult, plan.encryption);
}

/** Every output frame of a request with both sides set, with its path. */
function frames(job: CreateJobCommandInput): Array<{ path: string; width: number; height: number }> {
  return (job.Settings?.OutputGroups ?? []).flatMap((group, g) => (group.Outputs ?? []).flatMap((output, o) => {
    const { Width: width, Height: height } = output.VideoDescription ?? {};
    return width !== undefined && height !== undefined ? [{ path: `Settings.OutputGroups.${g}.Outputs.${o}`, width, height }] : [];
  }));
}

function orientationOf(width: number, height: number): Orientation {
  return width === height ? 'square' : width > height ? 'landscape' : 'portrait';
}

// ---------------------------------------------------------------------------
// The validator can fail
// ---------------------------------------------------------------------------

describe('the validator refuses what MediaConvert refuses', () => {
  const basic = PLANS.find((plan) => plan.name === 'standard, HLS only')!;
  const automatic = PLANS.find((plan) => plan.name === 'automatic, HLS only')!;
  /** A valid request to spoil: 1080p landscape, standard ladder (five outputs), Basic tier. */
  const valid = (): CreateJobCommandInput => JSON.parse(JSON.stringify(request(basic, SOURCES[0].probe)));
  const h264 = (job: CreateJobCommandInput, output = 0) =>
    job.Settings!.OutputGroups![0].Outputs![output].VideoDescription!.CodecSettings!.H264Settings!;
  const firstVideo = 'Settings.OutputGroups.0.Outputs.0.VideoDescription';

  test('the request it starts from is valid', () => {
    expect(validateCreateJob(valid())).toEqual([]);
  });

  test('an unknown member, with its path', () => {
    const job = valid();
    Object.assign(job.Settings!.OutputGroups![0].Outputs![0].VideoDescription!, { Sharpnes: 50 });
    expect(validateAgainstServiceModel(job)).toEqual([`${firstVideo}.Sharpnes: unknown member Sharpnes (not in the model)`]);
  });

  test('a wrong enum value, with its path', () => {
    const job = valid();
    Object.assign(h264(job, 1), { RateControlMode: 'CONSTANT' });
    expect(validateAgainstServiceModel(job)).toEqual([
      'Settings.OutputGroups.0.Outputs.1.VideoDescription.CodecSettings.H264Settings.RateControlMode: "CONSTANT" is not one of CBR, QVBR, VBR',
    ]);
  });

  test('an override with a value the model does not list is caught too', () => {
    const plan = { ...basic, plan: { ...basic.plan, overrides: [{ ...PROGRAM_DATE_TIME, value: 'YES' }] } };
    expect(validateCreateJob(request(plan, SOURCES[0].probe))).toEqual([
      'Settings.OutputGroups.0.OutputGroupSettings.HlsGroupSettings.ProgramDateTime: "YES" is not one of EXCLUDE, INCLUDE',
    ]);
  });

  test('values of the wrong type', () => {
    const job = valid();
    Object.assign(job.Settings!.OutputGroups![0].Outputs![0].VideoDescription!, { Width: '480', Height: 270.5 });
    Object.assign(job, { UserMetadata: { attempt: 1 } });
    expect(validateAgainstServiceModel(job)).toEqual([
      `${firstVideo}.Width: expected a whole number, got the string "480"`,
      `${firstVideo}.Height: expected a whole number, got number 270.5`,
      'UserMetadata.attempt: expected a string, got number 1',
    ]);
  });

  test('a missing required member, with its path', () => {
    const job = valid();
    delete job.Role;
    job.AccelerationSettings = {} as CreateJobCommandInput['AccelerationSettings'];
    expect(validateAgainstServiceModel(job)).toEqual([
      'AccelerationSettings.Mode: required member is missing',
      'Role: required member is missing',
    ]);
  });

  test('a number above the model\'s maximum: limits are read from the shape\'s min and max, not its name', () => {
    // A model in the complete format, where limits are on named shapes. The name of the
    // second says Min0, but the shape carries no min (as __doubleMin0 in MediaConvert's model).
    const model: ServiceModel = {
      operations: { CreateJob: { input: { shape: 'CreateJobRequest' } } },
      shapes: {
        CreateJobRequest: { type: 'structure', members: { Priority: { shape: '__integerMinNegative50Max50' }, Gop: { shape: '__doubleMin0' } } },
        __integerMinNegative50Max50: { type: 'integer', min: -50, max: 50 },
        __doubleMin0: { type: 'double' },
      },
    };
    expect(validateAgainstServiceModel({ Priority: 51, Gop: -1 }, model)).toEqual(['Priority: 51 is above the maximum 50']);
    expect(validateAgainstServiceModel({ Priority: -51 }, model)).toEqual(['Priority: -51 is below the minimum -50']);
  });

  (fullModel ? test : test.skip)('a number above the complete model\'s maximum (MEDIACONVERT_SERVICE_MODEL)', () => {
    const job = valid();
    Object.assign(job.Settings!.OutputGroups![0].Outputs![0].VideoDescription!, { Width: 9000 });
    expect(validateAgainstServiceModel(job, fullModel)).toContain(`${firstVideo}.Width: 9000 is above the maximum 8192`);
  });

  test('(a) an H.264 frame of 5760x1080 is refused, and so is an odd side', () => {
    const job = valid();
    Object.assign(job.Settings!.OutputGroups![0].Outputs![0].VideoDescription!, { Width: 5760, Height: 1080 });
    Object.assign(job.Settings!.OutputGroups![0].Outputs![1].VideoDescription!, { Width: 639 });
    expect(validateCreateJob(job)).toEqual([
      `${firstVideo}: an H.264 frame of 5760x1080 is larger than MediaConvert encodes, 4096x2160 or 2160x4096`,
      'Settings.OutputGroups.0.Outputs.1.VideoDescription.Width: 639 is odd; H.264 with 4:2:0 chroma needs even sides',
    ]);
  });

  test('(a) 4096x2160 and 2160x4096 are accepted, 2162x4096 is not', () => {
    const job = valid();
    Object.assign(job.Settings!.OutputGroups![0].Outputs![0].VideoDescription!, { Width: 4096, Height: 2160 });
    Object.assign(job.Settings!.OutputGroups![0].Outputs![1].VideoDescription!, { Width: 2160, Height: 4096 });
    expect(validateDocumentedRules(job)).toEqual([]);
    Object.assign(job.Settings!.OutputGroups![0].Outputs![1].VideoDescription!, { Width: 2162 });
    expect(validateDocumentedRules(job)).toEqual([
      'Settings.OutputGroups.0.Outputs.1.VideoDescription: an H.264 frame of 2162x4096 is larger than MediaConvert encodes, 4096x2160 or 2160x4096',
    ]);
  });

  test('(b) QVBR without MaxBitrate is refused, but not with automated ABR', () => {
    const job = valid();
    delete h264(job, 2).MaxBitrate;
    expect(validateDocumentedRules(job)).toEqual([
      'Settings.OutputGroups.0.Outputs.2.VideoDescription.CodecSettings.H264Settings.MaxBitrate: required when RateControlMode is QVBR',
    ]);
    const abr: CreateJobCommandInput = JSON.parse(JSON.stringify(request(automatic, SOURCES[0].probe)));
    delete h264(abr).MaxBitrate;
    expect(validateDocumentedRules(abr, { professionalTier: true })).toEqual([]);
  });

  test('(c) name modifiers: required and distinct within a group of several outputs', () => {
    const job = valid();
    const outputs = job.Settings!.OutputGroups![0].Outputs!;
    outputs[3].NameModifier = outputs[1].NameModifier;
    delete outputs[4].NameModifier;
    expect(validateDocumentedRules(job)).toEqual([
      'Settings.OutputGroups.0.Outputs.3.NameModifier: "_640x360" is already the name modifier of Settings.OutputGroups.0.Outputs.1',
      'Settings.OutputGroups.0.Outputs.4.NameModifier: required, the output group has 5 outputs',
    ]);
  });

  test('(d) a 5-second HLS segment with 2-second GOPs is refused', () => {
    const job = valid();
    job.Settings!.OutputGroups![0].OutputGroupSettings!.HlsGroupSettings!.SegmentLength = 5;
    const errors = validateDocumentedRules(job);
    expect(errors).toHaveLength(5);
    expect(errors[0]).toBe('Settings.OutputGroups.0.OutputGroupSettings.HlsGroupSettings.SegmentLength: 5 seconds is not a whole number of '
      + 'the 2-second GOPs of Settings.OutputGroups.0.Outputs.0.VideoDescription.CodecSettings.H264Settings');
  });

  test('(e) MULTI_PASS_HQ is refused unless the Professional tier is allowed', () => {
    const job = valid();
    h264(job, 4).QualityTuningLevel = 'MULTI_PASS_HQ';
    expect(validateDocumentedRules(job)).toEqual([
      'Settings.OutputGroups.0.Outputs.4.VideoDescription.CodecSettings.H264Settings.QualityTuningLevel: MULTI_PASS_HQ is a Professional tier feature (multi-pass encoding)',
    ]);
    expect(validateDocumentedRules(job, { professionalTier: true })).toEqual([]);
  });

  test('(e) acceleration and automated ABR are refused unless the Professional tier is allowed', () => {
    const job = valid();
    job.AccelerationSettings = { Mode: 'PREFERRED' };
    expect(validateDocumentedRules(job)).toEqual(['AccelerationSettings.Mode: PREFERRED is a Professional tier feature (accelerated transcoding)']);
    expect(validateDocumentedRules(request(automatic, SOURCES[0].probe))).toEqual([
      'Settings.OutputGroups.0.Outputs.0.VideoDescription.CodecSettings.H264Settings.QualityTuningLevel: MULTI_PASS_HQ is a Professional tier feature (multi-pass encoding)',
      'Settings.OutputGroups.0.AutomatedEncodingSettings: automated ABR is a Professional tier feature',
    ]);
  });

  test('(f) automated ABR needs QVBR, MULTI_PASS_HQ, a scaling it supports and 3 to 15 renditions', () => {
    const job: CreateJobCommandInput = JSON.parse(JSON.stringify(request(automatic, SOURCES[0].probe)));
    const group = job.Settings!.OutputGroups![0];
    Object.assign(h264(job), { RateControlMode: 'VBR', QualityTuningLevel: 'SINGLE_PASS_HQ' });
    group.Outputs![0].VideoDescription!.ScalingBehavior = 'FIT_NO_UPSCALE';
    group.AutomatedEncodingSettings!.AbrSettings!.MaxRenditions = 20;
    const video = 'Settings.OutputGroups.0.Outputs.0.VideoDescription';
    expect(validateDocumentedRules(job, { professionalTier: true })).toEqual([
      `${video}.ScalingBehavior: automated ABR needs DEFAULT, STRETCH_TO_OUTPUT, FIT or FILL, not FIT_NO_UPSCALE`,
      `${video}.CodecSettings.H264Settings.RateControlMode: automated ABR needs QVBR, got VBR`,
      `${video}.CodecSettings.H264Settings.QualityTuningLevel: automated ABR needs MULTI_PASS_HQ, got SINGLE_PASS_HQ`,
      'Settings.OutputGroups.0.AutomatedEncodingSettings.AbrSettings.MaxRenditions: 20 is not a whole number from 3 to 15',
    ]);
  });

  test('(f) a second ABR group without automated ABR is refused', () => {
    const job: CreateJobCommandInput = JSON.parse(JSON.stringify(request(automatic, SOURCES[0].probe)));
    const { AutomatedEncodingSettings: _, ...plain } = job.Settings!.OutputGroups![0];
    job.Settings!.OutputGroups!.push({ ...plain, Outputs: [{ ...plain.Outputs![0], VideoDescription: { Width: 1280, Height: 720 } }] });
    expect(validateDocumentedRules(job, { professionalTier: true })).toEqual([
      'Settings.OutputGroups.1: a HLS_GROUP_SETTINGS group in a job with automated ABR must use automated ABR too',
    ]);
  });

  test('(g) frame captures alone are refused', () => {
    const posters = PLANS.find((plan) => plan.name === 'standard, posters')!;
    const job: CreateJobCommandInput = JSON.parse(JSON.stringify(request(posters, SOURCES[0].probe)));
    job.Settings!.OutputGroups!.shift();
    expect(validateDocumentedRules(job)).toEqual([
      'Settings.OutputGroups.0.Outputs.0: a frame capture output needs a regular video output in the same job',
      'Settings.OutputGroups.1.Outputs.0: a frame capture output needs a regular video output in the same job',
    ]);
  });

  test('a request as it travels (camelCase wire names) is read with the SDK\'s names', () => {
    const wire = {
      role: 'arn:aws:iam::123456789012:role/MediaConvertRole',
      accelerationSettings: { mode: 'DISABLED' },
      settings: {
        inputs: [{ fileInput: 's3://sources/a.mp4', audioSelectors: { 'Audio Selector 1': { defaultSelection: 'DEFAULT' } } }],
        outputGroups: [{ outputs: [{ nameModifier: '_a', videoDescription: { width: 640, height: 360 } }] }],
      },
      userMetadata: { videoId: 'v1' },
      notAMember: true,
    };
    const sdk = fromWireNames(wire);
    expect(sdk).toEqual({
      Role: wire.role,
      AccelerationSettings: { Mode: 'DISABLED' },
      Settings: {
        Inputs: [{ FileInput: 's3://sources/a.mp4', AudioSelectors: { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } } }],
        OutputGroups: [{ Outputs: [{ NameModifier: '_a', VideoDescription: { Width: 640, Height: 360 } }] }],
      },
      UserMetadata: { videoId: 'v1' },
      notAMember: true,
    });
    expect(validateAgainstServiceModel(sdk)).toEqual(['notAMember: unknown member notAMember (not in the model)']);
  });
});

// ---------------------------------------------------------------------------
// The matrix: every source with every plan
// ---------------------------------------------------------------------------

const CASES = SOURCES.flatMap((src) => PLANS.map((plan) => ({ name: `${src.name} × ${plan.name}`, source: src, plan })));

describe('every CreateJob request the submit handler builds is one MediaConvert accepts', () => {
  test.each(CASES)('$name', ({ source: src, plan }) => {
    const job = request(plan, src.probe);
    const options: JobRuleOptions = { professionalTier: plan.professional };

    expect(validateCreateJob(job, options)).toEqual([]);
    if (fullModel) {
      expect(validateAgainstServiceModel(job, fullModel)).toEqual([]);
    }

    // The renditions, download and posters follow the displayed orientation and aspect ratio.
    const sizes = frames(job);
    expect(sizes.length).toBeGreaterThan(0);
    // Scrub thumbnails too, within the rounding of their height to an even number of pixels.
    const trick = job.Settings!.OutputGroups![0].OutputGroupSettings!.HlsGroupSettings!.ImageBasedTrickPlaySettings;
    if (trick) {
      expect(orientationOf(trick.ThumbnailWidth!, trick.ThumbnailHeight!)).toBe(src.orientation);
      expect(Math.abs(trick.ThumbnailHeight! - trick.ThumbnailWidth! / src.aspect)).toBeLessThanOrEqual(1);
    }
    // Encrypted: AES-128 with the video's key as 32 hex characters (the model's pattern for StaticKeyValue is
    // ^[A-Za-z0-9]{32}$), and each segment's IV written in the manifest (no constant IV).
    const encryption = job.Settings!.OutputGroups![0].OutputGroupSettings!.HlsGroupSettings!.Encryption;
    expect(encryption).toEqual(plan.encryption ? {
      EncryptionMethod: 'AES128',
      Type: 'STATIC_KEY',
      StaticKeyProvider: { StaticKeyValue: '00112233445566778899aabbccddeeff', Url: 'https://media.example.com/api/videos/v1/key' },
      InitializationVectorInManifest: 'INCLUDE',
    } : undefined);
    const wrong = sizes.filter(({ width, height }) => orientationOf(width, height) !== src.orientation
      || Math.abs(width / height / src.aspect - 1) > 0.015);
    expect(wrong.map(({ path, width, height }) => `${path}: ${width}x${height}`)).toEqual([]);
  });
});
