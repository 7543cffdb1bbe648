import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signature Version 4 as S3 documents it, for the S3 stand-in to verify
 * presigned URLs and POST policies the way real S3 does.
 */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The outcome of a check: nothing when it passed, else what S3 would answer. */
export interface S3Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = hmac(`AWS4${secretAccessKey}`, date);
  const kRegion = hmac(kDate, region);
  const kService = hmac(kRegion, service);
  return hmac(kService, 'aws4_request');
}

export function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

export function sameHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

/** `<access key>/<yyyymmdd>/<region>/<service>/aws4_request` */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export function parseCredential(credential: string): CredentialScope | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !/^\d{8}$/.test(parts[1])) {
    return undefined;
  }
  return { accessKeyId: parts[0], date: parts[1], region: parts[2], service: parts[3] };
}

/** `yyyymmddThhmmssZ` → Date */
export function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

/** RFC 3986 encoding, as SigV4 canonical requests use it. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignedRequest {
  readonly method: string;
  /** The raw path as sent, still percent-encoded. */
  readonly rawPath: string;
  /** Decoded query parameters, in the order sent. */
  readonly query: ReadonlyArray<[string, string]>;
  /** Header values by lower-case name. */
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * Verifies a SigV4-signed S3 request, presigned (query string) or signed in
 * the Authorization header: known access key, signature over the canonical
 * request with its signed headers, and the time window (`X-Amz-Expires` for
 * presigned URLs, 15 minutes of clock skew for header signatures). The payload
 * hash is taken as declared (`x-amz-content-sha256`), not recomputed.
 */
export function verifySignedRequest(
  request: SignedRequest, lookup: (accessKeyId: string) => string | undefined, now: Date,
): S3Refusal | undefined {
  const parsed = parseAuthorization(request);
  if ('status' in parsed) {
    return parsed;
  }
  const denied = (message: string, code = 'AccessDenied'): S3Refusal => ({ status: 403, code, message });
  const { scope, amzDate, signedHeaders, signature, payloadHash, expires } = parsed;
  const date = parseAmzDate(amzDate);
  if (!date || !signedHeaders.includes('host')) {
    return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'the signature\'s date or signed headers are malformed' };
  }
  const secret = lookup(scope.accessKeyId);
  if (secret === undefined) {
    return denied('The AWS Access Key Id you provided does not exist in our records.', 'InvalidAccessKeyId');
  }
  const skew = 15 * 60_000;
  if (now.getTime() < date.getTime() - skew) {
    return denied('Request is not yet valid', expires === undefined ? 'RequestTimeTooSkewed' : 'AccessDenied');
  }
  if (expires !== undefined ? now.getTime() > date.getTime() + expires * 1000 : now.getTime() > date.getTime() + skew) {
    return denied('Request has expired', expires === undefined ? 'RequestTimeTooSkewed' : 'AccessDenied');
  }
  const canonicalQuery = request.query
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : value ?? '';
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalPath = request.rawPath.split('/').map((segment) => uriEncode(decodeURIComponent(segment))).join('/');
  const canonicalRequest = [request.method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const expected = hmac(signingKey(secret, scope.date, scope.region, scope.service), stringToSign).toString('hex');
  if (!sameHex(expected, signature)) {
    return denied('The request signature we calculated does not match the signature you provided.', 'SignatureDoesNotMatch');
  }
  return undefined;
}

interface ParsedAuthorization {
  readonly scope: CredentialScope;
  readonly amzDate: string;
  readonly signedHeaders: string[];
  readonly signature: string;
  readonly payloadHash: string;
  /** Lifetime in seconds of a presigned URL; undefined for header signatures. */
  readonly expires?: number;
}

function parseAuthorization(request: SignedRequest): ParsedAuthorization | S3Refusal {
  const q = new Map(request.query);
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (q.has('X-Amz-Algorithm')) {
    const scope = parseCredential(q.get('X-Amz-Credential') ?? '');
    const expires = Number(q.get('X-Amz-Expires'));
    if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !scope || !Number.isInteger(expires) || expires < 1 || expires > 604800) {
      return { status: 400, code: 'AuthorizationQueryParametersError', message: 'the presigned query parameters are malformed' };
    }
    return {
      scope,
      amzDate: q.get('X-Amz-Date') ?? '',
      signedHeaders: (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean),
      signature: q.get('X-Amz-Signature') ?? '',
      payloadHash: q.get('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
      expires,
    };
  }
  const match = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(header('authorization') ?? '');
  const scope = match ? parseCredential(match[1]) : undefined;
  if (!match || !scope) {
    return { status: 400, code: 'AuthorizationHeaderMalformed', message: 'the Authorization header is malformed' };
  }
  return {
    scope,
    amzDate: header('x-amz-date') ?? '',
    signedHeaders: match[2].split(';'),
    signature: match[3],
    payloadHash: header('x-amz-content-sha256') ?? '',
  };
}
