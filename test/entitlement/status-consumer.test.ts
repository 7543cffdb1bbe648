import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { mockClient } from 'aws-sdk-client-mock';
import { FILES_REMOVED_DETAIL_TYPE, FilesRemovedDetail } from '../../src/contracts/transcode-status';
import { API_ENV } from '../../src/entitlement/api-environment';
import { consumeFilesRemoved } from '../../src/entitlement/status-consumer.lambda-shared';

/**
 * A deleted video's cached copies are invalidated when the pipeline tells
 * that its files are gone, once per event however often Lambda retries it.
 */

const detail: FilesRemovedDetail = {
  version: 1, pipelineId: 'Pipeline', videoId: 'video-1', prefixes: ['videos/video-1/', 'posters/video-1/'], removed: 12, at: '2030-01-01T00:00:00.000Z',
};

test('the emptied folders are invalidated, each with a wildcard', async () => {
  const calls: string[][] = [];
  expect(await consumeFilesRemoved(async (paths) => {
    calls.push(paths);
  }, { detail })).toEqual(['/videos/video-1/*', '/posters/video-1/*']);
  expect(calls).toEqual([['/videos/video-1/*', '/posters/video-1/*']]);
});

test('prefixes outside the media and poster folders are never invalidated; a malformed event is refused', async () => {
  const calls: string[][] = [];
  const record = async (paths: string[]) => {
    calls.push(paths);
  };
  expect(await consumeFilesRemoved(record, { detail: { ...detail, prefixes: ['', 'videos/', '*', 'videos/../x/', 'posters/video-1/'] } })).toEqual(['/posters/video-1/*']);
  await expect(consumeFilesRemoved(record, { detail: { ...detail, version: 2 as 1 } })).rejects.toThrow('not a version 1 files-removed event');
  await expect(consumeFilesRemoved(record, {})).rejects.toThrow('not a version 1 files-removed event');
  expect(calls).toEqual([['/posters/video-1/*']]);
});

test('without a CDN there is nothing to invalidate', async () => {
  expect(await consumeFilesRemoved(undefined, { detail })).toEqual([]);
});

test('the entry point invalidates at its distribution with a caller reference of the event, so a retry is the same invalidation', async () => {
  const cloudfront = mockClient(CloudFrontClient);
  cloudfront.on(CreateInvalidationCommand).resolves({ Invalidation: { Id: 'I1', Status: 'InProgress', CreateTime: new Date(), InvalidationBatch: undefined as any } });
  process.env[API_ENV.catalogTable] = 'catalog';
  process.env[API_ENV.distributionId] = 'EDISTRIBUTION';
  process.env.AWS_REGION = 'us-east-1';
  // The entry point reads its settings when it loads, as Lambda loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require('../../src/entitlement/status-consumer.lambda') as typeof import('../../src/entitlement/status-consumer.lambda');
  const event = { 'detail-type': FILES_REMOVED_DETAIL_TYPE, detail } as const;
  expect(await handler(event)).toEqual({ invalidated: ['/videos/video-1/*', '/posters/video-1/*'] });
  await handler(event);
  const inputs = cloudfront.commandCalls(CreateInvalidationCommand).map((call) => call.args[0].input);
  expect(inputs).toHaveLength(2);
  expect(inputs[0]).toEqual({
    DistributionId: 'EDISTRIBUTION',
    InvalidationBatch: { CallerReference: 'video-1@2030-01-01T00:00:00.000Z', Paths: { Quantity: 2, Items: ['/videos/video-1/*', '/posters/video-1/*'] } },
  });
  expect(inputs[1]).toEqual(inputs[0]);
  cloudfront.restore();
});
