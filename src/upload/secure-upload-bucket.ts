import {
  Annotations, Duration, RemovalPolicy, Size, Stack,
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { UploadIssuerFunction } from './upload-issuer-function';
import { UPLOAD_METRICS } from './upload-metrics';
import { uploadSettingsToEnvironment, validateUploadSettings } from './upload-settings';
import { SOURCE_PREFIX } from '../contracts/source-keys';
import { bucketRemoval, createAccessLogsBucket, enableEventBridgeNotifications, SECURE_BUCKET_DEFAULTS } from '../internal/buckets';
import { handlerBasics } from '../internal/handlers';
import { serviceMetric } from '../internal/metrics';
import { acknowledge, acknowledgeWildcardResource } from '../internal/nag';
import { isOrigin } from '../internal/origins';

/**
 * Properties of a SecureUploadBucket.
 */
export interface SecureUploadBucketProps {
  /**
   * An existing bucket to receive uploads, instead of a new one.
   *
   * When it is a `s3.Bucket` defined in this app, the browser CORS rule and
   * the lifecycle rules are added to it. An imported bucket cannot be changed:
   * configure CORS (POST and PUT from your origins, `ETag` exposed) and the
   * abort of incomplete multipart uploads on it yourself; synth warns.
   *
   * @default - a new private, encrypted, versioned bucket
   */
  readonly bucket?: s3.IBucket;

  /**
   * A customer managed KMS key to encrypt the new bucket with (SSE-KMS, with an
   * S3 Bucket Key to keep KMS requests and their cost low). The issuer function
   * is granted what uploads need of the key.
   *
   * Only for a bucket this construct creates.
   *
   * @default - S3-managed keys (SSE-S3)
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Origins (scheme, host and optional port, such as `https://video.example.com`)
   * whose pages may upload from the browser. VodPlatform passes its own domain.
   *
   * @default - any origin. The presigned form or URL is the credential, so this
   * is safe, but synth warns so that you name your origins.
   */
  readonly allowedOrigins?: string[];

  /**
   * Media types creators may upload: exact (`video/mp4`) or a whole type (`video/*`).
   * Lower case, without parameters.
   *
   * @default ['video/*']
   */
  readonly allowedContentTypes?: string[];

  /**
   * The largest accepted upload. S3 stores objects of up to 5 TiB.
   *
   * @default Size.gibibytes(50)
   */
  readonly maxUploadSize?: Size;

  /**
   * Uploads up to this size are one presigned POST; larger ones are multipart
   * uploads with presigned part URLs. At most 5 GiB, S3's single-request limit.
   *
   * @default Size.mebibytes(100)
   */
  readonly multipartThreshold?: Size;

  /**
   * The part size of multipart uploads, from 5 MiB to 5 GiB. It grows, in whole
   * mebibytes, for files that would otherwise need more than 10,000 parts.
   *
   * @default Size.mebibytes(16)
   */
  readonly partSize?: Size;

  /**
   * How long an issued upload form or part URL stays valid, from one minute to
   * seven days. A URL also stops working when the issuer's temporary
   * credentials expire, so very long lifetimes do not hold in practice.
   *
   * @default Duration.minutes(15)
   */
  readonly uploadUrlExpiry?: Duration;

  /**
   * How long an unfinished multipart upload may keep its parts before S3 aborts it.
   *
   * @default Duration.days(1)
   */
  readonly abortIncompleteUploadsAfter?: Duration;

  /**
   * Move source videos to a colder storage class this long after upload.
   * Sources are kept so that a failed or changed ladder can be encoded again.
   *
   * @default - sources stay in S3 Standard
   */
  readonly archiveAfter?: Duration;

  /**
   * The storage class sources move to after `archiveAfter`. MediaConvert reads
   * Glacier Instant Retrieval directly; from Glacier Flexible Retrieval or Deep
   * Archive a source must be restored before it can be encoded again.
   *
   * @default s3.StorageClass.GLACIER_INSTANT_RETRIEVAL
   */
  readonly archiveStorageClass?: s3.StorageClass;

  /**
   * How long a deleted or replaced object version is kept before S3 removes it.
   *
   * @default Duration.days(30)
   */
  readonly noncurrentVersionRetention?: Duration;

  /**
   * What happens to what this construct creates when it leaves the stack:
   * the bucket, its access-log bucket and the issuer's log group. With
   * `RemovalPolicy.DESTROY` the buckets are emptied (every version) and
   * deleted, for development stacks.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The bucket that receives the new bucket's server access logs.
   *
   * @default - a new bucket whose logs expire after `accessLogsRetention`
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * How long the access log bucket this construct creates keeps logs.
   *
   * @default Duration.days(90)
   */
  readonly accessLogsRetention?: Duration;

  /**
   * Retention of the issuer function's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * X-Ray tracing of the issuer function.
   *
   * @default lambda.Tracing.ACTIVE
   */
  readonly tracing?: lambda.Tracing;
}

/**
 * A private bucket for creators' source videos, and the function that issues
 * browser uploads into it: a presigned POST pinned to one server-assigned key,
 * the exact declared size and an allowed media type, or above a threshold a
 * multipart upload with presigned part URLs.
 *
 * The bytes go from the browser straight to S3. Whoever authorizes creators
 * (EntitlementApi, or your own API) invokes `issuerFunction` with an upload
 * request after checking the caller; see `grantIssueUploads`.
 */
export class SecureUploadBucket extends Construct {
  /** The bucket uploads land in. */
  public readonly bucket: s3.IBucket;

  /**
   * The bucket holding the upload bucket's server access logs; set only when
   * this construct creates the upload bucket.
   */
  public readonly accessLogsBucket?: s3.IBucket;

  /**
   * The function that validates upload requests and issues presigned uploads.
   * It is invoked synchronously with an upload request and answers with either
   * the upload or a refusal carrying an HTTP status.
   */
  public readonly issuerFunction: lambda.IFunction;

  /** The issuer function's log group. Its role is `issuerFunction.role`. */
  public readonly issuerLogGroup: logs.ILogGroup;

  /** The key prefix every source object is stored under. */
  public readonly sourcePrefix: string = SOURCE_PREFIX;

  constructor(scope: Construct, id: string, props: SecureUploadBucketProps = {}) {
    super(scope, id);
    const settings = this.validate(props);
    const corsRule = this.corsRule(props.allowedOrigins ?? []);
    const lifecycleRules = uploadLifecycleRules(props);
    if (props.bucket) {
      this.bucket = props.bucket;
      this.adoptBucket(props.bucket, corsRule, lifecycleRules);
    } else {
      this.accessLogsBucket = props.accessLogsBucket
        ?? createAccessLogsBucket(this, 'AccessLogs', props.accessLogsRetention ?? Duration.days(90), props.removalPolicy);
      this.bucket = this.createBucket(props, corsRule, lifecycleRules);
    }
    const issuer = this.createIssuer(props, settings);
    this.issuerFunction = issuer.fn;
    this.issuerLogGroup = issuer.logGroup;
  }

  private validate(props: SecureUploadBucketProps) {
    const settings = {
      maxUploadBytes: (props.maxUploadSize ?? Size.gibibytes(50)).toBytes(),
      multipartThresholdBytes: (props.multipartThreshold ?? Size.mebibytes(100)).toBytes(),
      partSizeBytes: (props.partSize ?? Size.mebibytes(16)).toBytes(),
      allowedContentTypes: props.allowedContentTypes ?? ['video/*'],
      urlExpirySeconds: (props.uploadUrlExpiry ?? Duration.minutes(15)).toSeconds(),
    };
    const errors = [
      ...validateUploadSettings(settings),
      ...(props.allowedOrigins ?? []).filter((origin) => !isOrigin(origin)).map((origin) =>
        `allowedOrigins entry ${JSON.stringify(origin)} is not an origin such as "https://video.example.com" (scheme, host and optional port, no path)`),
    ];
    if (props.bucket && props.encryptionKey) {
      errors.push('encryptionKey applies only to a bucket this construct creates; encrypt the bucket you bring yourself');
    }
    if (props.bucket && props.accessLogsBucket) {
      errors.push('accessLogsBucket applies only to a bucket this construct creates; configure logging on the bucket you bring yourself');
    }
    if (errors.length > 0) {
      throw new Error(`invalid SecureUploadBucket props at ${this.node.path}: ${errors.join('; ')}`);
    }
    return settings;
  }

  /** Browser uploads (POST forms and PUT parts) from the allowed origins, with the ETag multipart completion needs. */
  private corsRule(allowedOrigins: string[]): s3.CorsRule {
    if (allowedOrigins.length === 0) {
      Annotations.of(this).addWarningV2('cdk-secure-vod:upload-any-origin',
        'SecureUploadBucket allows browser uploads from any origin; set allowedOrigins to the origins of your pages');
    }
    return {
      allowedOrigins: allowedOrigins.length > 0 ? allowedOrigins : ['*'],
      allowedMethods: [s3.HttpMethods.POST, s3.HttpMethods.PUT],
      allowedHeaders: ['*'],
      exposedHeaders: ['ETag'],
      maxAge: Duration.hours(1).toSeconds(),
    };
  }

  /** A brought bucket gets the CORS and lifecycle rules when it is defined in this app; an imported one cannot, and a warning says so. */
  private adoptBucket(bucket: s3.IBucket, corsRule: s3.CorsRule, lifecycleRules: s3.LifecycleRule[]): void {
    if (bucket instanceof s3.Bucket) {
      bucket.addCorsRule(corsRule);
      lifecycleRules.forEach((rule) => bucket.addLifecycleRule(rule));
    } else {
      Annotations.of(this).addWarningV2('cdk-secure-vod:upload-imported-bucket',
        'SecureUploadBucket cannot add CORS or lifecycle rules to an imported bucket: allow POST and PUT from your origins, ' +
        'expose the ETag header, and abort incomplete multipart uploads on it yourself');
    }
  }

  private createBucket(props: SecureUploadBucketProps, corsRule: s3.CorsRule, lifecycleRules: s3.LifecycleRule[]): s3.Bucket {
    const bucket = new s3.Bucket(this, 'Bucket', {
      ...SECURE_BUCKET_DEFAULTS,
      encryption: props.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: props.encryptionKey ? true : undefined,
      versioned: true,
      ...bucketRemoval(props.removalPolicy ?? RemovalPolicy.RETAIN),
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsBucket ? 'upload-bucket/' : undefined,
      cors: [corsRule],
      lifecycleRules,
    });
    // The transcode pipeline hears of new sources through EventBridge.
    enableEventBridgeNotifications(this, bucket);
    return bucket;
  }

  /** The issuer: it may write under uploads/ (never read), list that prefix, and use the bucket's key. */
  private createIssuer(props: SecureUploadBucketProps, settings: ReturnType<SecureUploadBucket['validate']>) {
    const { role, logGroup, functionOptions } = handlerBasics(this, 'Issuer', {
      description: 'Issues presigned browser uploads of source videos',
      logRetention: props.logRetention,
      tracing: props.tracing,
      removalPolicy: props.removalPolicy,
    });
    const fn = new UploadIssuerFunction(this, 'IssuerFunction', {
      ...functionOptions,
      // Completing a multipart upload of many parts takes S3 a while; callers behind API Gateway wait at most 30 s.
      timeout: Duration.seconds(29),
      environment: uploadSettingsToEnvironment({ bucketName: this.bucket.bucketName, ...settings }),
    });
    // POST, CreateMultipartUpload, UploadPart and CompleteMultipartUpload all need s3:PutObject.
    const sourceObjects = this.bucket.arnForObjects(`${SOURCE_PREFIX}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
      resources: [sourceObjects],
    }));
    // Listing (never reading) lets a retried completion see that the object already exists.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${SOURCE_PREFIX}*` } },
    }));
    this.bucket.encryptionKey?.grantEncryptDecrypt(role);
    acknowledgeWildcardResource(role, sourceObjects,
      'Keys are assigned per upload at request time, so the issuer may write any key under the uploads/ prefix, and no other.');
    if (this.bucket.encryptionKey) {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledge(role, {
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: 'The grant is on the bucket\'s one KMS key; uploads generate data keys and multipart uploads re-encrypt them.',
        });
      }
    }
    acknowledge(fn, {
      id: 'Serverless-LambdaDLQ',
      reason: 'The issuer is only invoked synchronously; a failure is answered to its caller, so there is no event to keep in a dead-letter queue.',
    });
    return { fn, logGroup };
  }


  /**
   * Lets `grantee` (the function of an API that has authorized a creator)
   * invoke the issuer to issue, sign parts of, complete and abort uploads.
   */
  public grantIssueUploads(grantee: iam.IGrantable): iam.Grant {
    // The unqualified function only: no versions or aliases, so no wildcard.
    return iam.Grant.addToPrincipal({ grantee, actions: ['lambda:InvokeFunction'], resourceArns: [this.issuerFunction.functionArn] });
  }

  /**
   * Lets `grantee` read the source objects (and only those), for example a
   * transcoding role.
   */
  public grantReadSources(grantee: iam.IGrantable): iam.Grant {
    return this.bucket.grantRead(grantee, `${SOURCE_PREFIX}*`);
  }

  /** Uploads issued (presigned POST or multipart), per period. Sum over 5 minutes by default. */
  public metricUploadsIssued(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.uploadMetric(UPLOAD_METRICS.issued, props);
  }

  /** Upload requests refused for bad input (size, type, ids, part ranges), per period. Sum over 5 minutes by default. */
  public metricUploadsRefused(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.uploadMetric(UPLOAD_METRICS.refused, props);
  }

  /** Multipart uploads completed, per period. Sum over 5 minutes by default. */
  public metricUploadsCompleted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.uploadMetric(UPLOAD_METRICS.completed, props);
  }

  /** Issuer invocations that failed (faults of S3 or of the function, not refused requests). */
  public metricIssuerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.issuerFunction.metricErrors(props);
  }

  /** Bytes stored in S3 Standard, from S3's daily storage metrics. Average over one day by default. */
  public metricStoredBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.storageMetric('BucketSizeBytes', 'StandardStorage', props);
  }

  /** Number of objects (all versions), from S3's daily storage metrics. Average over one day by default. */
  public metricObjectCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.storageMetric('NumberOfObjects', 'AllStorageTypes', props);
  }

  private storageMetric(metricName: string, storageType: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName,
      dimensionsMap: { BucketName: this.bucket.bucketName, StorageType: storageType },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.days(1),
      ...props,
    });
  }

  private uploadMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return serviceMetric(UPLOAD_METRICS, metricName, { [UPLOAD_METRICS.bucketDimension]: this.bucket.bucketName }, {
      region: Stack.of(this).region,
      ...props,
    });
  }
}

function uploadLifecycleRules(props: SecureUploadBucketProps): s3.LifecycleRule[] {
  const rules: s3.LifecycleRule[] = [
    {
      id: 'AbortIncompleteUploads',
      abortIncompleteMultipartUploadAfter: props.abortIncompleteUploadsAfter ?? Duration.days(1),
    },
    {
      id: 'ExpireNoncurrentVersions',
      noncurrentVersionExpiration: props.noncurrentVersionRetention ?? Duration.days(30),
    },
  ];
  if (props.archiveAfter) {
    rules.push({
      id: 'ArchiveSources',
      prefix: SOURCE_PREFIX,
      transitions: [{
        storageClass: props.archiveStorageClass ?? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
        transitionAfter: props.archiveAfter,
      }],
    });
  }
  return rules;
}

