import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExampleApp } from './vod-app';

/**
 * Synthesizes the example app and lists what it would deploy: every resource
 * with its type and construct path, the stack outputs, and synth warnings.
 */
const outdir = mkdtempSync(join(tmpdir(), 'cdk-secure-vod-example-'));
try {
  const { app, stack } = buildExampleApp(outdir, { 'aws:cdk:enable-path-metadata': true });
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const template = JSON.parse(readFileSync(join(outdir, artifact.templateFile), 'utf8'));
  const resources = Object.entries(template.Resources as Record<string, { Type: string; Metadata?: Record<string, string> }>);
  const rows = resources.map(([logicalId, resource]) => [resource.Type, resource.Metadata?.['aws:cdk:path'] ?? logicalId]);
  const width = Math.max(...rows.map(([type]) => type.length));
  console.log(`Synthesized stack ${stack.stackName}: ${resources.length} resources`);
  for (const [type, path] of rows.sort()) {
    console.log(`  ${type.padEnd(width)}  ${path}`);
  }
  console.log('Outputs:');
  for (const name of Object.keys(template.Outputs ?? {})) {
    console.log(`  ${name}`);
  }
  const warnings = artifact.messages.filter((message) => message.level === 'warning');
  console.log(warnings.length === 0 ? 'No synth warnings.' : `Synth warnings:\n${warnings.map((w) => `  ${w.id}: ${w.entry.data}`).join('\n')}`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
