import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The signing key custom resource: on Create it generates an RSA key pair,
 * keeps the private key in the given secret and answers the public key, which
 * CloudFront's key group trusts. It is create-only: an Update answers the key
 * already in the secret and a Delete leaves it, so a stack update never breaks
 * cookies that are live. The private key is never in a response or a log.
 */

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: { readonly SecretArn?: string; readonly KeySize?: string };
}

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly PublicKeyPem: string };
}

/** Carries out one custom resource request. */
export async function handleKeyEvent(secrets: SecretsManagerClient, event: CustomResourceEvent): Promise<CustomResourceResult> {
  const secretArn = event.ResourceProperties.SecretArn;
  if (!secretArn) {
    throw new Error('the SecretArn property is required');
  }
  const physicalId = event.PhysicalResourceId ?? `signing-key:${event.LogicalResourceId}`;
  if (event.RequestType === 'Create') {
    const modulusLength = Number(event.ResourceProperties.KeySize ?? 2048);
    const pair = generateKeyPairSync('rsa', {
      modulusLength,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    await secrets.send(new PutSecretValueCommand({ SecretId: secretArn, SecretString: pair.privateKey }));
    return { PhysicalResourceId: physicalId, Data: { PublicKeyPem: pair.publicKey } };
  }
  // Update and Delete keep the key; both answer the public key of the one in the secret.
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: physicalId, Data: { PublicKeyPem: '' } };
  }
  const stored = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const publicKeyPem = createPublicKey(stored.SecretString ?? '').export({ type: 'spki', format: 'pem' }).toString();
  return { PhysicalResourceId: physicalId, Data: { PublicKeyPem: publicKeyPem } };
}

/**
 * Answers CloudFormation at the request's presigned URL. A failure answers
 * only the error's message, which never holds key material.
 */
export async function respond(
  event: CustomResourceEvent, outcome: { result: CustomResourceResult } | { error: Error }, logStreamName: string,
): Promise<void> {
  const body = JSON.stringify({
    Status: 'result' in outcome ? 'SUCCESS' : 'FAILED',
    Reason: 'result' in outcome ? 'OK' : `${outcome.error.message} (see ${logStreamName})`,
    PhysicalResourceId: 'result' in outcome ? outcome.result.PhysicalResourceId : event.PhysicalResourceId ?? `signing-key:${event.LogicalResourceId}`,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: 'result' in outcome ? outcome.result.Data : undefined,
  });
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    body: Buffer.from(body),
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
  });
  if (!response.ok) {
    throw new Error(`CloudFormation did not take the response: HTTP ${response.status}`);
  }
}
