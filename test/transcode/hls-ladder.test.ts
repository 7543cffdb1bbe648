import { HlsLadder } from '../../src';

describe('HlsLadder', () => {
  test('the standard ladder has five rungs from 270 to 1080, lowest first, QVBR level 7', () => {
    const spec = HlsLadder.standard()._toSpec();
    expect(spec.rungs.map((rung) => [rung.shortSide, rung.maxBitrate, rung.qvbrQualityLevel])).toEqual([
      [270, 400_000, 7], [360, 800_000, 7], [540, 2_000_000, 7], [720, 3_500_000, 7], [1080, 6_000_000, 7],
    ]);
    expect(spec.automatic).toBeUndefined();
  });

  test('the UHD ladder adds 1440 and 2160 at quality level 8', () => {
    expect(HlsLadder.uhd()._toSpec().rungs.slice(-2)).toEqual([
      { shortSide: 1440, maxBitrate: 10_000_000, qvbrQualityLevel: 8 },
      { shortSide: 2160, maxBitrate: 16_000_000, qvbrQualityLevel: 8 },
    ]);
  });

  test('custom rungs are sorted and keep their quality level', () => {
    const ladder = HlsLadder.fromRungs([{ shortSide: 720, maxBitrate: 3_000_000, qvbrQualityLevel: 9 }, { shortSide: 360, maxBitrate: 700_000 }]);
    expect(ladder.rungs.map((rung) => rung.shortSide)).toEqual([360, 720]);
    expect(ladder._toSpec().rungs[1].qvbrQualityLevel).toBe(9);
  });

  test.each([
    [[], 'a ladder has 1 to 10 rungs, got 0'],
    [[{ shortSide: 721, maxBitrate: 1_000_000 }], 'rung 1 shortSide must be even, got 721'],
    [[{ shortSide: 100, maxBitrate: 1_000_000 }], 'rung 1 shortSide must be a whole number from 144 to 2160, got 100'],
    [[{ shortSide: 4320, maxBitrate: 40_000_000 }], 'rung 1 shortSide is 4320, but MediaConvert encodes H.264 frames of at most 4096x2160 (or 2160x4096): the largest rung is 2160'],
    [[{ shortSide: 2162, maxBitrate: 40_000_000 }], 'rung 1 shortSide is 2162'],
    [[{ shortSide: 720, maxBitrate: 10 }], 'rung 1 maxBitrate must be a whole number from 50000 to 100000000, got 10'],
    [[{ shortSide: 720, maxBitrate: 1_000_000, qvbrQualityLevel: 11 }], 'rung 1 qvbrQualityLevel must be a whole number from 1 to 10, got 11'],
    [[{ shortSide: 720, maxBitrate: 1_000_000 }, { shortSide: 720, maxBitrate: 2_000_000 }], 'rungs must have distinct short sides, got 720, 720'],
  ])('refuses %p', (rungs, message) => {
    expect(() => HlsLadder.fromRungs(rungs)).toThrow(message);
  });

  test('an automatic ladder validates its bounds', () => {
    expect(HlsLadder.automatic()._toSpec().automatic).toEqual({ maxRenditions: 6, maxBitrate: 8_000_000, minBitrate: 600_000 });
    expect(() => HlsLadder.automatic({ maxRenditions: 2 })).toThrow('maxRenditions must be a whole number from 3 to 15, got 2');
    expect(() => HlsLadder.automatic({ minBitrate: 9_000_000 })).toThrow('minBitrate must be a whole number from 100000 to 8000000');
  });

  describe('cost in output minutes per source minute', () => {
    test('the standard ladder over a 1080p source: 3 SD and 2 HD', () => {
      expect(HlsLadder.standard().outputMinutesPerSourceMinute({ sourceShortSide: 1080 }))
        .toEqual({ sdMinutes: 3, hdMinutes: 2, uhdMinutes: 0, totalMinutes: 5, professionalTier: false });
    });

    test('a 720p source is not billed for the 1080 rung it does not get', () => {
      expect(HlsLadder.standard().outputMinutesPerSourceMinute({ sourceShortSide: 720 }).totalMinutes).toBe(4);
    });

    test('a tiny source is one SD minute', () => {
      expect(HlsLadder.standard().outputMinutesPerSourceMinute({ sourceShortSide: 180 })).toMatchObject({ sdMinutes: 1, totalMinutes: 1 });
    });

    test('the UHD ladder over 4K with a download: 3 SD, 3 HD, 2 UHD', () => {
      expect(HlsLadder.uhd().outputMinutesPerSourceMinute({ sourceShortSide: 2160, download: true }))
        .toEqual({ sdMinutes: 3, hdMinutes: 3, uhdMinutes: 2, totalMinutes: 8, professionalTier: false });
    });

    test('an automatic ladder is bounded by its renditions and needs the Professional tier', () => {
      expect(HlsLadder.automatic({ maxRenditions: 4 }).outputMinutesPerSourceMinute()).toMatchObject({ totalMinutes: 4, professionalTier: true });
    });
  });
});
