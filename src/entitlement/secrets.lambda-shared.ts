import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { onceUntilFailure } from '../internal/once.lambda-shared';

/**
 * A secret's string, read from Secrets Manager on first use and then kept for
 * the container's life (a failed read is tried again on the next call). The
 * value is only ever handed to its user: never logged, never answered.
 */
export function secretString(secrets: SecretsManagerClient, secretId: string): () => Promise<string> {
  return onceUntilFailure(async () => (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '');
}
