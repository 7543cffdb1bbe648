import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  Part,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { contentTypeAllowed, isContentType, partLayout, UploadSettings } from './upload-settings';
import { extensionForContentType, ID_PATTERN, isValidId, parseSourceObjectKey, sourceObjectKey } from '../contracts/source-keys';
import {
  AbortedUpload,
  AbortUploadRequest,
  CompletedUpload,
  CompleteUploadRequest,
  IssuedUpload,
  IssueUploadRequest,
  ListedParts,
  ListPartsRequest,
  MAX_PART_URLS_PER_ANSWER,
  PartUrl,
  SignedParts,
  SignPartsRequest,
  UploadRequest,
  UploadResponse,
  UploadResult,
} from '../contracts/upload-messages';
import { USER_ID_PATTERN } from '../contracts/user-ids';
import { describeValue } from '../internal/describe.lambda-shared';

/** What issuance needs from its surroundings; the handler builds these once per container. */
export interface UploadDependencies {
  /** Must be built with `requestChecksumCalculation: 'WHEN_REQUIRED'` (see {@link createUploadS3Client}). */
  readonly s3: S3Client;
  readonly settings: UploadSettings;
  readonly now?: () => Date;
  readonly newUploadId?: () => string;
}

/**
 * An S3 client whose presigned URLs real S3 accepts from a browser: without
 * `WHEN_REQUIRED`, the SDK signs a checksum of an empty body into every URL.
 */
