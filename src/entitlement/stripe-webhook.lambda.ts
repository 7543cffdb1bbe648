import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { API_ENV, requiredEnv } from './api-environment';
import { EntitlementStore } from './entitlements.lambda-shared';
import { HttpEvent, HttpResult } from './http.lambda-shared';
import { secretString } from './secrets.lambda-shared';
import { handleStripeWebhook } from './stripe-webhook.lambda-shared';
import { Documents } from '../internal/documents.lambda-shared';

const documents = new Documents(new DynamoDBClient({}));
const secrets = new SecretsManagerClient({});
const secretArn = requiredEnv(process.env, API_ENV.stripeSecret);
const entitlements = new EntitlementStore(documents, requiredEnv(process.env, API_ENV.entitlementsTable));
const logger = new Logger({ serviceName: 'stripe-webhook.lambda-shared' });

const readSecret = secretString(secrets, secretArn);

/** Stripe's webhook. Logs the outcome, never the payload or the signature. */
export async function handler(event: HttpEvent): Promise<HttpResult> {
  const result = await handleStripeWebhook({ entitlements, secret: readSecret }, event);
  logger.info('stripe event', { statusCode: result.statusCode, outcome: result.body.slice(0, 200) });
  return result;
}
