/**
 * The settings of upload issuance: validated once by the construct at synth
 * time, carried to the handler in environment variables, and read back there.
 */

import { requiredEnv } from '../internal/environment.lambda-shared';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

/** The limits S3 documents for uploads. */
export const S3_LIMITS = {
  /** Largest object S3 stores. */
  maxObjectBytes: 5 * TiB,
  /** Largest single PUT or POST. */
  maxSingleRequestBytes: 5 * GiB,
  /** Smallest part of a multipart upload (all but the last). */
  minPartBytes: 5 * MiB,
  /** Largest part of a multipart upload. */
  maxPartBytes: 5 * GiB,
  /** Most parts in one multipart upload. */
  maxParts: 10_000,
  /** Longest presigned URL lifetime SigV4 allows. */
  maxPresignSeconds: 7 * 24 * 3600,
} as const;

export const MEBIBYTE = MiB;

export interface UploadSettings {
  readonly bucketName: string;
  /** Largest accepted upload. */
  readonly maxUploadBytes: number;
  /** Uploads larger than this use multipart; up to it, one presigned POST. */
  readonly multipartThresholdBytes: number;
  /** Smallest part size of a multipart upload; grown for very large files so they fit in 10,000 parts. */
  readonly partSizeBytes: number;
  /** Allowed media types: exact (`video/mp4`) or a whole type (`video/*`). */
  readonly allowedContentTypes: readonly string[];
  /** Lifetime of presigned forms and URLs. */
  readonly urlExpirySeconds: number;
}

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const CONTENT_TYPE_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]{0,126})$/;

/** Whether `value` is a bare media type such as `video/mp4` (lower case, no parameters). */
export function isContentType(value: string): boolean {
  return CONTENT_TYPE.test(value);
}

/** Whether `pattern` is an exact media type or a whole type such as `video/*`. */
export function isContentTypePattern(pattern: string): boolean {
  return CONTENT_TYPE_PATTERN.test(pattern);
}

/** Whether `contentType` (lower case) is allowed by one of `patterns`. */
export function contentTypeAllowed(patterns: readonly string[], contentType: string): boolean {
  return patterns.some((pattern) =>
    pattern.endsWith('/*')
      ? contentType.startsWith(pattern.slice(0, -1))
      : contentType === pattern,
  );
}

/** Every way `settings` breaks S3's limits or its own consistency, as messages; empty when valid. */
export function validateUploadSettings(settings: Omit<UploadSettings, 'bucketName'>): string[] {
  const errors: string[] = [];
  const whole = (name: string, value: number, min: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      errors.push(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
    }
  };
  whole('maxUploadSize (bytes)', settings.maxUploadBytes, 1, S3_LIMITS.maxObjectBytes);
  whole('multipartThreshold (bytes)', settings.multipartThresholdBytes, 1, S3_LIMITS.maxSingleRequestBytes);
  whole('partSize (bytes)', settings.partSizeBytes, S3_LIMITS.minPartBytes, S3_LIMITS.maxPartBytes);
  whole('uploadUrlExpiry (seconds)', settings.urlExpirySeconds, 60, S3_LIMITS.maxPresignSeconds);
  if (settings.allowedContentTypes.length === 0) {
    errors.push('allowedContentTypes must name at least one media type, got none');
  }
  for (const pattern of settings.allowedContentTypes) {
    if (!isContentTypePattern(pattern)) {
      errors.push(`allowedContentTypes entry ${JSON.stringify(pattern)} is not a lower-case media type such as "video/mp4" or "video/*"`);
    }
  }
  return errors;
}

const ENV = {
  bucketName: 'UPLOAD_BUCKET',
  maxUploadBytes: 'UPLOAD_MAX_BYTES',
  multipartThresholdBytes: 'UPLOAD_MULTIPART_THRESHOLD_BYTES',
  partSizeBytes: 'UPLOAD_PART_BYTES',
  allowedContentTypes: 'UPLOAD_CONTENT_TYPES',
  urlExpirySeconds: 'UPLOAD_URL_EXPIRY_SECONDS',
} as const;

/** The environment variables that carry `settings` to the handler. */
export function uploadSettingsToEnvironment(settings: UploadSettings): Record<string, string> {
  return {
    [ENV.bucketName]: settings.bucketName,
    [ENV.maxUploadBytes]: String(settings.maxUploadBytes),
    [ENV.multipartThresholdBytes]: String(settings.multipartThresholdBytes),
    [ENV.partSizeBytes]: String(settings.partSizeBytes),
    [ENV.allowedContentTypes]: settings.allowedContentTypes.join(','),
    [ENV.urlExpirySeconds]: String(settings.urlExpirySeconds),
  };
}

/** Reads the settings back from the environment; throws when one is missing or invalid. */
export function uploadSettingsFromEnvironment(env: Record<string, string | undefined>): UploadSettings {
  const read = (name: string) => requiredEnv(env, name);
  const settings: UploadSettings = {
    bucketName: read(ENV.bucketName),
    maxUploadBytes: Number(read(ENV.maxUploadBytes)),
    multipartThresholdBytes: Number(read(ENV.multipartThresholdBytes)),
    partSizeBytes: Number(read(ENV.partSizeBytes)),
    allowedContentTypes: read(ENV.allowedContentTypes).split(','),
    urlExpirySeconds: Number(read(ENV.urlExpirySeconds)),
  };
  const errors = validateUploadSettings(settings);
  if (errors.length > 0) {
    throw new Error(`invalid upload settings in the environment: ${errors.join('; ')}`);
  }
  return settings;
}

/** The part layout of a multipart upload of `size` bytes. */
export interface PartLayout {
  readonly partSize: number;
  readonly partCount: number;
}

/**
 * The part layout for `size` bytes: parts of `minPartSize`, grown in whole
 * mebibytes when the file would otherwise need more than 10,000 parts.
 */
export function partLayout(size: number, minPartSize: number): PartLayout {
  const needed = Math.ceil(size / S3_LIMITS.maxParts);
  const partSize = Math.max(minPartSize, Math.ceil(needed / MiB) * MiB);
  return { partSize, partCount: Math.ceil(size / partSize) };
}
