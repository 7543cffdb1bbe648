import { CreateMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';
import { App, Stack } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { UploadResponse } from '../../src/contracts/upload-messages';
import { SecureUploadBucket } from '../../src/upload/secure-upload-bucket';
import { uploadSettingsToEnvironment, MEBIBYTE } from '../../src/upload/upload-settings';

/** The bundled entry point: configuration read once, metrics and logs per request, nothing secret in them. */

const s3Mock = mockClient(S3Client);
let output: string[] = [];
let handler: (event: unknown) => Promise<UploadResponse>;

beforeAll(() => {
  Object.assign(process.env, uploadSettingsToEnvironment({
    bucketName: 'source-bucket',
    maxUploadBytes: 1024 * MEBIBYTE,
    multipartThresholdBytes: 100 * MEBIBYTE,
    partSizeBytes: 16 * MEBIBYTE,
    allowedContentTypes: ['video/*'],
    urlExpirySeconds: 600,
  }), {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDHANDLER',
    AWS_SECRET_ACCESS_KEY: 'handler-secret',
    AWS_SESSION_TOKEN: 'handler-session-token',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ({ handler } = require('../../src/upload/upload-issuer.lambda'));
});

beforeEach(() => {
  s3Mock.reset();
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

function records(): Record<string, any>[] {
  return output.join('').split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
}

function metric(name: string): Record<string, any> | undefined {
  return records().find((record) => record._aws?.CloudWatchMetrics?.[0]?.Metrics?.some((m: { Name: string }) => m.Name === name));
}

test('an issued upload is counted under the dimensions the construct reads, and logged without its credentials', async () => {
  const answer = await handler({ action: 'issue', creatorId: 'c-1', videoId: 'v-1', size: 1234, contentType: 'video/mp4' });
  expect(answer).toMatchObject({ ok: true, result: { kind: 'post' } });

  const emitted = metric('UploadsIssued')!;
  expect(emitted.UploadsIssued).toBe(1);
  const stack = new Stack(new App(), 'S');
  const construct = new SecureUploadBucket(stack, 'U');
  const expected = construct.metricUploadsIssued();
  const declared = emitted._aws.CloudWatchMetrics[0];
  expect(declared.Namespace).toBe(expected.namespace);
  expect(declared.Dimensions[0].sort()).toEqual(Object.keys(expected.dimensions!).sort());
  expect(emitted.service).toBe(expected.dimensions!.service);
  expect(emitted.BucketName).toBe('source-bucket');

  const all = output.join('');
  expect(all).toContain('upload issued');
  expect(all).not.toContain('handler-session-token');
  expect(all).not.toContain((answer as any).result.fields['X-Amz-Signature']);
  expect(all).not.toContain((answer as any).result.fields.Policy);
});

test('a refused request is answered, counted and logged with its code', async () => {
  const answer = await handler({ action: 'issue', creatorId: 'c-1', videoId: 'v-1', size: 0, contentType: 'video/mp4' });
  expect(answer).toMatchObject({ ok: false, statusCode: 400, error: { code: 'invalid-size' } });
  expect(metric('UploadsRefused')?.UploadsRefused).toBe(1);
  expect(records().find((record) => record.message === 'upload request refused')).toMatchObject({ code: 'invalid-size', statusCode: 400 });
});

test('an S3 fault fails the invocation instead of answering a refusal', async () => {
  s3Mock.on(CreateMultipartUploadCommand).rejects(new Error('service unavailable'));
  await expect(handler({ action: 'issue', creatorId: 'c-1', videoId: 'v-1', size: 200 * MEBIBYTE, contentType: 'video/mp4' }))
    .rejects.toThrow('service unavailable');
});
