import {
  AacCodingMode, CreateJobCommandInput, H264CodecProfile, H264GopSizeUnits, H264QualityTuningLevel, H264RateControlMode,
  HlsSegmentControl, JobSettings, OutputGroupType, VideoCodec,
} from '@aws-sdk/client-mediaconvert';
import { HlsLadder } from '../../src';
import { applyOverrides, buildJobSettings, EncodingPlan, planRenditions } from '../../src/transcode/job-settings.lambda-shared';
import { sourceInfoFromProbe, SourceInfo, UnusableSourceError } from '../../src/transcode/source-info.lambda-shared';

const plan = (overrides: Partial<EncodingPlan> = {}): EncodingPlan => ({
  ladder: HlsLadder.standard()._toSpec(),
  segmentSeconds: 6,
  qualityTuning: 'SINGLE_PASS_HQ',
  posters: { intervalSeconds: 5, maxCaptures: 3 },
  download: false,
  overrides: [],
  ...overrides,
});
const input = { fileUrl: 's3://sources/uploads/v1/u1/source.mp4', outputBucket: 'outputs', videoId: 'v1' };
const source = (width: number, height: number, hasAudio = true): SourceInfo => ({ width, height, hasAudio, durationSeconds: 60 });
const sizes = (info: SourceInfo, ladder = HlsLadder.standard()) => planRenditions(ladder._toSpec(), info).map((r) => `${r.width}x${r.height}`);

describe('renditions follow the source', () => {
  test('a 16:9 landscape source gets the whole standard ladder', () => {
    expect(sizes(source(1920, 1080))).toEqual(['480x270', '640x360', '960x540', '1280x720', '1920x1080']);
  });

  test('a portrait source keeps its orientation: the rung is its width', () => {
    expect(sizes(source(1080, 1920))).toEqual(['270x480', '360x640', '540x960', '720x1280', '1080x1920']);
  });

  test('a square source stays square', () => {
    expect(sizes(source(1080, 1080))).toEqual(['270x270', '360x360', '540x540', '720x720', '1080x1080']);
  });

  test('a 4:3 source keeps 4:3 on every rung', () => {
    expect(sizes(source(1440, 1080))).toEqual(['360x270', '480x360', '720x540', '960x720', '1440x1080']);
  });

  test('a 720p source is never upscaled to 1080', () => {
    expect(sizes(source(1280, 720))).toEqual(['480x270', '640x360', '960x540', '1280x720']);
  });

  test('a 4K source reaches 2160 when the ladder has it, and stops at 1080 when it does not', () => {
    expect(sizes(source(3840, 2160), HlsLadder.uhd())).toEqual(['480x270', '640x360', '960x540', '1280x720', '1920x1080', '2560x1440', '3840x2160']);
    expect(sizes(source(3840, 2160))).toEqual(['480x270', '640x360', '960x540', '1280x720', '1920x1080']);
  });

  test('a source smaller than every rung gets one rendition at its own (even) size', () => {
    expect(sizes(source(320, 180))).toEqual(['320x180']);
    expect(sizes(source(177, 99))).toEqual(['176x98']);
  });

  test('odd aspect ratios round each side to an even number', () => {
    for (const size of sizes(source(2048, 858)).concat(sizes(source(1000, 1333)))) {
      const [w, h] = size.split('x').map(Number);
      expect(w % 2).toBe(0);
      expect(h % 2).toBe(0);
    }
    expect(sizes(source(2048, 858))).toEqual(['644x270', '860x360', '1288x540', '1718x720']);
  });
});

