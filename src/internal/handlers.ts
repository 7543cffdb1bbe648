import { RemovalPolicy, aws_iam as iam, aws_lambda as lambda, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/** What every bundled handler of the library starts from. */
export interface HandlerBasics {
  /** The handler's own role: it may write its logs, and gets each further permission by name. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Options for the function: description, role, log group, arm64, 256 MB, tracing. */
  readonly functionOptions: lambda.FunctionOptions;
}

/**
 * A role and a log group named `<name>Role` and `<name>Logs` under `scope`,
 * and the function options every handler shares. No managed policy: the role
 * may write to its log group only, and X-Ray, which has no narrower resource.
 */
export function handlerBasics(scope: Construct, name: string, options: {
  readonly description: string;
  readonly logRetention?: logs.RetentionDays;
  readonly tracing?: lambda.Tracing;
  /** Why else the role holds an action on Resource "*", if it does. */
  readonly otherWildcardReason?: string;
  /** What happens to the log group when it leaves the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}): HandlerBasics {
  const logGroup = new logs.LogGroup(scope, `${name}Logs`, {
    retention: options.logRetention ?? logs.RetentionDays.ONE_YEAR,
    removalPolicy: options.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, `${name}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: options.description });
  logGroup.grantWrite(role);
  acknowledge(role, {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'X-Ray accepts PutTraceSegments and PutTelemetryRecords only on Resource "*"' +
      (options.otherWildcardReason ? `; ${options.otherWildcardReason}` : '.'),
  });
  return {
    role,
    logGroup,
    functionOptions: {
      description: options.description,
      role,
      logGroup,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      tracing: options.tracing ?? lambda.Tracing.ACTIVE,
    },
  };
}
