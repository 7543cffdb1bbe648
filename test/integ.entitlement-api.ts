import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EntitlementApi, HlsTranscodePipeline, SecureUploadBucket, SignedCookieDistribution } from '../src';

const app = new App();
const stack = new Stack(app, 'EntitlementApiInteg');
const uploads = new SecureUploadBucket(stack, 'Uploads', { removalPolicy: RemovalPolicy.DESTROY });
const pipeline = new HlsTranscodePipeline(stack, 'Transcode', { sourceBucket: uploads.bucket, removalPolicy: RemovalPolicy.DESTROY });
const delivery = new SignedCookieDistribution(stack, 'Delivery', { bucket: pipeline.outputBucket });
const api = new EntitlementApi(stack, 'Api', { uploads, pipeline, delivery, removalPolicy: RemovalPolicy.DESTROY });
api.routeThroughDelivery();

const integ = new IntegTest(app, 'EntitlementApiTest', { testCases: [stack] });

// Deployed, the catalog answers anyone, and a creator route refuses a caller without a token.
integ.assertions.httpApiCall(`${api.apiUrl}/videos`).expect(ExpectedResult.objectLike({ status: 200, body: { videos: [] } }));
integ.assertions.httpApiCall(`${api.apiUrl}/me/videos`).expect(ExpectedResult.objectLike({ status: 401 }));
