import { Duration, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * A dead-letter queue: encrypted, TLS only, messages kept 14 days (the most
 * SQS keeps). It is itself the end of the line, so it has no redrive of its
 * own; `what` says what ends in it, for the acknowledgement of that.
 */
export function createDeadLetterQueue(scope: Construct, id: string, what: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
    acknowledge(queue, { id: rule, reason: `This queue is itself where ${what} end; it has nowhere further to send them.` });
  }
  return queue;
}
