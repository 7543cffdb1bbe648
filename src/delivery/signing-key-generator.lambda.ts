import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CustomResourceEvent, handleKeyEvent, respond } from './key-generator.lambda-shared';

const secrets = new SecretsManagerClient({});

/** CloudFormation custom resource: generates a CloudFront signing key pair on Create, keeps it otherwise. */
export async function handler(event: CustomResourceEvent, context: { logStreamName: string }): Promise<void> {
  let outcome: Parameters<typeof respond>[1];
  try {
    outcome = { result: await handleKeyEvent(secrets, event) };
  } catch (error) {
    outcome = { error: error instanceof Error ? error : new Error(String(error)) };
  }
  console.log(JSON.stringify({
    requestType: event.RequestType,
    logicalResourceId: event.LogicalResourceId,
    status: 'result' in outcome ? 'SUCCESS' : 'FAILED',
    ...('error' in outcome ? { error: outcome.error.message } : {}),
  }));
  await respond(event, outcome, context.logStreamName);
}
