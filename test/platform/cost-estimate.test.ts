import { Duration, Size } from 'aws-cdk-lib';
import { HlsLadder, PlatformCostModel, PlatformPrices } from '../../src';

/** A gigabyte as the model counts it: 2^30 bytes. */
const GB = 1024 ** 3;
/** AAC stereo in every rendition. */
const AUDIO = 128_000;

const LIST = PlatformCostModel.listPricesUsEast1().prices;

/** Made-up Professional tier prices: only the arithmetic is under test. */
const PROFESSIONAL = { sd: 0.01, hd: 0.02, uhd: 0.04 };

describe('PlatformCostModel', () => {
  test('the us-east-1 list prices are the ones the README quotes', () => {
    expect(LIST).toEqual({
      mediaConvertBasic: { sd: 0.0075, hd: 0.015, uhd: 0.03 },
      s3StandardPerGbMonth: 0.023,
      cloudFrontPerGb: 0.085,
      cloudFrontPer10kHttpsRequests: 0.01,
      httpApiPerMillionRequests: 1,
      lambdaPerMillionRequests: 0.2,
      lambdaArmPerGbSecond: 0.0000133334,
      dynamoDbPerMillionReadUnits: 0.125,
    });
    expect(LIST.mediaConvertProfessional).toBeUndefined();
  });

  describe('per source minute', () => {
    test('the standard ladder over a 1080p source, at the Basic tier', () => {
      const cost = PlatformCostModel.listPricesUsEast1().perSourceMinute({ sourceShortSide: 1080 });

      expect(cost.outputMinutes).toEqual({ sdMinutes: 3, hdMinutes: 2, uhdMinutes: 0, totalMinutes: 5, professionalTier: false });
      expect(cost.professionalTier).toBe(false);
      // 3 SD minutes x $0.0075 + 2 HD minutes x $0.015 = $0.0225 + $0.03
      expect(cost.transcoding).toBeCloseTo(0.0525, 10);
      // (400k + 800k + 2M + 3.5M + 6M) video + 5 x 128k audio = 13,340,000 b/s;
      // x 60 s / 8 = 100,050,000 bytes = 0.0931788 GB of 2^30 bytes
      expect(cost.storedGigabytes).toBeCloseTo((400_000 + 800_000 + 2_000_000 + 3_500_000 + 6_000_000 + 5 * AUDIO) * 60 / 8 / GB, 12);
      expect(cost.storedGigabytes).toBeCloseTo(100_050_000 / GB, 12);
      expect(cost.storedGigabytes).toBeCloseTo(0.0931788, 6);
      // 0.0931788 GB x $0.023 per GB-month
      expect(cost.storagePerMonth).toBeCloseTo(0.00214311, 8);
    });

    test('the standard ladder is the default, and a source with no size gets every rung', () => {
      const model = PlatformCostModel.listPricesUsEast1();
      expect(model.perSourceMinute()).toEqual(model.perSourceMinute({ ladder: HlsLadder.standard(), sourceShortSide: 1080 }));
    });

    test('a 720p source is not billed or stored for the 1080 rung', () => {
      const cost = PlatformCostModel.listPricesUsEast1().perSourceMinute({ sourceShortSide: 720 });
      // 3 x $0.0075 + 1 x $0.015
      expect(cost.transcoding).toBeCloseTo(0.0375, 10);
      // (400k + 800k + 2M + 3.5M) + 4 x 128k = 7,212,000 b/s x 60 / 8 = 54,090,000 bytes
      expect(cost.storedGigabytes).toBeCloseTo(54_090_000 / GB, 12);
    });

    test('a source smaller than every rung is stored once, at its own size and the lowest rung\'s bitrate', () => {
      const cost = PlatformCostModel.listPricesUsEast1().perSourceMinute({ sourceShortSide: 180 });
      // 1 SD minute x $0.0075
      expect(cost.transcoding).toBeCloseTo(0.0075, 10);
      // (400k + 128k) x 60 / 8 = 3,960,000 bytes
      expect(cost.storedGigabytes).toBeCloseTo(3_960_000 / GB, 12);
    });

    test('the UHD ladder over a 4K source', () => {
      const cost = PlatformCostModel.listPricesUsEast1().perSourceMinute({ ladder: HlsLadder.uhd(), sourceShortSide: 2160 });

      expect(cost.outputMinutes).toMatchObject({ sdMinutes: 3, hdMinutes: 2, uhdMinutes: 2 });
      // 3 x $0.0075 + 2 x $0.015 + 2 x $0.03 = $0.0225 + $0.03 + $0.06
      expect(cost.transcoding).toBeCloseTo(0.1125, 10);
      // 12.7M (standard rungs) + 10M + 16M video + 7 x 128k audio = 39,596,000 b/s x 60 / 8 = 296,970,000 bytes
      expect(cost.storedGigabytes).toBeCloseTo(296_970_000 / GB, 12);
      // 0.2765749 GB x $0.023
      expect(cost.storagePerMonth).toBeCloseTo(0.00636122, 8);
    });

    test('the download rendition adds an output minute and the stored MP4 of the largest rendition up to 1080', () => {
      const model = PlatformCostModel.listPricesUsEast1();
      const without = model.perSourceMinute({ ladder: HlsLadder.uhd(), sourceShortSide: 2160 });
      const withDownload = model.perSourceMinute({ ladder: HlsLadder.uhd(), sourceShortSide: 2160, download: true });
      // One more HD minute: $0.015
      expect(withDownload.transcoding - without.transcoding).toBeCloseTo(0.015, 10);
      // The 1080 rung (6 Mb/s) + audio, x 60 / 8 = 45,960,000 bytes
      expect(withDownload.storedGigabytes - without.storedGigabytes).toBeCloseTo(45_960_000 / GB, 12);
    });

    test('the Professional tier prices the same outputs at its own rates', () => {
      const model = PlatformCostModel.fromPrices({ ...LIST, mediaConvertProfessional: PROFESSIONAL });
      const cost = model.perSourceMinute({ sourceShortSide: 1080, professionalTier: true });
      expect(cost.professionalTier).toBe(true);
      // 3 x $0.01 + 2 x $0.02
      expect(cost.transcoding).toBeCloseTo(0.07, 10);
      expect(model.perSourceMinute({ sourceShortSide: 1080 }).transcoding).toBeCloseTo(0.0525, 10);
    });

    test('automatic captions add one audio-only output and one Transcribe minute per source minute, at the prices given', () => {
      const model = PlatformCostModel.fromPrices({ ...LIST, transcribePerMinute: 0.02, mediaConvertAudioOnlyPerMinute: 0.003 });
      const cost = model.perSourceMinute({ sourceShortSide: 1080, automaticCaptions: true });
      expect(cost.captions).toBeCloseTo(0.023, 10);
      expect(cost.transcoding).toBeCloseTo(0.0525, 10);
      expect(model.perSourceMinute({ sourceShortSide: 1080 }).captions).toBe(0);
      expect(() => PlatformCostModel.listPricesUsEast1().perSourceMinute({ automaticCaptions: true }))
        .toThrow('this estimate prices automatic captions, but the prices have no transcribePerMinute or mediaConvertAudioOnlyPerMinute');
      expect(() => PlatformCostModel.fromPrices({ ...LIST, transcribePerMinute: -1 })).toThrow('transcribePerMinute');
    });

    test('an automatic ladder needs the Professional tier and is priced as an upper bound', () => {
      const model = PlatformCostModel.fromPrices({ ...LIST, mediaConvertProfessional: PROFESSIONAL });
      const cost = model.perSourceMinute({ ladder: HlsLadder.automatic(), sourceShortSide: 1080 });
      expect(cost.professionalTier).toBe(true);
      // Up to 6 renditions of unknown size, each at the source's class (HD): 6 x $0.02
      expect(cost.transcoding).toBeCloseTo(0.12, 10);
      // 6 x (8 Mb/s + 128 kb/s) x 60 / 8 = 365,760,000 bytes
      expect(cost.storedGigabytes).toBeCloseTo(365_760_000 / GB, 12);
      // With no source size, the renditions are priced as UHD: 6 x $0.04
      expect(model.perSourceMinute({ ladder: HlsLadder.automatic() }).transcoding).toBeCloseTo(0.24, 10);
    });

    test('throws when the Professional tier is needed and has no prices', () => {
      const model = PlatformCostModel.listPricesUsEast1();
      const message = 'this estimate needs MediaConvert\'s Professional tier, but the prices have no mediaConvertProfessional';
      expect(() => model.perSourceMinute({ ladder: HlsLadder.automatic() })).toThrow(message);
      expect(() => model.perSourceMinute({ professionalTier: true })).toThrow(message);
    });

    test('throws when the source size is not a positive number', () => {
      expect(() => PlatformCostModel.listPricesUsEast1().perSourceMinute({ sourceShortSide: 0 }))
        .toThrow('invalid source minute options: sourceShortSide must be a positive number of pixels, got 0');
    });
  });

  describe('per 1,000 views', () => {
    test('10-minute views at 1080p with the defaults', () => {
      const cost = PlatformCostModel.listPricesUsEast1().perThousandViews();

      // 1,000 x 6,128,000 b/s x 600 s / 8 = 459,600,000,000 bytes = 428.0359 GB
      expect(cost.deliveredGigabytes).toBeCloseTo(459_600_000_000 / GB, 9);
      expect(cost.deliveredGigabytes).toBeCloseTo(428.0359, 4);
      // 428.0359 GB x $0.085
      expect(cost.dataTransfer).toBeCloseTo(36.383048, 6);
      // 1,000 x (master + rendition playlist + 600 s / 6 s segments) = 102,000
      expect(cost.mediaRequests).toBe(102_000);
      // 1,000 x ceil(600 s / 240 s) = 1,000 x 3 (start, at 4 and at 8 minutes)
      expect(cost.apiCalls).toBe(3_000);
      // (102,000 + 3,000) / 10,000 x $0.01
      expect(cost.requests).toBeCloseTo(0.105, 10);
      // 3,000 x ($1.00 + $0.20) / 1M + 3,000 x 0.5 GB x 0.1 s x $0.0000133334 = $0.0036 + $0.00200001
      expect(cost.api).toBeCloseTo(0.00560001, 10);
      // 3,000 x 1.5 read units x $0.125 / 1M
      expect(cost.database).toBeCloseTo(0.0005625, 10);
      expect(cost.total).toBeCloseTo(36.383048 + 0.105 + 0.00560001 + 0.0005625, 6);
    });

    test('a shorter view at a lower bitrate', () => {
      const cost = PlatformCostModel.listPricesUsEast1().perThousandViews({
        averageViewMinutes: 3, deliveredBitrate: 2_128_000, segmentLength: Duration.seconds(4),
      });
      // 1,000 x 2,128,000 x 180 / 8 = 47,880,000,000 bytes
      expect(cost.deliveredGigabytes).toBeCloseTo(47_880_000_000 / GB, 9);
      // 1,000 x (2 + 180 / 4)
      expect(cost.mediaRequests).toBe(47_000);
      // 1,000 x ceil(180 / 240)
      expect(cost.apiCalls).toBe(1_000);
    });

    test.each([
      ['averageViewMinutes', { averageViewMinutes: 0 }, 'averageViewMinutes must be a number above 0, got 0'],
      ['deliveredBitrate', { deliveredBitrate: -1 }, 'deliveredBitrate must be a number above 0, got -1'],
      ['segmentLength', { segmentLength: Duration.seconds(0) }, 'segmentLength must be a number above 0, got 0'],
      ['readUnitsPerPlaybackCall', { readUnitsPerPlaybackCall: Number.NaN }, 'readUnitsPerPlaybackCall must be a number of 0 or more, got NaN'],
    ])('throws when %s is out of range', (_name, options, message) => {
      expect(() => PlatformCostModel.listPricesUsEast1().perThousandViews(options)).toThrow(`invalid view options: ${message}`);
    });

    test.each([
      ['averageViewMinutes', { averageViewMinutes: 20 }],
      ['deliveredBitrate', { deliveredBitrate: 3_000_000 }],
      ['segmentLength', { segmentLength: Duration.seconds(2) }],
      ['sessionRefreshInterval', { sessionRefreshInterval: Duration.minutes(1) }],
      ['apiFunctionMemory', { apiFunctionMemory: Size.gibibytes(1) }],
      ['apiFunctionDuration', { apiFunctionDuration: Duration.millis(400) }],
      ['readUnitsPerPlaybackCall', { readUnitsPerPlaybackCall: 4 }],
    ])('%s changes the cost', (_name, options) => {
      const model = PlatformCostModel.listPricesUsEast1();
      expect(model.perThousandViews(options).total).not.toBeCloseTo(model.perThousandViews().total, 12);
    });
  });

  describe('every price moves the estimate it belongs to', () => {
    /** Everything the model answers, in one number per estimate. */
    function totals(prices: PlatformPrices): number[] {
      const model = PlatformCostModel.fromPrices(prices);
      return [
        model.perSourceMinute({ ladder: HlsLadder.uhd(), sourceShortSide: 2160 }).transcoding,
        model.perSourceMinute({ ladder: HlsLadder.uhd(), sourceShortSide: 2160, professionalTier: true }).transcoding,
        model.perSourceMinute().storagePerMonth,
        model.perThousandViews().total,
      ];
    }
    const base: PlatformPrices = { ...LIST, mediaConvertProfessional: PROFESSIONAL };

    test.each([
      ['s3StandardPerGbMonth', 2],
      ['cloudFrontPerGb', 3],
      ['cloudFrontPer10kHttpsRequests', 3],
      ['httpApiPerMillionRequests', 3],
      ['lambdaPerMillionRequests', 3],
      ['lambdaArmPerGbSecond', 3],
      ['dynamoDbPerMillionReadUnits', 3],
    ] as const)('%s', (key, estimate) => {
      const before = totals(base);
      const after = totals({ ...base, [key]: base[key] * 2 });
      after.forEach((value, index) => {
        if (index === estimate) {
          expect(value).toBeGreaterThan(before[index]);
        } else {
          expect(value).toBe(before[index]);
        }
      });
    });

    test.each([
      ['mediaConvertBasic', 0],
      ['mediaConvertProfessional', 1],
    ] as const)('%s, in each resolution class', (tier, estimate) => {
      for (const resolution of ['sd', 'hd', 'uhd'] as const) {
        const before = totals(base);
        const after = totals({ ...base, [tier]: { ...base[tier]!, [resolution]: base[tier]![resolution] * 2 } });
        after.forEach((value, index) => {
          if (index === estimate) {
            expect(value).toBeGreaterThan(before[index]);
          } else {
            expect(value).toBe(before[index]);
          }
        });
      }
    });
  });

  test.each([
    ['a negative price', { ...LIST, cloudFrontPerGb: -0.085 }, 'invalid prices: cloudFrontPerGb must be a number of 0 or more, got -0.085'],
    ['a price that is not a number', { ...LIST, s3StandardPerGbMonth: Number.POSITIVE_INFINITY }, 'invalid prices: s3StandardPerGbMonth must be a number of 0 or more, got Infinity'],
    ['a bad Professional price', { ...LIST, mediaConvertProfessional: { ...PROFESSIONAL, uhd: -1 } }, 'invalid prices: mediaConvertProfessional.uhd must be a number of 0 or more, got -1'],
  ])('throws on %s', (_name, prices, message) => {
    expect(() => PlatformCostModel.fromPrices(prices)).toThrow(message);
  });

  test('throws without Basic tier prices', () => {
    const { mediaConvertBasic: _basic, ...rest } = LIST;
    expect(() => PlatformCostModel.fromPrices(rest as unknown as PlatformPrices)).toThrow('invalid prices: mediaConvertBasic is required');
  });
});
