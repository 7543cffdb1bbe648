import {
  Duration, Lazy, RemovalPolicy,
  aws_certificatemanager as acm,
  aws_cloudfront as cloudfront,
  aws_cloudfront_origins as origins,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SigningKey, BoundSigningKey } from './signing-key';
import { SigningKeyGeneratorFunction } from './signing-key-generator-function';
import { MEDIA_SIGNING_ENV } from '../contracts/media-signing';
import { OUTPUT_LAYOUT } from '../contracts/transcode-status';
import { bucketRemoval, createAccessLogsBucket, SECURE_BUCKET_DEFAULTS, versionedLifecycle } from '../internal/buckets';
import { handlerBasics } from '../internal/handlers';
import { acknowledge } from '../internal/nag';
import { regionalName, regionalOriginAccessControl } from '../internal/names';
import { isOrigin } from '../internal/origins';

/**
 * Properties of a SignedCookieDistribution.
 */
export interface SignedCookieDistributionProps {
  /**
   * The bucket the renditions are in: `videos/<id>/` (signed access) and
   * `posters/<id>/` (public). Pass the transcode pipeline's `outputBucket`.
   * CloudFront reads it through origin access control.
   *
   * @default - a new private, encrypted bucket with access logs
   */
  readonly bucket?: s3.IBucket;

  /**
   * The keys that sign cookies and URLs. The first signs; all are trusted by
   * the key group, which is how keys are rotated: put a new key first, deploy,
   * wait for the longest cookie lifetime, remove the old key, deploy.
   *
   * @default [SigningKey.generate()]
   */
  readonly signingKeys?: SigningKey[];

  /**
   * Custom domain names of the distribution. Needs `certificate`.
   *
   * @default - the distribution's own `*.cloudfront.net` name
   */
  readonly domainNames?: string[];

  /**
   * The certificate for `domainNames`, in us-east-1. With it, viewers must use
   * TLS 1.2 or newer (the TLSv1.2_2021 policy).
   *
   * @default - CloudFront's default certificate
   */
  readonly certificate?: acm.ICertificate;

  /**
   * ARN of an AWS WAF web ACL (scope CLOUDFRONT, in us-east-1) to attach.
   *
   * @default - no web ACL
   */
  readonly webAclId?: string;

  /**
   * Countries viewers may or may not be in.
   *
   * @default - no restriction
   */
  readonly geoRestriction?: cloudfront.GeoRestriction;

  /**
   * Edge locations to serve from.
   *
   * @default cloudfront.PriceClass.PRICE_CLASS_100
   */
  readonly priceClass?: cloudfront.PriceClass;

  /**
   * The bucket of the distribution's access logs. It must allow ACLs, as
   * CloudFront standard logging writes with one.
   *
   * @default - a new bucket whose logs expire after 90 days
   */
  readonly logBucket?: s3.IBucket;

  /**
   * Origins of players on other sites that may fetch the media with the
   * viewer's cookies (cookies then need `SameSite=None`). Each is echoed
   * exactly when it asks, with credentials allowed; never `*`.
   *
   * @default - none: the player is on the distribution's own domain
   */
  readonly corsAllowedOrigins?: string[];

  /**
   * How long edges keep playlists (`*.m3u8`).
   *
   * @default Duration.seconds(30)
   */
  readonly playlistCacheDuration?: Duration;

  /**
   * How long edges keep segments and other media files.
   *
   * @default Duration.days(1)
   */
  readonly segmentCacheDuration?: Duration;

  /**
   * How long edges keep posters.
   *
   * @default Duration.days(1)
   */
  readonly posterCacheDuration?: Duration;

  /**
   * The behavior of paths other than `videos/*` and `posters/*`, for example a
   * player web app.
   *
   * @default - signed access to the bucket, like `videos/*`
   */
  readonly defaultBehavior?: cloudfront.BehaviorOptions;

  /**
   * Whether the distribution answers over IPv6 as well as IPv4. Turn it off
   * when playback cookies are bound to the viewer's address
   * (`EntitlementApiProps.bindPlaybackToViewerIp`): CloudFront's guide
   * says not to enable IPv6 on a distribution whose signed cookies or URLs
   * name IP addresses, as their `IpAddress` condition takes IPv4
   * (DistributionConfig `IsIPV6Enabled`, CloudFront API Reference). Viewers
   * on IPv6-only networks then reach it through their network's IPv4
   * translation.
   *
   * @default true
   */
  readonly enableIpv6?: boolean;

