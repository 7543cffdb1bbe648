import { Annotations, Duration, FeatureFlags, RemovalPolicy, aws_s3 as s3 } from 'aws-cdk-lib';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/** The settings every bucket of the library starts from: private, encrypted, TLS 1.2+ only, no ACLs. */
export const SECURE_BUCKET_DEFAULTS: s3.BucketProps = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
};

/**
 * What a bucket of the library does when it leaves the stack: kept, or
 * emptied (every version, by CDK's auto-delete custom resource) and deleted.
 */
export function bucketRemoval(removalPolicy: RemovalPolicy): Pick<s3.BucketProps, 'removalPolicy' | 'autoDeleteObjects'> {
  return removalPolicy === RemovalPolicy.DESTROY ? { removalPolicy, autoDeleteObjects: true } : { removalPolicy };
}

/** Versioned, with replaced or deleted versions kept `noncurrentDays` days. */
export function versionedLifecycle(noncurrentDays: number): Pick<s3.BucketProps, 'versioned' | 'lifecycleRules'> {
  return {
    versioned: true,
    lifecycleRules: [{ id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(noncurrentDays) }],
  };
}

/** A private, versioned bucket for server access logs, whose logs expire after `retention`. */
export function createAccessLogsBucket(scope: Construct, id: string, retention: Duration, removalPolicy = RemovalPolicy.RETAIN): s3.Bucket {
  const logsBucket = new s3.Bucket(scope, id, {
    ...SECURE_BUCKET_DEFAULTS,
    // S3 server access logging delivers only to SSE-S3 buckets.
    encryption: s3.BucketEncryption.S3_MANAGED,
    // Log delivery is granted by bucket policy where the app enables that flag (new apps do), else by the ACL S3 needs.
    objectOwnership: FeatureFlags.of(scope).isEnabled(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY)
      ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
      : s3.ObjectOwnership.OBJECT_WRITER,
    ...bucketRemoval(removalPolicy),
    versioned: true,
    lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: retention, noncurrentVersionExpiration: Duration.days(1) }],
  });
  acknowledge(logsBucket, {
    id: 'AwsSolutions-S1',
    reason: 'This bucket is the access log destination of the library\'s buckets; logging it into itself would loop.',
  });
  return logsBucket;
}

/**
 * Turns on S3's EventBridge notifications for a bucket of this app, in the
 * bucket's own template properties (no notifications custom resource). For an
 * imported bucket, which cannot be changed here, `scope` warns instead.
 */
export function enableEventBridgeNotifications(scope: Construct, bucket: s3.IBucket): void {
  const cfn = bucket.node.defaultChild;
  if (bucket instanceof s3.Bucket && cfn instanceof s3.CfnBucket) {
    const current = (cfn.notificationConfiguration ?? {}) as s3.CfnBucket.NotificationConfigurationProperty;
    cfn.notificationConfiguration = { ...current, eventBridgeConfiguration: { eventBridgeEnabled: true } };
  } else {
    Annotations.of(scope).addWarningV2('cdk-secure-vod:eventbridge-imported-bucket',
      `turn on Amazon EventBridge notifications for bucket ${bucket.node.path}: it is imported, so they cannot be turned on here, and uploads are heard through them`);
  }
}
