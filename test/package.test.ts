import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

describe('the npm package', () => {
  const files: string[] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  }))[0].files.map((file: { path: string }) => file.path);

  test('carries lib/, assets/, .jsii and docs, and nothing else', () => {
    const allowed = /^(lib\/.*\.(js|d\.ts)|assets\/.*|\.jsii|README\.md|API\.md|LICENSE|package\.json)$/;
    expect(files.filter((file) => !allowed.test(file))).toEqual([]);
    expect(files).toContain('assets/upload/upload-issuer.lambda/index.js');
  });

  test('has no runtime dependency besides its peers', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(Object.keys(pkg.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
  });
});

describe('construct code', () => {
  /** Every module reachable from src/index.ts through relative imports, with the packages each imports. */
  function reachable(entry: string): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    const visit = (file: string) => {
      if (seen.has(file)) {
        return;
      }
      const source = readFileSync(file, 'utf8');
      // `import type` is erased from the JavaScript, so only value imports load anything.
      const specifiers = [...source.matchAll(/(?:import|export)\s(?!type\s)[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1]);
      seen.set(file, specifiers.filter((s) => !s.startsWith('.')));
      for (const relative of specifiers.filter((s) => s.startsWith('.'))) {
        const base = resolve(dirname(file), relative);
        visit([`${base}.ts`, join(base, 'index.ts')].find(existsSync)!);
      }
    };
    visit(entry);
    return seen;
  }

  test('never imports a library that only the bundled handlers carry', () => {
    // Node's own modules are always there; libraries are not.
    const allowed = new Set(['aws-cdk-lib', 'constructs', 'path', 'node:path', 'node:crypto']);
    const offending = [...reachable(join(root, 'src/index.ts'))].flatMap(([file, packages]) =>
      packages.filter((name) => !allowed.has(name.split('/')[0]) && !allowed.has(name))
        .map((name) => `${file.slice(root.length + 1)} imports ${name}`));
    expect(offending).toEqual([]);
  });
});

describe('API.md', () => {
  const api = readFileSync(join(root, 'API.md'), 'utf8');
  const index = readFileSync(join(root, 'src/index.ts'), 'utf8');
  const modules = [...index.matchAll(/export \* from '([^']+)'/g)].map((m) => join(root, 'src', `${m[1]}.ts`));

  /** Each exported class, interface and enum of the public modules, with the public properties it declares. */
  const declarations = modules.flatMap((file) =>
    readFileSync(file, 'utf8').split(/^(?=(?:export )?(?:abstract )?(?:class|interface|enum|function|const|type) )/m)
      .map((chunk) => ({ chunk, head: chunk.match(/^export (?:abstract )?(class|interface|enum) (\w+)/) }))
      .filter(({ head }) => head)
      .map(({ chunk, head }) => ({
        name: head![2],
        properties: head![1] === 'enum' ? [] : [...chunk.matchAll(/^ {2}(?:public )?readonly (\w+)\??:/gm)].map((m) => m[1]),
      })));

  test('describes every exported type and each of its public properties, as generated from the current source', () => {
    expect(declarations.length).toBeGreaterThan(10);
    const missing = declarations.flatMap(({ name, properties }) => [
      `cdk-secure-vod.${name}`, ...properties.map((property) => `cdk-secure-vod.${name}.property.${property}`),
    ]).filter((id) => !api.includes(`id="${id}"`));
    expect(missing).toEqual([]);
  });
});