export function createUploadS3Client(config: ConstructorParameters<typeof S3Client>[0] = {}): S3Client {
  return new S3Client({
    ...config,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A request refused for something the caller sent; carries the HTTP status to answer with. */
export class UploadRequestError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = 'UploadRequestError';
  }
}

const CREATOR_ID = USER_ID_PATTERN;
const MULTIPART_UPLOAD_ID = /^[A-Za-z0-9._~=+/-]{1,1024}$/;

/**
 * Validates an untrusted request, carries it out, and answers. Refusals are
 * answers; only faults of S3 or of the function itself throw.
 */
export async function handleUploadRequest(deps: UploadDependencies, request: unknown): Promise<UploadResponse> {
  try {
    return { ok: true, result: await dispatch(deps, parseRequest(request)) };
  } catch (error) {
    if (error instanceof UploadRequestError) {
      return { ok: false, statusCode: error.statusCode, error: { code: error.code, message: error.message } };
    }
    throw error;
  }
}

function dispatch(deps: UploadDependencies, request: UploadRequest): Promise<UploadResult> {
  switch (request.action) {
    case 'issue': return issueUpload(deps, request);
    case 'sign-parts': return signParts(deps, request);
    case 'complete': return completeUpload(deps, request);
    case 'abort': return abortUpload(deps, request);
    case 'list-parts': return listParts(deps, request);
  }
}

/** Issues a presigned POST, or a multipart upload above the threshold, for one video. */
export async function issueUpload(deps: UploadDependencies, request: IssueUploadRequest): Promise<IssuedUpload> {
  const { settings } = deps;
  const contentType = request.contentType.toLowerCase();
  checkSize(settings, request.size);
  if (!contentTypeAllowed(settings.allowedContentTypes, contentType)) {
    throw new UploadRequestError(415, 'unsupported-content-type',
      `content type ${JSON.stringify(request.contentType)} is not allowed; allowed: ${settings.allowedContentTypes.join(', ')}`);
  }
  const uploadId = (deps.newUploadId ?? randomUUID)();
  const key = sourceObjectKey({ videoId: request.videoId, uploadId, extension: extensionForContentType(contentType) });
  const expiresAt = expiry(deps);
  const base = { videoId: request.videoId, uploadId, key, size: request.size, contentType, expiresAt: expiresAt.toISOString() };

  if (request.size <= settings.multipartThresholdBytes) {
    const post = await createPresignedPost(deps.s3, {
      Bucket: settings.bucketName,
      Key: key,
      Expires: settings.urlExpirySeconds,
      // Each field is also an exact-match condition of the signed policy.
      Fields: { 'Content-Type': contentType, 'x-amz-meta-creator-id': request.creatorId },
      Conditions: [['content-length-range', request.size, request.size]],
    });
    return { kind: 'post', ...base, url: post.url, fields: post.fields };
  }

  const created = await deps.s3.send(new CreateMultipartUploadCommand({
    Bucket: settings.bucketName,
    Key: key,
    ContentType: contentType,
    Metadata: { 'creator-id': request.creatorId },
  }));
  const multipartUploadId = created.UploadId!;
  const { partSize, partCount } = partLayout(request.size, settings.partSizeBytes);
  const parts = await presignParts(deps, key, multipartUploadId, request.size, 1, Math.min(partCount, MAX_PART_URLS_PER_ANSWER));
  return { kind: 'multipart', ...base, multipartUploadId, partSize, partCount, parts };
}

/** Presigns more part URLs of a multipart upload. */
export async function signParts(deps: UploadDependencies, request: SignPartsRequest): Promise<SignedParts> {
  checkKey(request.videoId, request.key);
  checkSize(deps.settings, request.size);
  const { partCount } = partLayout(request.size, deps.settings.partSizeBytes);
  const last = request.firstPartNumber + request.count - 1;
  if (request.firstPartNumber > partCount || last > partCount) {
    throw new UploadRequestError(400, 'invalid-part-range',
      `parts ${request.firstPartNumber} to ${last} were asked for, but a ${request.size}-byte upload has parts 1 to ${partCount}`);
  }
  const parts = await presignParts(deps, request.key, request.multipartUploadId, request.size, request.firstPartNumber, request.count);
  return { kind: 'parts', parts, expiresAt: expiry(deps).toISOString() };
}

/**
 * Completes a multipart upload from the parts S3 holds, after checking they
 * follow the issued layout and add up to the declared size. A retry after a
 * completion that succeeded answers the same.
 */
export async function completeUpload(deps: UploadDependencies, request: CompleteUploadRequest): Promise<CompletedUpload> {
  checkKey(request.videoId, request.key);
  checkSize(deps.settings, request.size);
  const { settings, s3 } = deps;
  const stored = await listAllParts(deps, request.key, request.multipartUploadId);
  if (stored === undefined) {
    if (await storedSize(deps, request.key) === request.size) {
      return { kind: 'completed', key: request.key, size: request.size };
    }
    throw new UploadRequestError(404, 'no-such-upload', `multipart upload ${request.multipartUploadId} of ${request.key} does not exist, or was aborted`);
  }
  const { partSize, partCount } = partLayout(request.size, settings.partSizeBytes);
  const expectedSize = (partNumber: number) => partNumber < partCount ? partSize : request.size - (partCount - 1) * partSize;
  const total = stored.reduce((sum, part) => sum + (part.Size ?? 0), 0);
  const misplaced = stored.find((part, index) => part.PartNumber !== index + 1 || part.Size !== expectedSize(index + 1));
  if (stored.length !== partCount || misplaced !== undefined || total !== request.size) {
    throw new UploadRequestError(409, 'parts-mismatch',
      `the stored parts (${stored.length} parts, ${total} bytes) do not match the upload as issued ` +
      `(${partCount} parts of ${partSize} bytes, ${request.size} bytes in all)` +
      (misplaced ? `; part ${misplaced.PartNumber} has ${misplaced.Size} bytes` : ''));
  }
  await s3.send(new CompleteMultipartUploadCommand({
    Bucket: settings.bucketName,
    Key: request.key,
    UploadId: request.multipartUploadId,
    MultipartUpload: { Parts: stored.map((part) => ({ PartNumber: part.PartNumber, ETag: part.ETag })) },
  }));
  return { kind: 'completed', key: request.key, size: request.size };
}

/** Aborts a multipart upload. Aborting one that is already gone answers the same. */
export async function abortUpload(deps: UploadDependencies, request: AbortUploadRequest): Promise<AbortedUpload> {
  checkKey(request.videoId, request.key);
  try {
    await deps.s3.send(new AbortMultipartUploadCommand({
      Bucket: deps.settings.bucketName,
      Key: request.key,
      UploadId: request.multipartUploadId,
    }));
  } catch (error) {
    if (!isS3Error(error, 'NoSuchUpload')) {
      throw error;
    }
  }
  return { kind: 'aborted', key: request.key };
}

/**
 * The parts S3 holds of a multipart upload (every page of ListParts), in
 * part order, with the layout they follow. 404 once the upload is gone
 * (completed or aborted).
 */
export async function listParts(deps: UploadDependencies, request: ListPartsRequest): Promise<ListedParts> {
  checkKey(request.videoId, request.key);
  checkSize(deps.settings, request.size);
  const stored = await listAllParts(deps, request.key, request.multipartUploadId);
  if (stored === undefined) {
    throw new UploadRequestError(404, 'no-such-upload', `multipart upload ${request.multipartUploadId} of ${request.key} does not exist, or was completed or aborted`);
  }
  const { partSize, partCount } = partLayout(request.size, deps.settings.partSizeBytes);
  return {
    kind: 'listed-parts',
    key: request.key,
    partSize,
    partCount,
    parts: stored.map((part) => ({ partNumber: part.PartNumber ?? 0, size: part.Size ?? 0, etag: part.ETag ?? '' })),
  };
}

async function presignParts(
  deps: UploadDependencies, key: string, uploadId: string, size: number, first: number, count: number,
): Promise<PartUrl[]> {
  const { partSize, partCount } = partLayout(size, deps.settings.partSizeBytes);
  const parts: PartUrl[] = [];
  for (let partNumber = first; partNumber < first + count; partNumber++) {
    const bytes = partNumber < partCount ? partSize : size - (partCount - 1) * partSize;
    const command = new UploadPartCommand({
      Bucket: deps.settings.bucketName,
      Key: key,
      UploadId: uploadId,
      PartNumber: partNumber,
      ContentLength: bytes,
    });
    // Signing Content-Length pins each part to its exact size.
    const url = await getSignedUrl(deps.s3, command, {
      expiresIn: deps.settings.urlExpirySeconds,
      signableHeaders: new Set(['content-length']),
    });
    parts.push({ partNumber, url });
  }
  return parts;
}

/** Every stored part, in order, or `undefined` when the upload does not exist. */
async function listAllParts(deps: UploadDependencies, key: string, uploadId: string): Promise<Part[] | undefined> {
  const parts: Part[] = [];
  let marker: string | undefined;
  try {
    do {
      const page = await deps.s3.send(new ListPartsCommand({
        Bucket: deps.settings.bucketName, Key: key, UploadId: uploadId, PartNumberMarker: marker,
      }));
      parts.push(...(page.Parts ?? []));
      marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (marker !== undefined);
  } catch (error) {
    if (isS3Error(error, 'NoSuchUpload')) {
      return undefined;
    }
    throw error;
  }
  return parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
}

/** Size of the object at `key`, or `undefined` when there is none. Lists rather than reads, so the issuer needs no read access. */
async function storedSize(deps: UploadDependencies, key: string): Promise<number | undefined> {
  const listed = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.settings.bucketName, Prefix: key, MaxKeys: 1 }));
  const object = listed.Contents?.find((entry) => entry.Key === key);
  return object?.Size;
}

