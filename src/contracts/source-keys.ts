/**
 * The object key layout of uploaded source videos: the contract between the
 * upload bucket, which assigns keys, and the transcode pipeline, which
 * recovers the video id from the key of every object that arrives.
 *
 *   uploads/<videoId>/<uploadId>/source[.<ext>]
 *
 * Each upload gets a fresh upload id, so a retry or a re-upload never
 * overwrites an earlier source: nothing a creator uploaded is lost.
 */

/** Every source object lives under this prefix. */
export const SOURCE_PREFIX = 'uploads/';

/** Video and upload ids: URL- and key-safe, 1 to 64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const EXTENSION_PATTERN = /^[a-z0-9]{1,8}$/;
const KEY_PATTERN = /^uploads\/([^/]+)\/([^/]+)\/source(?:\.([^/.]+))?$/;

/** The parts of a source object key. */
export interface SourceKey {
  readonly videoId: string;
  readonly uploadId: string;
  /** File extension without the dot, when the content type has a well-known one. */
  readonly extension?: string;
}

/** Whether `id` is a valid video or upload id. */
export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

/** The object key for one upload of one video. Throws on ids that do not match {@link ID_PATTERN}. */
export function sourceObjectKey(parts: SourceKey): string {
  if (!isValidId(parts.videoId)) {
    throw new Error(`invalid video id ${JSON.stringify(parts.videoId)}: expected ${ID_PATTERN}`);
  }
  if (!isValidId(parts.uploadId)) {
    throw new Error(`invalid upload id ${JSON.stringify(parts.uploadId)}: expected ${ID_PATTERN}`);
  }
  if (parts.extension !== undefined && !EXTENSION_PATTERN.test(parts.extension)) {
    throw new Error(`invalid extension ${JSON.stringify(parts.extension)}: expected ${EXTENSION_PATTERN}`);
  }
  const suffix = parts.extension ? `.${parts.extension}` : '';
  return `${SOURCE_PREFIX}${parts.videoId}/${parts.uploadId}/source${suffix}`;
}

/**
 * Recovers the parts of a source object key, or `undefined` when the key does
 * not follow the layout (an object some other writer put in the bucket).
 */
export function parseSourceObjectKey(key: string): SourceKey | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) {
    return undefined;
  }
  const [, videoId, uploadId, extension] = match;
  if (!isValidId(videoId) || !isValidId(uploadId)) {
    return undefined;
  }
  if (extension !== undefined && !EXTENSION_PATTERN.test(extension)) {
    return undefined;
  }
  return extension === undefined ? { videoId, uploadId } : { videoId, uploadId, extension };
}

/**
 * S3 event notifications URL-encode object keys, with spaces as `+`.
 * Decode a key from such an event before parsing it.
 */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

const EXTENSIONS: Record<string, string> = {
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'video/x-matroska': 'mkv',
  'video/x-msvideo': 'avi',
  'video/mpeg': 'mpg',
  'video/mp2t': 'ts',
  'video/x-m4v': 'm4v',
  'video/3gpp': '3gp',
  'video/x-flv': 'flv',
  'video/x-ms-wmv': 'wmv',
  'application/mxf': 'mxf',
};

/** The file extension conventionally used for a content type, if it has one. */
export function extensionForContentType(contentType: string): string | undefined {
  return EXTENSIONS[contentType.toLowerCase()];
}
