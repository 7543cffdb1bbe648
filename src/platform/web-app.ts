import * as path from 'node:path';
import {
  Aws, Duration, RemovalPolicy, Stack,
  aws_cloudfront as cloudfront,
  aws_s3 as s3,
  aws_s3_assets as s3assets,
  aws_s3_deployment as s3deploy,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { bucketRemoval, createAccessLogsBucket, SECURE_BUCKET_DEFAULTS } from '../internal/buckets';
import { acknowledge, acknowledgeWildcardResource } from '../internal/nag';

/** Where the built web app is, in the package (`assets/web`, built by `npx projen bundle`). */
export const WEB_APP_ASSET = path.join(__dirname, '../../assets/web');

/**
 * What the web app reads from `/config.json` when it starts: one build
 * serves every stack, the deployment writes the stack's values next to it.
 */
export interface WebAppConfig {
  readonly region: string;
  readonly clientId: string;
  /** Base URL of the sign-in domain: `<signInUrl>/oauth2/authorize`, `/oauth2/token`, `/logout`. */
  readonly signInUrl: string;
  /** The user pool's issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  readonly issuer: string;
  readonly apiPath: string;
  readonly scopes: string[];
}

/**
 * A private bucket for the web app's files, read only by CloudFront through
 * origin access control. It holds nothing but what each deploy writes, so it
 * is emptied and deleted with the stack; its access logs follow `removalPolicy`.
 */
export function createWebAppBucket(scope: Construct, removalPolicy: RemovalPolicy): s3.Bucket {
  return new s3.Bucket(scope, 'WebAppBucket', {
    ...SECURE_BUCKET_DEFAULTS,
    ...bucketRemoval(RemovalPolicy.DESTROY),
    // Each deployment replaces every file; older versions are kept a week to roll back by hand.
    versioned: true,
    lifecycleRules: [{ id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(7) }],
    serverAccessLogsBucket: createAccessLogsBucket(scope, 'WebAppAccessLogs', Duration.days(90), removalPolicy),
  });
}

/**
 * Copies the built web app and its `/config.json` into `bucket` on every
 * deploy (files no longer in the build are removed) and invalidates the
 * entry files at `distribution`.
 */
export function deployWebApp(scope: Construct, options: {
  readonly bucket: s3.IBucket;
  readonly distribution: cloudfront.IDistribution;
  readonly config: WebAppConfig;
  /** Remove files no longer in the build: only in a bucket that holds nothing else. */
  readonly prune: boolean;
}): s3deploy.BucketDeployment {
  const files = new s3assets.Asset(scope, 'WebAppFiles', { path: WEB_APP_ASSET });
  const deployment = new s3deploy.BucketDeployment(scope, 'WebAppDeployment', {
    sources: [s3deploy.Source.bucket(files.bucket, files.s3ObjectKey), s3deploy.Source.jsonData('config.json', options.config)],
    destinationBucket: options.bucket,
    prune: options.prune,
    // Browsers revalidate every file on each load (a 304 when unchanged), and CloudFront's caching-optimized
    // policy keeps a no-cache file only for its minimum TTL (1 s), so a deploy is seen at once.
    cacheControl: [s3deploy.CacheControl.fromString('no-cache')],
    distribution: options.distribution,
    distributionPaths: ['/', '/index.html', '/config.json'],
    memoryLimit: 256,
  });
  // CDK's deployment handler is one function of the stack, shared by its deployments.
  const role = deployment.handlerRole;
  acknowledge(role, {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'CDK\'s bucket deployment handler writes its logs through this managed policy; it runs only while CloudFormation deploys.',
  });
  for (const action of ['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*']) {
    acknowledge(role, {
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: 'CDK\'s bucket deployment handler reads the web app\'s asset and replaces every file of the web app bucket, so it reads, lists and deletes objects of those two buckets only.',
    });
  }
  acknowledgeWildcardResource(role, files.bucket.arnForObjects('*'),
    'The deployment handler reads the web app\'s files from the asset bucket, whose object keys are content hashes.');
  acknowledgeWildcardResource(role, options.bucket.arnForObjects('*'), 'The deployment handler writes and prunes every file of the web app bucket.');
  acknowledge(role, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'CloudFront\'s CreateInvalidation and GetInvalidation, which the handler calls after copying, take no resource narrower than the distribution and CDK grants them on *.',
  });
  const handler = Stack.of(scope).node.children.filter((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
  for (const fn of handler) {
    acknowledge(fn, {
      id: 'Serverless-LambdaDLQ',
      reason: 'CloudFormation invokes CDK\'s bucket deployment handler for a custom resource and fails the deploy when it fails: there is no event to keep.',
    });
    acknowledge(fn, {
      id: 'AwsSolutions-L1',
      reason: 'CDK\'s bucket deployment handler runs on the Python runtime its aws-cdk-lib release was built and tested with; upgrading aws-cdk-lib upgrades it.',
    });
    acknowledge(fn, {
      id: 'Serverless-LambdaLatestVersion',
      reason: 'CDK\'s bucket deployment handler is versioned and upgraded with aws-cdk-lib, which picks its runtime.',
    });
    acknowledge(fn, {
      id: 'Serverless-LambdaTracing',
      reason: 'CDK\'s bucket deployment handler runs once per deploy, outside any request path; CloudFormation\'s events and its log record each run.',
    });
  }
  return deployment;
}

/** `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
export function userPoolIssuer(userPoolId: string): string {
  return `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${userPoolId}`;
}
