import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { HlsLadder, HlsTranscodePipeline, SecureUploadBucket } from '../src';

const app = new App();
const stack = new Stack(app, 'HlsTranscodePipelineInteg');
const uploads = new SecureUploadBucket(stack, 'Uploads', { removalPolicy: RemovalPolicy.DESTROY });
const pipeline = new HlsTranscodePipeline(stack, 'Transcode', {
  sourceBucket: uploads.bucket,
  ladder: HlsLadder.standard(),
  downloadRendition: true,
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'HlsTranscodePipelineTest', { testCases: [stack] });

// Deployed, a retry of an upload that never failed is refused without touching MediaConvert.
integ.assertions
  .invokeFunction({
    functionName: pipeline.submitFunction.functionName,
    payload: JSON.stringify({ action: 'retry', videoId: 'integ-video', uploadId: 'integ-upload' }),
  })
  .expect(ExpectedResult.objectLike({ Payload: { outcome: 'ignored' } }));