describe('renditions fit H.264\'s frame limit of 4096x2160 (2160x4096)', () => {
  const within = (size: string) => {
    const [w, h] = size.split('x').map(Number);
    return Math.max(w, h) <= 4096 && Math.min(w, h) <= 2160 && w % 2 === 0 && h % 2 === 0;
  };

  test('an ultra-wide 5760x1080 source keeps its aspect ratio at 4096 wide', () => {
    expect(sizes(source(5760, 1080))).toEqual(['1440x270', '1920x360', '2880x540', '3840x720', '4096x768']);
  });

  test('a 5120x2160 source with the uhd ladder tops out at 4096x1728', () => {
    const planned = sizes(source(5120, 2160), HlsLadder.uhd());
    expect(planned[planned.length - 1]).toBe('4096x1728');
    expect(planned.every(within)).toBe(true);
  });

  test('8K, DCI 4K and portrait 8K stay within the limit, and rungs that meet at one size are encoded once', () => {
    expect(sizes(source(7680, 4320), HlsLadder.uhd()).slice(-2)).toEqual(['2560x1440', '3840x2160']);
    expect(sizes(source(4096, 2160), HlsLadder.uhd()).slice(-1)).toEqual(['4096x2160']);
    expect(sizes(source(4320, 7680), HlsLadder.uhd()).slice(-1)).toEqual(['2160x3840']);
    const rungs = [{ shortSide: 720, maxBitrate: 3_000_000 }, { shortSide: 960, maxBitrate: 5_000_000 }];
    const sideBySide = sizes(source(16000, 1000), HlsLadder.fromRungs(rungs));
    expect(sideBySide).toEqual(['4096x256']);
  });

  test('the MP4 download and the poster of an oversized source fit too', () => {
    const wide = buildJobSettings(plan({ download: true }), source(5760, 1080), input);
    for (const group of wide.OutputGroups!) {
      const video = group.Outputs![0].VideoDescription!;
      expect(within(`${video.Width}x${video.Height}`)).toBe(true);
    }
  });
});

describe('an automatic ladder', () => {
  const automatic = buildJobSettings(plan({ ladder: HlsLadder.automatic()._toSpec(), download: true }), source(5760, 1080), input);

  test('bounds the stack by the source, within H.264\'s limit', () => {
    expect(automatic.OutputGroups![0].Outputs![0].VideoDescription).toMatchObject({ Width: 4096, Height: 768 });
  });

  test('gives the MP4 download a size and the MaxBitrate QVBR needs', () => {
    const download = automatic.OutputGroups!.find((group) => group.Name === 'Download')!.Outputs![0].VideoDescription!;
    expect(download).toMatchObject({ Width: 4096, Height: 768 });
    expect(download.CodecSettings!.H264Settings).toMatchObject({ RateControlMode: 'QVBR', MaxBitrate: 8_000_000 });
    const phone = buildJobSettings(plan({ ladder: HlsLadder.automatic()._toSpec(), download: true }), source(1080, 1920), input);
    expect(phone.OutputGroups!.find((group) => group.Name === 'Download')!.Outputs![0].VideoDescription).toMatchObject({ Width: 1080, Height: 1920 });
  });

  test('captures posters at most 720 on the short side', () => {
    expect(automatic.OutputGroups!.find((group) => group.Name === 'Poster')!.Outputs![0].VideoDescription).toMatchObject({ Width: 3840, Height: 720 });
  });
});

