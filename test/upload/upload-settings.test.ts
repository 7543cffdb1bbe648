import {
  contentTypeAllowed, MEBIBYTE, partLayout, S3_LIMITS, uploadSettingsFromEnvironment, uploadSettingsToEnvironment,
  UploadSettings, validateUploadSettings,
} from '../../src/upload/upload-settings';

const valid: UploadSettings = {
  bucketName: 'b',
  maxUploadBytes: 50 * 1024 * MEBIBYTE,
  multipartThresholdBytes: 100 * MEBIBYTE,
  partSizeBytes: 16 * MEBIBYTE,
  allowedContentTypes: ['video/*', 'application/mxf'],
  urlExpirySeconds: 900,
};

describe('upload settings', () => {
  test('valid settings have no errors and survive the trip through the environment', () => {
    expect(validateUploadSettings(valid)).toEqual([]);
    expect(uploadSettingsFromEnvironment(uploadSettingsToEnvironment(valid))).toEqual(valid);
  });

  test.each([
    [{ maxUploadBytes: S3_LIMITS.maxObjectBytes + 1 }, 'maxUploadSize (bytes) must be a whole number from 1 to 5497558138880'],
    [{ multipartThresholdBytes: S3_LIMITS.maxSingleRequestBytes + 1 }, 'multipartThreshold (bytes) must be a whole number from 1 to 5368709120'],
    [{ partSizeBytes: 5 * MEBIBYTE - 1 }, 'partSize (bytes) must be a whole number from 5242880'],
    [{ urlExpirySeconds: 30 }, 'uploadUrlExpiry (seconds) must be a whole number from 60 to 604800, got 30'],
    [{ allowedContentTypes: [] }, 'allowedContentTypes must name at least one media type'],
    [{ allowedContentTypes: ['Video/*'] }, 'allowedContentTypes entry "Video/*" is not a lower-case media type'],
    [{ allowedContentTypes: ['*/*'] }, 'allowedContentTypes entry "*/*"'],
  ])('%p is invalid', (change, message) => {
    const errors = validateUploadSettings({ ...valid, ...change });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  test('a missing or invalid variable stops the handler from starting', () => {
    const env = uploadSettingsToEnvironment(valid);
    expect(() => uploadSettingsFromEnvironment({ ...env, UPLOAD_BUCKET: undefined })).toThrow('environment variable UPLOAD_BUCKET is not set');
    expect(() => uploadSettingsFromEnvironment({ ...env, UPLOAD_PART_BYTES: 'lots' })).toThrow('partSize (bytes) must be a whole number');
  });

  test('content types match exactly or by whole type', () => {
    expect(contentTypeAllowed(['video/*'], 'video/mp4')).toBe(true);
    expect(contentTypeAllowed(['video/*'], 'videos/mp4')).toBe(false);
    expect(contentTypeAllowed(['video/mp4'], 'video/mp4')).toBe(true);
    expect(contentTypeAllowed(['video/mp4'], 'video/mp42')).toBe(false);
    expect(contentTypeAllowed(['application/mxf'], 'application/json')).toBe(false);
  });

  test('parts keep the configured size until a file needs more than 10,000 of them', () => {
    expect(partLayout(100 * MEBIBYTE + 1, 16 * MEBIBYTE)).toEqual({ partSize: 16 * MEBIBYTE, partCount: 7 });
    expect(partLayout(160_000 * MEBIBYTE, 16 * MEBIBYTE)).toEqual({ partSize: 16 * MEBIBYTE, partCount: 10_000 });
    const huge = partLayout(160_000 * MEBIBYTE + 1, 16 * MEBIBYTE);
    expect(huge).toEqual({ partSize: 17 * MEBIBYTE, partCount: Math.ceil((160_000 * MEBIBYTE + 1) / (17 * MEBIBYTE)) });
    expect(huge.partCount).toBeLessThanOrEqual(10_000);
  });
});
