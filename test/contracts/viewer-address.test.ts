import { viewerRequestFunction } from '../../sandbox/cloudfront/edge';
import { VIEWER_ADDRESS_FUNCTION_CODE, VIEWER_ADDRESS_HEADER } from '../../src/contracts/viewer-address';

/**
 * The viewer-request function of the API's behaviour, run as CloudFront runs
 * it: `handler(event)` of a cloudfront-js-2.0 function, answering the request.
 */
const handler = viewerRequestFunction(VIEWER_ADDRESS_FUNCTION_CODE) as (event: unknown) => Promise<any>;

const event = (headers: Record<string, { value: string }>, ip: string) => ({
  version: '1.0',
  context: { eventType: 'viewer-request' },
  viewer: { ip },
  request: { method: 'POST', uri: '/api/videos/v1/playback', querystring: {}, headers, cookies: {} },
});

test('writes the viewer\'s address to the header, keeping the request\'s other headers', async () => {
  const request = await handler(event({ 'authorization': { value: 'Bearer t' }, 'user-agent': { value: 'Firefox' } }, '203.0.113.7'));
  expect(request.headers).toEqual({
    'authorization': { value: 'Bearer t' },
    'user-agent': { value: 'Firefox' },
    [VIEWER_ADDRESS_HEADER]: { value: '203.0.113.7' },
  });
  expect(request.uri).toBe('/api/videos/v1/playback');
});

test('a header of that name sent by the viewer is replaced, so no viewer can name another address', async () => {
  const request = await handler(event({ [VIEWER_ADDRESS_HEADER]: { value: '198.51.100.9' } }, '203.0.113.7'));
  expect(request.headers[VIEWER_ADDRESS_HEADER]).toEqual({ value: '203.0.113.7' });
});

test('the code stays within what a CloudFront Function takes: no modules, within 10 KB', () => {
  expect(VIEWER_ADDRESS_FUNCTION_CODE).not.toMatch(/require\(|import /);
  expect(Buffer.byteLength(VIEWER_ADDRESS_FUNCTION_CODE)).toBeLessThan(10 * 1024);
  expect(VIEWER_ADDRESS_HEADER).toMatch(/^[a-z0-9-]+$/);
  // CloudFront Functions may not add headers starting x-amz- or x-edge- (restrictions on edge functions).
  expect(VIEWER_ADDRESS_HEADER).not.toMatch(/^x-(amz|edge)-/);
});
