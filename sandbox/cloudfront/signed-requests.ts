import { createPublicKey, KeyObject, verify } from 'node:crypto';
import { BlockList, isIP } from 'node:net';

/**
 * CloudFront's check of signed cookies and signed URLs, as its developer guide
 * documents it, for the CloudFront stand-in and for tests that must not trust
 * the signer library: the key pair id must be in the trusted key group, the
 * signature (RSA-SHA1, or SHA256 when asked) must verify over the policy, and
 * the policy's one statement must cover the requested URL (with `*` and `?`
 * wildcards), its time window and the viewer's address.
 */

export type Verdict = { readonly allowed: true; readonly keyPairId: string } | { readonly allowed: false; readonly reason: string };

export interface SignedRequest {
  /** The URL as the viewer asked for it, scheme and host included. */
  readonly url: string;
  /** Cookies the request carried, by name. */
  readonly cookies: Readonly<Record<string, string>>;
  readonly now: Date;
  readonly clientIp?: string;
  /** The key group: public keys by id. */
  readonly trustedKeys: ReadonlyMap<string, KeyObject | string>;
}

/** CloudFront's URL-safe base64: `+` is `-`, `=` is `_`, `/` is `~`. */
export function decodeCloudFrontBase64(value: string): Buffer {
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

/** Parses a `Cookie` request header. */
export function parseCookieHeader(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index > 0) {
      cookies[part.slice(0, index).trim()] = part.slice(index + 1).trim();
    }
  }
  return cookies;
}

/** Whether CloudFront would serve `request.url` to this viewer. */
export function verifySignedRequest(request: SignedRequest): Verdict {
  const url = new URL(request.url);
  const query = url.searchParams;
  const fromUrl = query.has('Signature');
  const value = (name: string) => (fromUrl ? query.get(name) ?? undefined : request.cookies[`CloudFront-${name}`]);
  const signature = value('Signature');
  const keyPairId = value('Key-Pair-Id');
  const encodedPolicy = value('Policy');
  const expires = value('Expires');
  if (!signature || !keyPairId || (!encodedPolicy && !expires)) {
    return deny('missing key pair id, signature, or policy/expires');
  }
  const publicKey = request.trustedKeys.get(keyPairId);
  if (!publicKey) {
    return deny(`key pair id ${keyPairId} is not in the trusted key group`);
  }

  // The resource is the URL without CloudFront's own signing parameters.
  const resourceUrl = new URL(url.toString());
  for (const name of ['Policy', 'Expires', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm']) {
    resourceUrl.searchParams.delete(name);
  }
  const resource = resourceUrl.search === '' ? `${resourceUrl.origin}${resourceUrl.pathname}` : resourceUrl.toString();

  let policyText: string;
  if (encodedPolicy) {
    policyText = decodeCloudFrontBase64(encodedPolicy).toString('utf8');
  } else {
    if (!/^\d+$/.test(expires!)) {
      return deny('Expires is not an epoch time');
    }
    // A canned policy is rebuilt from the request, exactly as CloudFront signs it.
    policyText = `{"Statement":[{"Resource":"${resource}","Condition":{"DateLessThan":{"AWS:EpochTime":${expires}}}}]}`;
  }
  const algorithm = value('Hash-Algorithm') === 'SHA256' ? 'RSA-SHA256' : 'RSA-SHA1';
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (!verify(algorithm, Buffer.from(policyText, 'utf8'), key, decodeCloudFrontBase64(signature))) {
    return deny('the signature does not verify with the key pair\'s public key');
  }

  let policy: { Statement?: Array<{ Resource?: string; Condition?: Record<string, Record<string, unknown>> }> };
  try {
    policy = JSON.parse(policyText);
  } catch {
    return deny('the policy is not JSON');
  }
  if (!Array.isArray(policy.Statement) || policy.Statement.length !== 1) {
    return deny('a policy has exactly one statement');
  }
  const [statement] = policy.Statement;
  if (statement.Resource !== undefined && !wildcardMatch(statement.Resource, resource)) {
    return deny(`the policy's resource ${statement.Resource} does not cover ${resource}`);
  }
  const condition = statement.Condition ?? {};
  const lessThan = condition.DateLessThan?.['AWS:EpochTime'];
  if (typeof lessThan !== 'number') {
    return deny('the policy has no DateLessThan');
  }
  const nowSeconds = request.now.getTime() / 1000;
  if (nowSeconds >= lessThan) {
    return deny('the policy has expired');
  }
  const greaterThan = condition.DateGreaterThan?.['AWS:EpochTime'];
  if (typeof greaterThan === 'number' && nowSeconds <= greaterThan) {
    return deny('the policy is not valid yet');
  }
  const source = condition.IpAddress?.['AWS:SourceIp'];
  if (typeof source === 'string' && !inCidr(request.clientIp, source)) {
    return deny(`the viewer's address is not in ${source}`);
  }
  return { allowed: true, keyPairId };
}

function deny(reason: string): Verdict {
  return { allowed: false, reason };
}

/** CloudFront's policy wildcards: `*` is any run of characters, `?` exactly one. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('')}$`, 's');
  return regex.test(value);
}

function inCidr(ip: string | undefined, cidr: string): boolean {
  if (!ip || isIP(ip) === 0) {
    return false;
  }
  const [network, bits] = cidr.split('/');
  const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  list.addSubnet(network, Number(bits ?? (type === 'ipv4' ? 32 : 128)), type);
  return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}