function isS3Error(error: unknown, name: string): boolean {
  return error instanceof Error && (error.name === name || (error as { Code?: string }).Code === name);
}

function expiry(deps: UploadDependencies): Date {
  const now = (deps.now ?? (() => new Date()))();
  return new Date(now.getTime() + deps.settings.urlExpirySeconds * 1000);
}

function checkSize(settings: UploadSettings, size: number): void {
  if (size > settings.maxUploadBytes) {
    throw new UploadRequestError(413, 'too-large', `size ${size} bytes is over the largest accepted upload of ${settings.maxUploadBytes} bytes`);
  }
}

function checkKey(videoId: string, key: string): void {
  if (parseSourceObjectKey(key)?.videoId !== videoId) {
    throw new UploadRequestError(400, 'invalid-key', `key ${JSON.stringify(key)} is not an upload of video ${JSON.stringify(videoId)}`);
  }
}

// ---- validation of untrusted requests -------------------------------------

type Fields = Record<string, unknown>;

function parseRequest(input: unknown): UploadRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('invalid-request', `the request must be a JSON object, got ${describeValue(input)}`);
  }
  const fields = input as Fields;
  const videoId = readId(fields, 'videoId');
  switch (fields.action) {
    case 'issue':
      return {
        action: 'issue',
        videoId,
        creatorId: readMatching(fields, 'creatorId', CREATOR_ID, 'a user id of letters, digits and _ . @ : + -'),
        size: readSize(fields, 'size'),
        contentType: readContentType(fields),
      };
    case 'sign-parts':
      return {
        action: 'sign-parts',
        videoId,
        key: readText(fields, 'key'),
        multipartUploadId: readMultipartUploadId(fields),
        size: readSize(fields, 'size'),
        firstPartNumber: readWhole(fields, 'firstPartNumber', 1, 10_000),
        count: readWhole(fields, 'count', 1, MAX_PART_URLS_PER_ANSWER),
      };
    case 'complete':
      return { action: 'complete', videoId, key: readText(fields, 'key'), multipartUploadId: readMultipartUploadId(fields), size: readSize(fields, 'size') };
    case 'abort':
      return { action: 'abort', videoId, key: readText(fields, 'key'), multipartUploadId: readMultipartUploadId(fields) };
    case 'list-parts':
      return { action: 'list-parts', videoId, key: readText(fields, 'key'), multipartUploadId: readMultipartUploadId(fields), size: readSize(fields, 'size') };
    default:
      throw invalid('invalid-action', `action must be one of "issue", "sign-parts", "complete", "abort", "list-parts", got ${describeValue(fields.action)}`);
  }
}

