import { App, CfnOutput, Stack, StackProps, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { HlsTranscodePipeline, SecureUploadBucket, SignedCookieDistribution } from '../src';

/**
 * An example of assembling the constructs yourself: creators' uploads, issued by a function that a team's own
 * API would call, the pipeline that turns each upload into an HLS ladder, and
 * the distribution that serves it to holders of signed cookies.
 */
export class UploadStack extends Stack {
  public readonly uploads: SecureUploadBucket;
  public readonly pipeline: HlsTranscodePipeline;
  public readonly delivery: SignedCookieDistribution;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.uploads = new SecureUploadBucket(this, 'Uploads', {
      allowedOrigins: ['https://video.example.com'],
    });
    // The role of your API's function: it may ask for uploads, and do nothing else with the bucket.
    const api = new iam.Role(this, 'ApiRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.uploads.grantIssueUploads(api);
    this.pipeline = new HlsTranscodePipeline(this, 'Transcode', { sourceBucket: this.uploads.bucket });
    this.pipeline.grantRetry(api);
    this.delivery = new SignedCookieDistribution(this, 'Delivery', { bucket: this.pipeline.outputBucket });
    // The API signs playback cookies with the distribution's active key.
    this.delivery.grantSign(api);
    new CfnOutput(this, 'UploadBucketName', { value: this.uploads.bucket.bucketName });
    new CfnOutput(this, 'IssuerFunctionName', { value: this.uploads.issuerFunction.functionName });
    new CfnOutput(this, 'OutputBucketName', { value: this.pipeline.outputBucket.bucketName });
    new CfnOutput(this, 'MediaDomain', { value: this.delivery.domainName });
  }
}

if (require.main === module) {
  const app = new App({ context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true } });
  new UploadStack(app, 'CdkSecureVodComposed');
  app.synth();
}
