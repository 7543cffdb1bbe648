import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges the cdk-nag finding `AwsSolutions-IAM5[Resource::…]` for one
 * wildcard resource of a policy under `scope`. The finding names the resource
 * as cdk-nag flattens it (`<LogicalId.Arn>/prefix/*`), so the resource is
 * resolved and flattened the same way here.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenReference(Stack.of(scope).resolve(resource));
  // CDK reserves "::" in acknowledgement ids, and a literal ARN (an imported
  // resource's) holds it: such a finding is left for the app to acknowledge.
  if (!flat.includes('::')) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}

function flattenReference(node: unknown): string {
  if (typeof node === 'string') {
    return node.replace(/\${/g, '<').replace(/}/g, '>');
  }
  const value = node as Record<string, any>;
  if (value['Fn::Join']) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (value['Fn::GetAtt']) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (value.Ref) {
    return `<${flattenReference(value.Ref)}>`;
  }
  if (value['Fn::Sub']) {
    return flattenReference(value['Fn::Sub']);
  }
  if (value['Fn::ImportValue']) {
    return flattenReference(value['Fn::ImportValue']);
  }
  return JSON.stringify(node);
}
