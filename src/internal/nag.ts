import { AspectPriority, Aspects, CfnResource, IAspect, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges a cdk-nag finding under `scope`, with its reason, for both
 * generations of cdk-nag, without depending on either:
 *
 * - cdk-nag 3 reads CDK's `Validations` acknowledgements;
 * - cdk-nag 2 reads `cdk_nag` metadata (`rules_to_suppress`) on each
 *   CloudFormation resource, the form `NagSuppressions` writes. An id with a
 *   finding, such as `AwsSolutions-IAM5[Resource::<Bucket.Arn>/uploads/*]`,
 *   becomes the rule with `applies_to`. The metadata is written at synth, by
 *   an aspect that runs before cdk-nag 2's (a mutating aspect, on the app), so
 *   resources created after the acknowledgement (a role's default policy) are
 *   covered too.
 */
export function acknowledge(scope: IConstruct, acknowledgement: { id: string; reason: string }): void {
  if (acknowledgement.id.includes('::')) {
    recordAcknowledgement(scope, acknowledgement);
  } else {
    Validations.of(scope).acknowledge(acknowledgement);
  }
  addCdkNag2Rule(scope, acknowledgement);
}

/**
 * Records an acknowledgement whose id holds "::" (a finding about an ARN or a
 * managed policy), which `Validations.acknowledge` takes for a scope
 * qualifier: the same metadata entry, written as it writes it, which is what
 * cdk-nag 3 reads.
 */
function recordAcknowledgement(scope: IConstruct, acknowledgement: { id: string; reason: string }): void {
  const entries = scope.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
  const latest = (entries[entries.length - 1]?.data ?? {}) as Record<string, string>;
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { ...latest, [acknowledgement.id]: acknowledgement.reason });
}

/**
 * Acknowledges the cdk-nag finding `AwsSolutions-IAM5[Resource::…]` for one
 * wildcard resource of a policy under `scope`. The finding names the resource
 * as cdk-nag flattens it (`<LogicalId.Arn>/prefix/*`), so the resource is
 * resolved and flattened the same way here.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const flat = flattenReference(Stack.of(scope).resolve(resource));
  acknowledge(scope, { id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}

const RULES = new WeakMap<IConstruct, Array<{ id: string; reason: string }>>();
const ROOTS = new WeakSet<IConstruct>();

function addCdkNag2Rule(scope: IConstruct, acknowledgement: { id: string; reason: string }): void {
  const list = RULES.get(scope) ?? [];
  list.push(acknowledgement);
  RULES.set(scope, list);
  const root = scope.node.root;
  if (!ROOTS.has(root)) {
    ROOTS.add(root);
    Aspects.of(root).add(new CdkNag2Suppressions(), { priority: AspectPriority.MUTATING });
  }
}

/** Writes every acknowledgement of a resource's scopes as cdk-nag 2 metadata on the resource. */
class CdkNag2Suppressions implements IAspect {
  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) {
      return;
    }
    const rules: Array<Record<string, unknown>> = [];
    for (let scope: IConstruct | undefined = node; scope; scope = scope.node.scope) {
      for (const { id, reason } of RULES.get(scope) ?? []) {
        rules.push(cdkNag2Rule(id, reason));
      }
    }
    if (rules.length === 0) {
      return;
    }
    const existing = (node.getMetadata('cdk_nag') as { rules_to_suppress?: unknown[] } | undefined)?.rules_to_suppress ?? [];
    const merged = [...new Set([...existing, ...rules].map((rule) => JSON.stringify(rule)))].map((rule) => JSON.parse(rule));
    node.addMetadata('cdk_nag', { rules_to_suppress: merged });
  }
}

/** A rule as cdk-nag 2 keeps it in metadata: the finding in `applies_to`, a reason beyond Latin-1 base64-encoded. */
function cdkNag2Rule(id: string, reason: string): Record<string, unknown> {
  const match = /^([^[]+)\[(.+)\]$/.exec(id);
  const encoded = [...reason].some((character) => (character.codePointAt(0) ?? 0) > 255);
  return {
    id: match ? match[1] : id,
    ...(match ? { applies_to: [match[2]] } : {}),
    ...(encoded ? { reason: Buffer.from(reason).toString('base64'), is_reason_encoded: true } : { reason }),
  };
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