describe('job settings', () => {
  const settings: JobSettings = buildJobSettings(plan(), source(1920, 1080), input);
  const [hls, posters, frames] = settings.OutputGroups!;

  test('type-check as a CreateJob request of the MediaConvert SDK', () => {
    const request: CreateJobCommandInput = { Role: 'arn:aws:iam::111111111111:role/mc', Settings: settings };
    expect(request.Settings?.Inputs?.[0].FileInput).toBe(input.fileUrl);
  });

  test('write an HLS master playlist at videos/<id>/master.m3u8 with 6-second segments', () => {
    expect(hls.OutputGroupSettings?.Type).toBe(OutputGroupType.HLS_GROUP_SETTINGS);
    expect(hls.OutputGroupSettings?.HlsGroupSettings).toMatchObject({
      Destination: 's3://outputs/videos/v1/master', SegmentLength: 6, SegmentControl: HlsSegmentControl.SEGMENTED_FILES,
    });
    expect(hls.Outputs!.map((output) => output.NameModifier)).toEqual(['_480x270', '_640x360', '_960x540', '_1280x720', '_1920x1080']);
  });

  test('encode H.264 with QVBR, capped per rung, with GOPs that divide the segments, and AAC audio', () => {
    const values = (o: object) => Object.values(o) as string[];
    for (const [index, output] of hls.Outputs!.entries()) {
      const h264 = output.VideoDescription!.CodecSettings!.H264Settings!;
      expect(output.VideoDescription!.CodecSettings!.Codec).toBe(VideoCodec.H_264);
      expect(values(H264RateControlMode)).toContain(h264.RateControlMode);
      expect(h264.RateControlMode).toBe('QVBR');
      expect(values(H264QualityTuningLevel)).toContain(h264.QualityTuningLevel);
      expect(values(H264CodecProfile)).toContain(h264.CodecProfile);
      expect(values(H264GopSizeUnits)).toContain(h264.GopSizeUnits);
      expect(6 % h264.GopSize!).toBe(0);
      expect(h264.MaxBitrate).toBe([400_000, 800_000, 2_000_000, 3_500_000, 6_000_000][index]);
      expect(h264.QvbrSettings?.QvbrQualityLevel).toBe(7);
      const audio = output.AudioDescriptions![0];
      expect(values(AacCodingMode)).toContain(audio.CodecSettings!.AacSettings!.CodingMode);
    }
    expect(settings.Inputs![0].AudioSelectors).toEqual({ 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } });
  });

  test('capture the poster, one image, under posters/<id>/poster at the 720 rendition, and the further frames apart', () => {
    // MediaConvert reports only the last image of a frame-capture output: an output of one image is the one whose key is known.
    expect(posters.OutputGroupSettings?.FileGroupSettings?.Destination).toBe('s3://outputs/posters/v1/poster');
    expect(posters.Outputs).toHaveLength(1);
    expect(posters.Outputs![0].VideoDescription).toMatchObject({
      Width: 1280,
      Height: 720,
      CodecSettings: { Codec: 'FRAME_CAPTURE', FrameCaptureSettings: { FramerateNumerator: 1, FramerateDenominator: 1, MaxCaptures: 1 } },
    });
    expect(frames.OutputGroupSettings?.FileGroupSettings?.Destination).toBe('s3://outputs/posters/v1/frame');
    expect(frames.Outputs![0].VideoDescription).toMatchObject({
      Width: 1280,
      Height: 720,
      CodecSettings: { Codec: 'FRAME_CAPTURE', FrameCaptureSettings: { FramerateNumerator: 1, FramerateDenominator: 5, MaxCaptures: 3 } },
    });
    const single = buildJobSettings(plan({ posters: { intervalSeconds: 5, maxCaptures: 1 } }), source(1920, 1080), input);
    expect(single.OutputGroups!.map((group) => group.Name)).toEqual(['HLS', 'Poster']);
  });

  test('a source without audio has no audio selector and no audio in any output', () => {
    const silent = buildJobSettings(plan({ download: true }), source(1920, 1080, false), input);
    expect(silent.Inputs![0].AudioSelectors).toBeUndefined();
    expect(JSON.stringify(silent)).not.toContain('AudioDescriptions');
  });

  test('automatic captions add an audio-only MP3 at videos/<id>/speech.mp3, for a source with sound only', () => {
    const speech = buildJobSettings(plan({ speech: { languageCode: 'en-US' } }), source(1920, 1080), input).OutputGroups!.find((group) => group.Name === 'Speech')!;
    expect(speech.OutputGroupSettings?.FileGroupSettings?.Destination).toBe('s3://outputs/videos/v1/speech');
    expect(speech.Outputs).toEqual([{
      ContainerSettings: { Container: 'RAW' },
      Extension: 'mp3',
      AudioDescriptions: [{
        AudioSourceName: 'Audio Selector 1',
        CodecSettings: { Codec: 'MP3', Mp3Settings: { Bitrate: 64_000, Channels: 1, SampleRate: 44_100, RateControlMode: 'CBR' } },
      }],
    }]);
    expect(buildJobSettings(plan({ speech: {} }), source(1920, 1080, false), input).OutputGroups!.map((g) => g.Name)).not.toContain('Speech');
  });

  test('an odd segment length gets one-second GOPs', () => {
    const odd = buildJobSettings(plan({ segmentSeconds: 5 }), source(1920, 1080), input);
    expect(odd.OutputGroups![0].Outputs![0].VideoDescription!.CodecSettings!.H264Settings!.GopSize).toBe(1);
  });

  test('the download is an MP4 at videos/<id>/download.mp4, at most 1080', () => {
    const withDownload = buildJobSettings(plan({ download: true, ladder: HlsLadder.uhd()._toSpec() }), source(3840, 2160), input);
    const download = withDownload.OutputGroups!.find((group) => group.Name === 'Download')!;
    expect(download.OutputGroupSettings?.FileGroupSettings?.Destination).toBe('s3://outputs/videos/v1/download');
    expect(download.Outputs![0].ContainerSettings?.Container).toBe('MP4');
    expect(download.Outputs![0].VideoDescription).toMatchObject({ Width: 1920, Height: 1080 });
  });

  test('no posters when none are asked for', () => {
    expect(buildJobSettings(plan({ posters: undefined }), source(1920, 1080), input).OutputGroups!.map((g) => g.Name)).toEqual(['HLS']);
  });

  test('an automatic ladder hands the rungs to automated ABR with multi-pass QVBR', () => {
    const auto = buildJobSettings(plan({ ladder: HlsLadder.automatic({ maxRenditions: 5 })._toSpec() }), source(1920, 1080), input);
    const group = auto.OutputGroups![0];
    expect(group.AutomatedEncodingSettings?.AbrSettings).toEqual({ MaxRenditions: 5, MaxAbrBitrate: 8_000_000, MinAbrBitrate: 600_000 });
    expect(group.Outputs).toHaveLength(1);
    expect(group.Outputs![0].VideoDescription!.CodecSettings!.H264Settings!.QualityTuningLevel).toBe('MULTI_PASS_HQ');
    // With automated ABR the size is the stack's largest rendition (Creating an automated ABR stack, MediaConvert User Guide).
    expect(group.Outputs![0].VideoDescription).toMatchObject({ Width: 1920, Height: 1080 });
  });
});

