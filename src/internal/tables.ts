import { RemovalPolicy, aws_dynamodb as dynamodb } from 'aws-cdk-lib';

/** What every table of the library has: on-demand capacity, point-in-time recovery, AWS-managed encryption. */
export function tableDefaults(removalPolicy: RemovalPolicy) {
  return {
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy,
  } as const;
}
