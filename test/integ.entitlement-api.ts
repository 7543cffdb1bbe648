import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { EntitlementApi } from '../src';

const app = new App();
const stack = new Stack(app, 'EntitlementApiInteg');
const api = new EntitlementApi(stack, 'Api', { removalPolicy: RemovalPolicy.DESTROY });

const integ = new IntegTest(app, 'EntitlementApiTest', { testCases: [stack] });

// Deployed, the catalog answers anyone, and a creator route refuses a caller without a token.
integ.assertions.httpApiCall(`${api.apiUrl}/videos`).expect(ExpectedResult.objectLike({ status: 200, body: { videos: [] } }));
integ.assertions.httpApiCall(`${api.apiUrl}/me/videos`).expect(ExpectedResult.objectLike({ status: 401 }));
