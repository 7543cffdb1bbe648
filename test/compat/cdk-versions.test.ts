import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `new VodPlatform(this, 'Vod')` synthesizes without a warning or an error
 * (what `cdk synth --strict` fails on) on the oldest aws-cdk-lib the library
 * supports and on the newest release, installed beside it as
 * `aws-cdk-lib-latest`. Each runs in its own Node.js process.
 */
const root = resolve(__dirname, '..', '..');

function synth(latest: boolean): { version: string; messages: string[] } {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-versions-'));
  try {
    const result = spawnSync(process.execPath, [
      ...(latest ? ['-r', join(__dirname, 'redirect-aws-cdk-lib.js')] : []),
      '-r', 'ts-node/register/transpile-only',
      join(__dirname, 'synth-messages.ts'), outdir,
    ], { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1', TS_NODE_PROJECT: join(root, 'tsconfig.dev.json') } });
    if (result.status !== 0) {
      throw new Error(`synth failed: ${result.stderr}`);
    }
    return JSON.parse(result.stdout.trim().split('\n').pop()!);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const versionOf = (file: string): { version: string; devDependencies: Record<string, string> } => JSON.parse(readFileSync(file, 'utf8'));

test.each([
  ['the oldest supported aws-cdk-lib', false, versionOf(join(root, 'package.json')).devDependencies['aws-cdk-lib']],
  ['the newest aws-cdk-lib', true, versionOf(join(root, 'node_modules', 'aws-cdk-lib-latest', 'package.json')).version],
])('synth is clean on %s', (_name, latest, version) => {
  const result = synth(latest);
  expect(result.version).toBe(version);
  expect(result.messages).toEqual([]);
}, 120_000);
