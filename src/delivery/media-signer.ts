import { createPrivateKey, KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { getSignedCookies, getSignedUrl } from '@aws-sdk/cloudfront-signer';
import { MEDIA_PATH, MEDIA_SIGNING_ENV } from '../contracts/media-signing';
import { isValidId } from '../contracts/source-keys';

/** How the browser may send the cookies. */
export type SameSite = 'Strict' | 'Lax' | 'None';

export interface CookieRequest {
  /** The viewer-facing host (the distribution's or custom domain), with an optional port. */
  readonly host: string;
  readonly videoId: string;
  /** When access ends; at most 24 hours from now. */
  readonly expiresAt: Date;
  /**
   * `Strict` for a player on the media's own domain; `None` for a player on
   * another site (which also needs the distribution's CORS origins).
   * @default 'Strict'
   */
  readonly sameSite?: SameSite;
  /**
   * Binds the cookies to this viewer's IPv4 address: the policy's
   * `IpAddress` condition (`AWS:SourceIp` `<address>/32`), so CloudFront
   * refuses them from any other address. CloudFront's guide says not to
   * enable IPv6 on a distribution whose policies name addresses
   * (DistributionConfig `IsIPV6Enabled`), so only IPv4 is taken.
   * @default - the cookies work from any address
   */
  readonly ipAddress?: string;
}

export interface SignedCookies {
  /** `Set-Cookie` header values: CloudFront-Policy, CloudFront-Signature, CloudFront-Key-Pair-Id. */
  readonly setCookies: string[];
  /** The policy's one resource: `https://<host>/videos/<id>/*`. */
  readonly resource: string;
  readonly expiresAt: Date;
}

const HOST = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:\d{1,5})?$/;
const MAX_LIFETIME_MS = 24 * 3600 * 1000;

/**
 * Signs playback access for SignedCookieDistribution with
 * `@aws-sdk/cloudfront-signer`: the three CloudFront cookies with a custom
 * policy for one video's folder, or a signed URL for a single file. The
 * private key is parsed once, when the signer is made.
 */
export class MediaSigner {
  /** A signer from the environment of a function the distribution granted (`grantSign`); reads the secret once. */
  public static async fromEnvironment(secrets: SecretsManagerClient, env: Record<string, string | undefined> = process.env): Promise<MediaSigner> {
    const keyPairId = env[MEDIA_SIGNING_ENV.keyPairId];
    const secretArn = env[MEDIA_SIGNING_ENV.privateKeySecretArn];
    if (!keyPairId || !secretArn) {
      throw new Error(`environment variables ${MEDIA_SIGNING_ENV.keyPairId} and ${MEDIA_SIGNING_ENV.privateKeySecretArn} must be set`);
    }
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return new MediaSigner(secret.SecretString ?? '', keyPairId);
  }

  private readonly key: KeyObject;

  constructor(privateKeyPem: string, public readonly keyPairId: string) {
    try {
      this.key = createPrivateKey(privateKeyPem);
    } catch {
      // The parser's message could quote the key material; say only what is wrong.
      throw new Error('the signing secret does not hold a PEM private key');
    }
    if (this.key.asymmetricKeyType !== 'rsa') {
      throw new Error(`CloudFront signing keys are RSA; the signing secret holds a ${this.key.asymmetricKeyType} key`);
    }
  }

  /** The three cookies that open `https://<host>/videos/<id>/*` until `expiresAt`, and nothing else. */
  public signedCookies(request: CookieRequest, now: Date = new Date()): SignedCookies {
    if (!HOST.test(request.host)) {
      throw new Error(`host must be a host name with an optional port, got ${JSON.stringify(request.host)}`);
    }
    if (!isValidId(request.videoId)) {
      throw new Error(`invalid video id ${JSON.stringify(request.videoId)}`);
    }
    checkExpiry(request.expiresAt, now);
    const path = MEDIA_PATH(request.videoId);
    const resource = `https://${request.host}${path}*`;
    const policy = customPolicy(resource, request.expiresAt, request.ipAddress);
    const cookies = getSignedCookies({ policy, keyPairId: this.keyPairId, privateKey: this.privateKey() });
    const attributes = `Path=${path}; Expires=${request.expiresAt.toUTCString()}; Secure; HttpOnly; SameSite=${request.sameSite ?? 'Strict'}`;
    const setCookies = (['CloudFront-Policy', 'CloudFront-Signature', 'CloudFront-Key-Pair-Id'] as const)
      .map((name) => `${name}=${cookies[name]}; ${attributes}`);
    return { setCookies, resource, expiresAt: request.expiresAt };
  }

  /**
   * A URL for one file (a download, say) that works until `expiresAt`: a
   * canned policy, or a custom one for that file when it is bound to the
   * viewer's IPv4 address `ipAddress`.
   */
  public signedUrl(url: string, expiresAt: Date, now: Date = new Date(), ipAddress?: string): string {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' || parsed.search !== '') {
      throw new Error(`url must be an https URL without a query, got ${JSON.stringify(url)}`);
    }
    checkExpiry(expiresAt, now);
    if (ipAddress !== undefined) {
      // The signer encodes each segment of the URL's path, but signs a custom policy as given: its resource must be the URL it answers.
      const path = url.replace(/^https:\/\/[^/]*/i, '');
      if (!path.split('/').every((segment) => segmentAsSigned(segment) === segment)) {
        throw new Error(`url's path must be written as the signer encodes it (each segment percent-encoded), got ${JSON.stringify(url)}`);
      }
      return getSignedUrl({ url, keyPairId: this.keyPairId, policy: customPolicy(url, expiresAt, ipAddress), privateKey: this.privateKey() });
    }
    return getSignedUrl({ url, keyPairId: this.keyPairId, dateLessThan: expiresAt.toISOString(), privateKey: this.privateKey() });
  }

  /** The library types the key as PEM text, but hands it to `crypto.sign`, which takes the parsed key as it is. */
  private privateKey(): string {
    return this.key as unknown as string;
  }
}

/** A path segment as `@aws-sdk/cloudfront-signer` writes it into the URL it signs; undefined when it cannot be decoded. */
function segmentAsSigned(segment: string): string | undefined {
  try {
    return encodeURIComponent(decodeURIComponent(segment));
  } catch {
    return undefined;
  }
}

/** A one-statement custom policy: the resource until `expiresAt`, from `ipAddress` alone when one is given. */
function customPolicy(resource: string, expiresAt: Date, ipAddress?: string): string {
  if (ipAddress !== undefined && !isIPv4(ipAddress)) {
    throw new Error(`ipAddress must be an IPv4 address, got ${JSON.stringify(ipAddress)}`);
  }
  const condition = {
    DateLessThan: { 'AWS:EpochTime': Math.floor(expiresAt.getTime() / 1000) },
    ...(ipAddress !== undefined ? { IpAddress: { 'AWS:SourceIp': `${ipAddress}/32` } } : {}),
  };
  return JSON.stringify({ Statement: [{ Resource: resource, Condition: condition }] });
}

function checkExpiry(expiresAt: Date, now: Date): void {
  const lifetime = expiresAt.getTime() - now.getTime();
  if (!(lifetime > 0) || lifetime > MAX_LIFETIME_MS) {
    throw new Error(`expiresAt must be within 24 hours from now, got ${Number.isNaN(expiresAt.getTime()) ? 'an invalid date' : expiresAt.toISOString()}`);
  }
}