  /**
   * What happens to what this construct creates when it leaves the stack: a
   * new media bucket, its access-log bucket, the distribution's log bucket and
   * the key generator's log group. With `RemovalPolicy.DESTROY` the buckets
   * are emptied (every version) and deleted, for development stacks. The
   * signing key's secret is deleted with the stack either way (after Secrets
   * Manager's recovery window).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * CloudFront over the renditions, serving `videos/*` only to holders of
 * signed cookies (or a signed URL) from a trusted key group, and `posters/*`
 * to anyone. The cache key holds no cookies, query strings or Authorization
 * header, so every viewer shares one cached copy of each segment.
 *
 * Cookie issuers sign with `MediaSigner` (the library's signing module) in a
 * function given the signer's configuration by `bindSigner`.
 */
export class SignedCookieDistribution extends Construct {
  /** The distribution. */
  public readonly distribution: cloudfront.Distribution;

  /** The bucket served. */
  public readonly bucket: s3.IBucket;

  /** The bucket of the distribution's access logs. */
  public readonly logBucket: s3.IBucket;

  /** The key group trusted on signed paths. */
  public readonly keyGroup: cloudfront.IKeyGroup;

  /** Every trusted public key, the active one first. */
  public readonly publicKeys: cloudfront.IPublicKey[];

  /** The public key id cookies and URLs are signed for (`CloudFront-Key-Pair-Id`). */
  public readonly keyPairId: string;

  /** The secret holding the active private key (PEM). */
  public readonly signingKeySecret: secretsmanager.ISecret;

  /** The function that generates keys; set only when a key is generated. */
  public readonly keyGeneratorFunction?: lambda.IFunction;

  /** The key generator's log group; set only when a key is generated. */
  public readonly keyGeneratorLogGroup?: logs.ILogGroup;

  /** The environment a signing function needs, as `bindSigner` sets it. */
  public readonly signerEnvironment: { [name: string]: string };

  private readonly removalPolicy: RemovalPolicy;

  /** The domain viewers use: the first custom domain name, or the distribution's own. */
  public readonly domainName: string;

  /** Whether the distribution answers over IPv6. */
  public readonly ipv6Enabled: boolean;

  constructor(scope: Construct, id: string, props: SignedCookieDistributionProps = {}) {
    super(scope, id);
    const keys = props.signingKeys ?? [SigningKey.generate()];
    this.validate(props, keys);
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.bucket = props.bucket ?? this.createBucket();
    this.logBucket = props.logBucket ?? this.createLogBucket();

    let generator: lambda.Function | undefined;
    const bound: BoundSigningKey[] = keys.map((key) => key._bind(this, () => (generator ??= this.createKeyGenerator())));
    this.keyGeneratorFunction = generator;
    this.keyGeneratorLogGroup = generator?.logGroup;
    this.publicKeys = bound.map((key) => key.publicKey);
    this.keyPairId = bound[0].publicKey.publicKeyId;
    this.signingKeySecret = bound[0].privateKeySecret;
    this.keyGroup = this.createKeyGroup(bound);

    this.ipv6Enabled = props.enableIpv6 ?? true;
    this.distribution = this.createDistribution(props);
    this.domainName = props.domainNames?.[0] ?? this.distribution.distributionDomainName;
    this.signerEnvironment = {
      [MEDIA_SIGNING_ENV.keyPairId]: this.keyPairId,
      [MEDIA_SIGNING_ENV.privateKeySecretArn]: this.signingKeySecret.secretArn,
    };
    this.acknowledgeOwnersChoices(props);
  }

  private validate(props: SignedCookieDistributionProps, keys: SigningKey[]): void {
    const errors: string[] = [];
    if (keys.length === 0) {
      errors.push('signingKeys must hold at least one key');
    }
    const names = keys.map((key) => key.name);
    if (new Set(names).size !== names.length) {
      errors.push(`signing key names must be distinct, got ${names.join(', ')}`);
    }
    if ((props.domainNames ?? []).length > 0 !== (props.certificate !== undefined)) {
      errors.push('domainNames and certificate go together: give both or neither');
    }
    for (const origin of props.corsAllowedOrigins ?? []) {
      if (!isOrigin(origin)) {
        errors.push(`corsAllowedOrigins entry ${JSON.stringify(origin)} is not an origin such as "https://player.example.com" (never "*" with credentials)`);
      }
    }
    if (errors.length > 0) {
      throw new Error(`invalid SignedCookieDistribution props at ${this.node.path}: ${errors.join('; ')}`);
    }
  }