function invalid(code: string, message: string): UploadRequestError {
  return new UploadRequestError(400, code, message);
}

function present(fields: Fields, name: string): unknown {
  if (fields[name] === undefined || fields[name] === null) {
    throw invalid('missing-field', `${name} is required`);
  }
  return fields[name];
}

function readText(fields: Fields, name: string): string {
  const value = present(fields, name);
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
    throw invalid('invalid-field', `${name} must be a string of 1 to 1024 characters, got ${describeValue(value)}`);
  }
  return value;
}

function readMatching(fields: Fields, name: string, pattern: RegExp, expected: string): string {
  const value = present(fields, name);
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw invalid('invalid-field', `${name} must be ${expected}, got ${describeValue(value)}`);
  }
  return value;
}

function readId(fields: Fields, name: string): string {
  const value = present(fields, name);
  if (!isValidId(value)) {
    throw invalid('invalid-field', `${name} must match ${ID_PATTERN}, got ${describeValue(value)}`);
  }
  return value;
}

function readMultipartUploadId(fields: Fields): string {
  return readMatching(fields, 'multipartUploadId', MULTIPART_UPLOAD_ID, 'the id S3 gave the multipart upload');
}

function readWhole(fields: Fields, name: string, min: number, max: number): number {
  const value = present(fields, name);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid('invalid-field', `${name} must be a whole number from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}

function readSize(fields: Fields, name: string): number {
  const value = present(fields, name);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw invalid('invalid-size', `${name} must be a whole number of bytes greater than zero, got ${describeValue(value)}`);
  }
  return value;
}

function readContentType(fields: Fields): string {
  const value = present(fields, 'contentType');
  if (typeof value !== 'string' || !isContentType(value.toLowerCase())) {
    throw invalid('invalid-field', `contentType must be a media type such as "video/mp4", got ${describeValue(value)}`);
  }
  return value;
}

