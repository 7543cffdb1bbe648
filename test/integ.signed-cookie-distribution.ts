import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { HlsTranscodePipeline, SignedCookieDistribution, SigningKey } from '../src';

const app = new App();
const stack = new Stack(app, 'SignedCookieDistributionInteg');
const pipeline = new HlsTranscodePipeline(stack, 'Transcode', { removalPolicy: RemovalPolicy.DESTROY });
new SignedCookieDistribution(stack, 'Delivery', {
  bucket: pipeline.outputBucket,
  // Two generated keys, as during a rotation: the first signs, both are trusted.
  signingKeys: [SigningKey.generate('Current'), SigningKey.generate('Previous')],
});

new IntegTest(app, 'SignedCookieDistributionTest', { testCases: [stack] });
