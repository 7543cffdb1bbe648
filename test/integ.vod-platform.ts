import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { VodPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'VodPlatformInteg');
const vod = new VodPlatform(stack, 'Vod', {
  uploads: { removalPolicy: RemovalPolicy.DESTROY },
  pipeline: { removalPolicy: RemovalPolicy.DESTROY },
  api: { removalPolicy: RemovalPolicy.DESTROY },
});

const integ = new IntegTest(app, 'VodPlatformTest', { testCases: [stack] });

// Deployed, the API answers on the platform's one domain, and signed media refuses a request without cookies.
integ.assertions.httpApiCall(`${vod.apiUrl}/videos`).expect(ExpectedResult.objectLike({ status: 200, body: { videos: [] } }));
integ.assertions.httpApiCall(`${vod.url}/videos/none/master.m3u8`).expect(ExpectedResult.objectLike({ status: 403 }));