describe('settings overrides', () => {
  test('are applied in order, create objects on the way, and can remove a setting', () => {
    const built = buildJobSettings(plan({
      overrides: [
        { path: 'OutputGroups.0.OutputGroupSettings.HlsGroupSettings.ProgramDateTime', value: 'INCLUDE' },
        { path: 'OutputGroups.0.Outputs.4.VideoDescription.CodecSettings.H264Settings.MaxBitrate', value: 7_800_000 },
        { path: 'AdAvailOffset', value: 0 },
        { path: 'Inputs.0.DenoiseFilter', value: 'ENABLED' },
        { path: 'Inputs.0.DenoiseFilter', value: 'DISABLED' },
        { path: 'TimecodeConfig', value: undefined },
      ],
    }), source(1920, 1080), input);
    expect(built.OutputGroups![0].OutputGroupSettings!.HlsGroupSettings!.ProgramDateTime).toBe('INCLUDE');
    expect(built.OutputGroups![0].Outputs![4].VideoDescription!.CodecSettings!.H264Settings!.MaxBitrate).toBe(7_800_000);
    expect(built.AdAvailOffset).toBe(0);
    expect(built.Inputs![0].DenoiseFilter).toBe('DISABLED');
    expect(built.TimecodeConfig).toBeUndefined();
  });

  test('aimed at an output this source does not have, fail loudly instead of being ignored', () => {
    expect(() => buildJobSettings(plan({
      overrides: [{ path: 'OutputGroups.0.Outputs.4.NameModifier', value: '_top' }],
    }), source(1280, 720), input)).toThrow('settings override "OutputGroups.0.Outputs.4.NameModifier": OutputGroups.0.Outputs has 4 entries, no index 4');
  });

  test('do not change the settings they are applied to', () => {
    const original = { a: { b: 1 } };
    applyOverrides(original, [{ path: 'a.b', value: 2 }]);
    expect(original.a.b).toBe(1);
  });
});

