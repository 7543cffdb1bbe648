/**
 * The messages the upload issuer function accepts and answers: the contract
 * between SecureUploadBucket's handler and whoever calls it after authorizing
 * a creator (EntitlementApi, or a team's own API).
 *
 * The issuer is invoked synchronously with one {@link UploadRequest} and
 * always answers with an {@link UploadResponse}: a refused request is an
 * answer (`ok: false`, with an HTTP status the caller can pass on), never a
 * function error.
 */

/** Issue a new upload for one video. */
export interface IssueUploadRequest {
  readonly action: 'issue';
  /** The authorized creator (for example the Cognito `sub`); recorded as object metadata. */
  readonly creatorId: string;
  readonly videoId: string;
  /** Exact size of the file in bytes, as the browser reports it. */
  readonly size: number;
  /** The file's media type, for example `video/mp4`. */
  readonly contentType: string;
}

/** Presign more part URLs of a multipart upload (large uploads have more parts than one answer carries). */
export interface SignPartsRequest {
  readonly action: 'sign-parts';
  readonly videoId: string;
  readonly key: string;
  readonly multipartUploadId: string;
  /** Declared size of the whole file, as issued; it fixes the part layout. */
  readonly size: number;
  readonly firstPartNumber: number;
  /** How many parts from `firstPartNumber`; at most {@link MAX_PART_URLS_PER_ANSWER}. */
  readonly count: number;
}

/** Complete a multipart upload once every part is stored; the stored parts must add up to `size`. */
export interface CompleteUploadRequest {
  readonly action: 'complete';
  readonly videoId: string;
  readonly key: string;
  readonly multipartUploadId: string;
  /** Declared size of the whole file, as issued. */
  readonly size: number;
}

/** Abort a multipart upload and free its stored parts. */
export interface AbortUploadRequest {
  readonly action: 'abort';
  readonly videoId: string;
  readonly key: string;
  readonly multipartUploadId: string;
}

/**
 * List the parts S3 holds of a multipart upload, so a browser that lost its
 * state (a reload) uploads only the parts still missing.
 */
export interface ListPartsRequest {
  readonly action: 'list-parts';
  readonly videoId: string;
  readonly key: string;
  readonly multipartUploadId: string;
  /** Declared size of the whole file, as issued; it fixes the part layout. */
  readonly size: number;
}

export type UploadRequest = IssueUploadRequest | SignPartsRequest | CompleteUploadRequest | AbortUploadRequest | ListPartsRequest;

/** Most part URLs in one answer, which keeps it far below Lambda's 6 MB response limit. */
export const MAX_PART_URLS_PER_ANSWER = 100;

/** A single-request upload: the browser POSTs `fields` then the file, as multipart/form-data, to `url`. */
export interface PostUpload {
  readonly kind: 'post';
  readonly videoId: string;
  readonly uploadId: string;
  readonly key: string;
  readonly url: string;
  /** Form fields to send before the file field, in this order. */
  readonly fields: Record<string, string>;
  readonly size: number;
  readonly contentType: string;
  /** ISO 8601 time after which the form is refused. */
  readonly expiresAt: string;
}

/** One presigned part URL: the browser PUTs exactly that slice of the file to it. */
export interface PartUrl {
  readonly partNumber: number;
  readonly url: string;
}

/**
 * A multipart upload. Part `n` is bytes `[(n-1) * partSize, min(n * partSize, size))`.
 * `parts` holds the first URLs; ask for the rest with a {@link SignPartsRequest}.
 */
export interface MultipartUpload {
  readonly kind: 'multipart';
  readonly videoId: string;
  readonly uploadId: string;
  readonly key: string;
  readonly multipartUploadId: string;
  readonly size: number;
  readonly contentType: string;
  readonly partSize: number;
  readonly partCount: number;
  readonly parts: PartUrl[];
  /** ISO 8601 time after which the part URLs are refused. */
  readonly expiresAt: string;
}

export type IssuedUpload = PostUpload | MultipartUpload;

/** More part URLs. */
export interface SignedParts {
  readonly kind: 'parts';
  readonly parts: PartUrl[];
  readonly expiresAt: string;
}

/** A completed multipart upload: the object now exists. */
export interface CompletedUpload {
  readonly kind: 'completed';
  readonly key: string;
  readonly size: number;
}

/** An aborted multipart upload. */
export interface AbortedUpload {
  readonly kind: 'aborted';
  readonly key: string;
}

/** One part S3 holds. */
export interface StoredPart {
  readonly partNumber: number;
  /** Bytes stored. */
  readonly size: number;
  /** The part's ETag as S3 answers it (quoted). */
  readonly etag: string;
}

/** The parts S3 holds of a multipart upload, in part order, with the upload's layout. */
export interface ListedParts {
  readonly kind: 'listed-parts';
  readonly key: string;
  readonly partSize: number;
  readonly partCount: number;
  readonly parts: StoredPart[];
}

export type UploadResult = IssuedUpload | SignedParts | CompletedUpload | AbortedUpload | ListedParts;

/** Why a request was refused. */
export interface UploadError {
  /** A stable, machine-readable code such as `invalid-size`. */
  readonly code: string;
  /** A sentence for people: what was received and what is expected. */
  readonly message: string;
}

export type UploadResponse =
  | { readonly ok: true; readonly result: UploadResult }
  | { readonly ok: false; readonly statusCode: number; readonly error: UploadError };
