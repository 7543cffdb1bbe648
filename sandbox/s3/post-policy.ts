import { hmac, parseAmzDate, parseCredential, S3Refusal, sameHex, signingKey } from './sigv4';

/**
 * Browser-based POST uploads as S3 documents them ("Creating a POST policy"):
 * the form's policy is verified against its SigV4 signature, its expiration,
 * and every condition, and every form field must be allowed by a condition.
 */

/** Fields S3 does not require a condition for. */
const UNCONDITIONED = new Set(['policy', 'x-amz-signature', 'file']);
const REQUIRED = ['key', 'policy', 'x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'];

export interface ContentLengthRange {
  readonly min: number;
  readonly max: number;
}

export interface AcceptedPost {
  /** The form fields, by lower-case name. */
  readonly fields: ReadonlyMap<string, string>;
  readonly lengthRange?: ContentLengthRange;
}

export interface PostPolicyInput {
  /** The bucket named by the request path. */
  readonly bucket: string;
  /** Form fields before the file, by lower-case name. */
  readonly fields: ReadonlyMap<string, string>;
  readonly lookup: (accessKeyId: string) => string | undefined;
  readonly now: Date;
}

type Condition = Record<string, unknown> | unknown[];

/** Checks everything S3 checks before it reads the file; the length range is then checked on the file. */
export function verifyPostPolicy(input: PostPolicyInput): { refusal: S3Refusal } | { accepted: AcceptedPost } {
  const { fields } = input;
  const refuse = (message: string, status = 403, code = 'AccessDenied') => ({ refusal: { status, code, message } });
  for (const name of REQUIRED) {
    if (!fields.get(name)) {
      return refuse(`Bucket POST must contain a field named '${name}'.`, 400, 'InvalidArgument');
    }
  }
  if (fields.get('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
    return refuse('x-amz-algorithm must be AWS4-HMAC-SHA256', 400, 'InvalidArgument');
  }
  const scope = parseCredential(fields.get('x-amz-credential')!);
  if (!scope || scope.service !== 's3' || !parseAmzDate(fields.get('x-amz-date')!)) {
    return refuse('x-amz-credential or x-amz-date is malformed', 400, 'InvalidArgument');
  }
  const secret = input.lookup(scope.accessKeyId);
  if (secret === undefined) {
    return refuse('The AWS Access Key Id you provided does not exist in our records.', 403, 'InvalidAccessKeyId');
  }
  const encodedPolicy = fields.get('policy')!;
  const expected = hmac(signingKey(secret, scope.date, scope.region, 's3'), encodedPolicy).toString('hex');
  if (!sameHex(expected, fields.get('x-amz-signature')!)) {
    return refuse('The request signature we calculated does not match the signature you provided.', 403, 'SignatureDoesNotMatch');
  }

  let policy: { expiration?: unknown; conditions?: unknown };
  try {
    policy = JSON.parse(Buffer.from(encodedPolicy, 'base64').toString('utf8'));
  } catch {
    return refuse('Invalid Policy: Invalid JSON.', 400, 'InvalidPolicyDocument');
  }
  const expiration = typeof policy.expiration === 'string' ? Date.parse(policy.expiration) : NaN;
  if (Number.isNaN(expiration) || !Array.isArray(policy.conditions)) {
    return refuse('Invalid Policy: expiration and conditions are required.', 400, 'InvalidPolicyDocument');
  }
  if (input.now.getTime() > expiration) {
    return refuse('Invalid according to Policy: Policy expired.');
  }

  const values = new Map(fields);
  values.set('bucket', input.bucket);
  const covered = new Set<string>();
  let lengthRange: ContentLengthRange | undefined;
  for (const condition of policy.conditions as Condition[]) {
    const failed = () => refuse(`Invalid according to Policy: Policy Condition failed: ${JSON.stringify(condition)}`);
    if (Array.isArray(condition)) {
      const [operator, first, second] = condition;
      if (operator === 'content-length-range') {
        if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || (first as number) > (second as number)) {
          return refuse(`Invalid Policy: Invalid content-length-range ${JSON.stringify(condition)}`, 400, 'InvalidPolicyDocument');
        }
        lengthRange = { min: first as number, max: second as number };
        continue;
      }
      if ((operator !== 'eq' && operator !== 'starts-with') || typeof first !== 'string' || !first.startsWith('$') || typeof second !== 'string') {
        return refuse(`Invalid Policy: Invalid condition ${JSON.stringify(condition)}`, 400, 'InvalidPolicyDocument');
      }
      const name = first.slice(1).toLowerCase();
      const value = values.get(name);
      const holds = operator === 'eq' ? value === second : value !== undefined && value.startsWith(second);
      // starts-with "" allows the field to be absent or anything.
      if (!holds && !(operator === 'starts-with' && second === '' && value === undefined)) {
        return failed();
      }
      covered.add(name);
    } else if (typeof condition === 'object' && condition !== null && Object.keys(condition).length === 1) {
      const [[rawName, expectedValue]] = Object.entries(condition);
      const name = rawName.toLowerCase();
      if (values.get(name) !== expectedValue) {
        return failed();
      }
      covered.add(name);
    } else {
      return refuse(`Invalid Policy: Invalid condition ${JSON.stringify(condition)}`, 400, 'InvalidPolicyDocument');
    }
  }
  for (const name of fields.keys()) {
    if (!UNCONDITIONED.has(name) && !name.startsWith('x-ignore-') && !covered.has(name)) {
      return refuse(`Invalid according to Policy: Extra input fields: ${name}`);
    }
  }
  return { accepted: { fields, lengthRange } };
}

/** S3's answer to a file outside the policy's content-length-range. */
export function checkContentLength(range: ContentLengthRange | undefined, size: number): S3Refusal | undefined {
  if (range && size > range.max) {
    return { status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size' };
  }
  if (range && size < range.min) {
    return { status: 400, code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed size' };
  }
  return undefined;
}
