import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

/** Every finding of the AwsSolutions and Serverless packs over `stack`, as `rule at path` lines. */
export function nagFindings(stack: Stack): string[] {
  const app = stack.node.root as App;
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app)].flatMap((pack) =>
    pack.validateScope(stack).violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`)));
}

/** Every acknowledgement recorded under `scope`, with its reason, sorted by rule id. */
export function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  const found = new Map<string, { path: string; id: string; reason: string }>();
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) {
        continue;
      }
      for (const [rawId, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib records plain rule ids with an "annotation::" prefix.
        const id = rawId.replace(/^annotation::/i, '');
        found.set(`${construct.node.path} ${id}`, { path: construct.node.path, id, reason });
      }
    }
  }
  return [...found.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The template with asset hashes masked, for snapshots that survive a rebuilt bundle. */
export function maskedTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json.replace(/[0-9a-f]{64}(\.zip)?/g, (_hash, zip) => `<asset hash>${zip ?? ''}`));
}