describe('source probe', () => {
  const track = (type: 'video' | 'audio', properties: object = {}) => ({
    TrackType: type,
    ...(type === 'video' ? { VideoProperties: { Width: 1920, Height: 1080, ...properties } } : { AudioProperties: { Channels: 2 } }),
  });

  test('reads display size, audio and duration', () => {
    expect(sourceInfoFromProbe({ Container: { Duration: 12.5, Tracks: [track('video'), track('audio')] } }))
      .toEqual({ width: 1920, height: 1080, hasAudio: true, durationSeconds: 12.5 });
  });

  test('applies rotation where MediaConvert does: a phone video recorded sideways in .mp4 or .mov is portrait', () => {
    for (const Format of ['mp4', 'quicktime'] as const) {
      expect(sourceInfoFromProbe({ Container: { Format, Tracks: [track('video', { Rotation: 90 })] } })).toMatchObject({ width: 1080, height: 1920, hasAudio: false });
    }
  });

  test('keeps the stored orientation of other containers, whose rotation Rotate: AUTO does not apply', () => {
    for (const Format of ['matroska', 'webm', 'mpegts'] as const) {
      expect(sourceInfoFromProbe({ Container: { Format, Tracks: [track('video', { Rotation: 90 })] } })).toMatchObject({ width: 1920, height: 1080 });
    }
    expect(sourceInfoFromProbe({ Container: { Tracks: [track('video', { Rotation: 270 })] } })).toMatchObject({ width: 1920, height: 1080 });
  });

  test('applies the sample aspect ratio of anamorphic video, declared by the container or only by the video essence', () => {
    expect(sourceInfoFromProbe({ Container: { Tracks: [track('video', { Width: 720, Height: 576, SampleAspectRatio: { Numerator: 64, Denominator: 45 } })] } }))
      .toMatchObject({ width: 1024, height: 576 });
    expect(sourceInfoFromProbe({ Container: { Tracks: [track('video', { Width: 720, Height: 576, CodecMetadata: { SampleAspectRatio: { Numerator: 64, Denominator: 45 } } })] } }))
      .toMatchObject({ width: 1024, height: 576 });
    // Where both declare one, the container's is what MediaConvert's track reports first.
    expect(sourceInfoFromProbe({
      Container: { Tracks: [track('video', { Width: 720, Height: 576, SampleAspectRatio: { Numerator: 16, Denominator: 15 }, CodecMetadata: { SampleAspectRatio: { Numerator: 64, Denominator: 45 } } })] },
    })).toMatchObject({ width: 768, height: 576 });
  });

  test.each([
    ['no tracks', {}, 'NO_VIDEO_TRACK'],
    ['audio only', { Container: { Tracks: [track('audio')] } }, 'NO_VIDEO_TRACK'],
    ['a 16x16 video', { Container: { Tracks: [track('video', { Width: 16, Height: 16 })] } }, 'SOURCE_TOO_SMALL'],
  ])('refuses %s', (_name, probe, code) => {
    expect(() => sourceInfoFromProbe(probe as any)).toThrow(UnusableSourceError);
    try {
      sourceInfoFromProbe(probe as any);
    } catch (error) {
      expect((error as UnusableSourceError).code).toBe(code);
    }
  });
});