  private createBucket(): s3.Bucket {
    return new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      ...versionedLifecycle(30),
      ...bucketRemoval(this.removalPolicy),
      serverAccessLogsBucket: createAccessLogsBucket(this, 'BucketAccessLogs', Duration.days(90), this.removalPolicy),
    });
  }

  /** The key group trusting every key (the first signs). Key groups are named per account: the name carries the Region. */
  private createKeyGroup(bound: BoundSigningKey[]): cloudfront.KeyGroup {
    const keyGroup: cloudfront.KeyGroup = new cloudfront.KeyGroup(this, 'KeyGroup', {
      keyGroupName: Lazy.string({ produce: () => regionalName(keyGroup, 128) }),
      items: this.publicKeys,
      comment: 'Keys trusted for signed cookies and URLs; the first signs',
    });
    for (const key of bound) {
      if (key.privateKeySecret.node.scope === this) {
        acknowledge(key.privateKeySecret, {
          id: 'AwsSolutions-SMG4',
          reason: 'A CloudFront signing key is rotated by adding a new key to the key group (see signingKeys), which Secrets Manager rotation cannot do: it would change the private key without the public key CloudFront trusts.',
        });
      }
    }
    return keyGroup;
  }

  /**
   * The distribution: `videos/*` (and the default path) signed, `posters/*`
   * public, one cached copy for every viewer (no cookies, query strings or
   * Authorization in any cache key), security headers, and CORS only for
   * named player origins.
   */
  private createDistribution(props: SignedCookieDistributionProps): cloudfront.Distribution {
    const corsOrigins = props.corsAllowedOrigins ?? [];
    const origin = origins.S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessControl: regionalOriginAccessControl(this, 'OriginAccessControl') });
    const cacheKeyHeaders = corsOrigins.length > 0 ? cloudfront.CacheHeaderBehavior.allowList('Origin') : cloudfront.CacheHeaderBehavior.none();
    const cachePolicy = (name: string, ttl: Duration, compress: boolean) => new cloudfront.CachePolicy(this, `${name}CachePolicy`, {
      comment: `${name}: one cached copy for every viewer (no cookies, query strings or Authorization in the key)`,
      defaultTtl: ttl,
      minTtl: Duration.seconds(0),
      maxTtl: ttl,
      headerBehavior: cacheKeyHeaders,
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.none(),
      enableAcceptEncodingGzip: compress,
      enableAcceptEncodingBrotli: compress,
    });
    const responseHeaders = this.createResponseHeadersPolicy(corsOrigins);
    const allowedMethods = corsOrigins.length > 0 ? cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS : cloudfront.AllowedMethods.ALLOW_GET_HEAD;
    const signed = (policy: cloudfront.ICachePolicy): cloudfront.BehaviorOptions => ({
      origin,
      trustedKeyGroups: [this.keyGroup],
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
      cachePolicy: policy,
      responseHeadersPolicy: responseHeaders,
      allowedMethods,
      compress: true,
    });
    const segments = cachePolicy('Segments', props.segmentCacheDuration ?? Duration.days(1), false);
    return new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Video on demand: signed-cookie media and public posters',
      defaultBehavior: props.defaultBehavior ?? signed(segments),
      additionalBehaviors: {
        [`${OUTPUT_LAYOUT.videosPrefix}*.m3u8`]: signed(cachePolicy('Playlists', props.playlistCacheDuration ?? Duration.seconds(30), true)),
        [`${OUTPUT_LAYOUT.videosPrefix}*`]: signed(segments),
        [`${OUTPUT_LAYOUT.postersPrefix}*`]: {
          origin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          cachePolicy: cachePolicy('Posters', props.posterCacheDuration ?? Duration.days(1), false),
          responseHeadersPolicy: responseHeaders,
          allowedMethods,
          compress: true,
        },
      },
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      // A TLS minimum applies only to a certificate of one's own: with the default *.cloudfront.net certificate CloudFront ignores it (and newer aws-cdk-lib warns).
      minimumProtocolVersion: props.certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      domainNames: props.domainNames,
      certificate: props.certificate,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclId,
      geoRestriction: props.geoRestriction,
      enableIpv6: this.ipv6Enabled,
    });
  }

  /** Security headers, and exact-origin CORS with credentials for the named player origins. Its name carries the Region. */
  private createResponseHeadersPolicy(corsOrigins: string[]): cloudfront.ResponseHeadersPolicy {
    const policy: cloudfront.ResponseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'ResponseHeaders', {
      responseHeadersPolicyName: Lazy.string({ produce: () => regionalName(policy, 128) }),
      comment: 'Security headers, and CORS for the named player origins',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
      corsBehavior: corsOrigins.length === 0 ? undefined : {
        accessControlAllowOrigins: corsOrigins,
        accessControlAllowCredentials: true,
        accessControlAllowMethods: ['GET', 'HEAD', 'OPTIONS'],
        accessControlAllowHeaders: ['Range'],
        accessControlExposeHeaders: ['Content-Length', 'Content-Range'],
        accessControlMaxAge: Duration.hours(1),
        originOverride: true,
      },
    });
    return policy;
  }

  /** What is the owner's to choose: a certificate of their own, geo restriction, a WAF web ACL. */
  private acknowledgeOwnersChoices(props: SignedCookieDistributionProps): void {
    if (!props.certificate) {
      acknowledge(this.distribution, {
        id: 'AwsSolutions-CFR4',
        reason: 'The distribution uses its *.cloudfront.net domain, whose certificate CloudFront serves with its own minimum TLS version; with domainNames and a certificate the TLSv1.2_2021 policy applies.',
      });
    }
    if (!props.geoRestriction) {
      acknowledge(this.distribution, {
        id: 'AwsSolutions-CFR1',
        reason: 'Which countries may watch is the video owner\'s decision, not the library\'s; geoRestriction sets it.',
      });
    }
    if (!props.webAclId) {
      acknowledge(this.distribution, {
        id: 'AwsSolutions-CFR2',
        reason: 'Media is served only against signed cookies, checked at the edge; a WAF web ACL (us-east-1, billed per request) is optional through webAclId.',
      });
    }
  }


  /**
   * Lets `grantee` read the active private key, and so sign cookies and URLs.
   * Nothing else: not the other keys, not the bucket.
   */
  public grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.signingKeySecret.grantRead(grantee);
  }

  /**
   * Gives `fn` what `MediaSigner.fromEnvironment` needs: the key pair id and
   * the secret's ARN in its environment, and read access to that secret.
   */
  public bindSigner(fn: lambda.Function): void {
    for (const [name, value] of Object.entries(this.signerEnvironment)) {
      fn.addEnvironment(name, value);
    }
    this.grantSign(fn);
  }

  /** Lets `grantee` invalidate cached media, for example after a video was encoded again. */
  public grantInvalidate(grantee: iam.IGrantable): iam.Grant {
    return this.distribution.grantCreateInvalidation(grantee);
  }

  /** The URL of a video's master playlist. */
  public playlistUrl(videoId: string): string {
    return `https://${this.domainName}/${OUTPUT_LAYOUT.masterPlaylist(videoId)}`;
  }

  private createLogBucket(): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Logs', {
      ...SECURE_BUCKET_DEFAULTS,
      // CloudFront standard logging writes with an ACL.
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      ...bucketRemoval(this.removalPolicy),
      versioned: true,
      lifecycleRules: [{ id: 'ExpireLogs', expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(1) }],
    });
    acknowledge(bucket, {
      id: 'AwsSolutions-S1',
      reason: 'This bucket holds the distribution\'s access logs; logging its own access into itself would loop.',
    });
    return bucket;
  }

  private createKeyGenerator(): lambda.Function {
    const { functionOptions } = handlerBasics(this, 'KeyGenerator', {
      description: 'Generates a CloudFront signing key pair once; the private key goes only to Secrets Manager',
      logRetention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: this.removalPolicy,
    });
    const fn = new SigningKeyGeneratorFunction(this, 'KeyGenerator', { ...functionOptions, timeout: Duration.seconds(60) });
    acknowledge(fn, {
      id: 'Serverless-LambdaDLQ',
      reason: 'CloudFormation invokes this custom resource and waits for its answer; a failure fails and rolls back the stack operation, so there is no event to keep.',
    });
    acknowledge(fn, {
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason: 'CloudFormation invokes this custom resource and waits for its answer; a failure fails and rolls back the stack operation, so there is no event to keep.',
    });
    return fn;
  }
}

