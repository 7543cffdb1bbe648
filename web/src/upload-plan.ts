/**
 * The arithmetic of a multipart upload, without I/O: which bytes each part
 * holds, which parts are still to send after an interruption, and how to ask
 * for their presigned URLs. Part `n` holds bytes
 * `[(n - 1) * partSize, min(n * partSize, size))`, the layout the upload
 * issuer signs (see src/contracts/upload-messages.ts).
 */

/** Most part URLs one request may ask for (`MAX_PART_URLS_PER_ANSWER` of the upload contract). */
export const MAX_PART_URLS_PER_REQUEST = 100;

export interface PartSpec {
  readonly partNumber: number;
  /** First byte (inclusive). */
  readonly start: number;
  /** Last byte (exclusive). */
  readonly end: number;
  readonly size: number;
}

/** A part S3 already holds, as GET /api/videos/{id}/upload lists it. */
export interface StoredPart {
  readonly partNumber: number;
  readonly size: number;
}

/** Every part of a file of `size` bytes cut in `partSize` pieces; the last one holds the rest. */
export function planParts(size: number, partSize: number): PartSpec[] {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`size must be a positive whole number of bytes, got ${size}`);
  }
  if (!Number.isSafeInteger(partSize) || partSize <= 0) {
    throw new RangeError(`partSize must be a positive whole number of bytes, got ${partSize}`);
  }
  const count = Math.ceil(size / partSize);
  const parts: PartSpec[] = [];
  for (let partNumber = 1; partNumber <= count; partNumber++) {
    const start = (partNumber - 1) * partSize;
    const end = Math.min(partNumber * partSize, size);
    parts.push({ partNumber, start, end, size: end - start });
  }
  return parts;
}

/**
 * The parts still to send: those S3 does not hold, or holds with another size
 * than the plan (a part cut from another file, or a truncated one).
 */
export function partsToUpload(plan: readonly PartSpec[], stored: readonly StoredPart[]): PartSpec[] {
  const storedSize = new Map(stored.map((part) => [part.partNumber, part.size]));
  return plan.filter((part) => storedSize.get(part.partNumber) !== part.size);
}

/** Bytes of the plan S3 already holds in the right size. */
export function storedBytes(plan: readonly PartSpec[], stored: readonly StoredPart[]): number {
  const pending = new Set(partsToUpload(plan, stored).map((part) => part.partNumber));
  return plan.reduce((sum, part) => (pending.has(part.partNumber) ? sum : sum + part.size), 0);
}

export interface UrlRequest {
  readonly firstPartNumber: number;
  readonly count: number;
}

/**
 * Requests for the URLs of `partNumbers`: one per run of consecutive part
 * numbers, none longer than `max`, so no URL is signed for a part that is
 * already stored.
 */
export function urlRequests(partNumbers: readonly number[], max = MAX_PART_URLS_PER_REQUEST): UrlRequest[] {
  if (!Number.isInteger(max) || max < 1 || max > MAX_PART_URLS_PER_REQUEST) {
    throw new RangeError(`max must be 1 to ${MAX_PART_URLS_PER_REQUEST}, got ${max}`);
  }
  const sorted = [...new Set(partNumbers)].sort((a, b) => a - b);
  const requests: UrlRequest[] = [];
  let first: number | undefined;
  let count = 0;
  for (const partNumber of sorted) {
    if (first !== undefined && partNumber === first + count && count < max) {
      count++;
    } else {
      if (first !== undefined) requests.push({ firstPartNumber: first, count });
      first = partNumber;
      count = 1;
    }
  }
  if (first !== undefined) requests.push({ firstPartNumber: first, count });
  return requests;
}

/** The URL request that holds `partNumber`, among `requests`. */
export function requestFor(requests: readonly UrlRequest[], partNumber: number): UrlRequest | undefined {
  return requests.find((request) => partNumber >= request.firstPartNumber && partNumber < request.firstPartNumber + request.count);
}

/** Whether presigned URLs that expire at `expiresAt` should be renewed before use (with a margin for a slow part). */
export function urlsExpired(expiresAt: string | undefined, now: number, marginMs = 60_000): boolean {
  if (!expiresAt) return true;
  const time = Date.parse(expiresAt);
  return Number.isNaN(time) || time - marginMs <= now;
}

/** Wait before retry number `attempt` (1-based) of a failed part: 1 s, 2 s, 4 s ... at most 30 s, with jitter. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + random() * 0.5));
}

/** What the browser knows of a chosen file, remembered to recognise it after a reload. */
export interface FileIdentity {
  readonly name: string;
  readonly size: number;
  readonly type: string;
  readonly lastModified: number;
}

export type ResumeCheck =
  | { readonly ok: true; readonly sameAsRemembered: boolean }
  | { readonly ok: false; readonly reason: string };

/**
 * Whether `file` can resume an upload of `size` bytes of `contentType`: size
 * and type must match exactly (they fix the part layout and the signed
 * policy); name and date are compared with what was remembered, to warn when
 * it is probably another file of the same size.
 */
export function checkResume(upload: { size: number; contentType: string }, file: FileIdentity, remembered?: FileIdentity): ResumeCheck {
  if (file.size !== upload.size) {
    const bytes = (n: number) => `${new Intl.NumberFormat('en-US').format(n)} bytes`;
    return { ok: false, reason: `this file has ${bytes(file.size)}; the interrupted upload has ${bytes(upload.size)}` };
  }
  if ((file.type || 'application/octet-stream') !== upload.contentType) {
    return { ok: false, reason: `this file is ${file.type || 'of an unknown type'}; the interrupted upload is ${upload.contentType}` };
  }
  const sameAsRemembered = remembered === undefined
    || (remembered.name === file.name && remembered.size === file.size && remembered.lastModified === file.lastModified);
  return { ok: true, sameAsRemembered };
}
