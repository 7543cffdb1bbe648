import { join } from 'node:path';
import { startServices } from '../../sandbox/aws/services';
import { FILES_REMOVED_DETAIL_TYPE, FilesRemovedDetail } from '../../src/contracts/transcode-status';
import { API_ENV } from '../../src/entitlement/api-environment';
import { consumeFilesRemoved } from '../../src/entitlement/status-consumer.lambda-shared';

/**
 * A deleted video's cached copies are invalidated when the pipeline tells
 * that its files are gone.
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

test('the bundled entry point invalidates at its distribution, over CloudFront\'s wire protocol, with the event as caller reference', async () => {
  const received: Array<{ distributionId: string; paths: string[]; reference: string }> = [];
  const services = await startServices({
    functions: new Map(),
    invokeAsync: () => undefined,
    secrets: new Map(),
    putEvents: () => undefined,
    probe: async () => ({}),
    createJob: async () => ({}),
    getJob: () => ({}),
    searchJobs: () => ({}),
    invalidate: (distributionId, paths, reference) => received.push({ distributionId, paths, reference }),
  });
  try {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_CLOUDFRONT: services.endpoint,
      [API_ENV.catalogTable]: 'catalog',
      [API_ENV.distributionId]: 'EDISTRIBUTION',
    });
    // The entry point reads its settings when it loads, as Lambda loads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(join(__dirname, '..', '..', 'assets', 'entitlement', 'status-consumer.lambda', 'index.js'));
    expect(await handler({ 'detail-type': FILES_REMOVED_DETAIL_TYPE, detail })).toEqual({ invalidated: ['/videos/video-1/*', '/posters/video-1/*'] });
    // A retry of the same event names the same invalidation: CloudFront answers a repeated reference with the first one.
    await handler({ 'detail-type': FILES_REMOVED_DETAIL_TYPE, detail });
    const first = { distributionId: 'EDISTRIBUTION', paths: ['/videos/video-1/*', '/posters/video-1/*'], reference: 'video-1@2030-01-01T00:00:00.000Z' };
    expect(received).toEqual([first, first]);
  } finally {
    await services.close();
  }
});
