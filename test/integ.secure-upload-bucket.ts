import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { SecureUploadBucket } from '../src';

const app = new App();
const stack = new Stack(app, 'SecureUploadBucketInteg');
const uploads = new SecureUploadBucket(stack, 'Uploads', {
  allowedOrigins: ['https://video.example.com'],
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'SecureUploadBucketTest', { testCases: [stack] });

// Deployed, the issuer answers a bad request with a refusal and a good one with a form for one key.
integ.assertions
  .invokeFunction({
    functionName: uploads.issuerFunction.functionName,
    payload: JSON.stringify({ action: 'issue', creatorId: 'integ', videoId: 'integ-video', size: 0, contentType: 'video/mp4' }),
  })
  .expect(ExpectedResult.objectLike({ Payload: { ok: false, statusCode: 400, error: { code: 'invalid-size' } } }));
integ.assertions
  .invokeFunction({
    functionName: uploads.issuerFunction.functionName,
    payload: JSON.stringify({ action: 'issue', creatorId: 'integ', videoId: 'integ-video', size: 1024, contentType: 'video/mp4' }),
  })
  .expect(ExpectedResult.objectLike({ Payload: { ok: true, result: { kind: 'post', size: 1024, contentType: 'video/mp4' } } }));
