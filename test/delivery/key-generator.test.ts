import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { CustomResourceEvent } from '../../src/delivery/key-generator.lambda-shared';

/**
 * The signing key custom resource as CloudFormation drives it: the bundled
 * handler answers at the request's response URL (a local HTTP server here).
 */

const secretsMock = mockClient(SecretsManagerClient);
const secretArn = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:signing-key';
let server: http.Server;
let responses: Array<Record<string, any>>;
let logs: string[];
let handler: (event: CustomResourceEvent, context: { logStreamName: string }) => Promise<void>;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      responses.push({ method: req.method, contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_REGION = 'us-east-1';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = require('../../src/delivery/signing-key-generator.lambda').handler;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  responses = [];
  logs = [];
  secretsMock.reset();
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    logs.push(args.map(String).join(' '));
  });
});
afterEach(() => jest.restoreAllMocks());

function event(requestType: CustomResourceEvent['RequestType'], properties: Record<string, string> = { SecretArn: secretArn }, physicalId?: string): CustomResourceEvent {
  return {
    RequestType: requestType,
    ResponseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=abc`,
    StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/s/1',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'DeliveryDefaultKeyPair',
    PhysicalResourceId: physicalId,
    ResourceProperties: properties,
  };
}

test('Create generates an RSA key pair: the private key goes only to the secret, the public key to the answer', async () => {
  secretsMock.on(PutSecretValueCommand).resolves({});
  await handler(event('Create'), { logStreamName: 'stream' });
  const put = secretsMock.commandCalls(PutSecretValueCommand)[0].args[0].input;
  expect(put.SecretId).toBe(secretArn);
  const privateKey = createPrivateKey(put.SecretString!);
  expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);

  expect(responses).toHaveLength(1);
  const { body, method, contentType } = responses[0];
  expect(method).toBe('PUT');
  expect(contentType).toBe('');
  expect(body).toMatchObject({
    Status: 'SUCCESS', PhysicalResourceId: 'signing-key:DeliveryDefaultKeyPair', RequestId: 'request-Create', LogicalResourceId: 'DeliveryDefaultKeyPair',
  });
  expect(body.Data.PublicKeyPem).toBe(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }));
  const everything = JSON.stringify(responses) + logs.join('\n');
  expect(everything).not.toContain('PRIVATE KEY');
});

test('Update keeps the key: nothing is written, and the answer is the public key of the stored private key', async () => {
  const stored = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  secretsMock.on(GetSecretValueCommand, { SecretId: secretArn }).resolves({ SecretString: stored.privateKey });
  await handler(event('Update', { SecretArn: secretArn }, 'signing-key:DeliveryDefaultKeyPair'), { logStreamName: 'stream' });
  expect(secretsMock.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  expect(responses[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'signing-key:DeliveryDefaultKeyPair', Data: { PublicKeyPem: stored.publicKey } });
  expect(JSON.stringify(responses) + logs.join('\n')).not.toContain('PRIVATE KEY');
});

test('Delete leaves the key alone', async () => {
  await handler(event('Delete', { SecretArn: secretArn }, 'signing-key:DeliveryDefaultKeyPair'), { logStreamName: 'stream' });
  expect(secretsMock.calls()).toHaveLength(0);
  expect(responses[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'signing-key:DeliveryDefaultKeyPair' });
});

test('a failure is answered FAILED with its reason, and logged without key material', async () => {
  secretsMock.on(PutSecretValueCommand).rejects(new Error('AccessDenied on the secret'));
  await handler(event('Create'), { logStreamName: 'stream-7' });
  expect(responses[0].body).toMatchObject({ Status: 'FAILED', Reason: 'AccessDenied on the secret (see stream-7)' });
  expect(logs.join('\n')).toContain('"status":"FAILED"');
  expect(logs.join('\n')).not.toContain('PRIVATE KEY');

  responses = [];
  await handler(event('Create', {}), { logStreamName: 'stream-8' });
  expect(responses[0].body).toMatchObject({ Status: 'FAILED', Reason: 'the SecretArn property is required (see stream-8)' });
});
