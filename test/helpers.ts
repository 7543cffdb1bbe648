import { App, Aspects, Stack, Validations } from 'aws-cdk-lib';
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

/**
 * Every error of cdk-nag 2's AwsSolutions and Serverless packs over `stack`,
 * applied as apps on cdk-nag 2 apply them (aspects on the app); the stack must
 * not have been synthesized yet.
 */
export function nag2Findings(stack: Stack): string[] {
  // cdk-nag 2 is installed beside cdk-nag 3 under another name.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nag2 = require('cdk-nag-2');
  const app = stack.node.root as App;
  Aspects.of(app).add(new nag2.AwsSolutionsChecks());
  Aspects.of(app).add(new nag2.ServerlessChecks());
  app.synth();
  return stack.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === 'aws:cdk:error' && /^(AwsSolutions|Serverless)-/.test(String(entry.data)))
    .map((entry) => `${String(entry.data).split(': ')[0]} at ${construct.node.path}`));
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
