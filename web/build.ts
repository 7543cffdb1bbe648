/**
 * Builds the web app into assets/web/: index.html, app.js (ES module; hls.js
 * split into its own chunk, loaded by the watch page only), app.css and the
 * icon. Minified, no source maps, for browsers with ES2020.
 *
 *   ts-node --project tsconfig.dev.json web/build.ts
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
// The bundler runs at build time only.
import { build } from 'esbuild';

const root = join(__dirname, '..');
const source = join(root, 'web');
const outdir = join(root, 'assets', 'web');

async function main(): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const shared = { bundle: true, minify: true, sourcemap: false, target: 'es2020', logLevel: 'warning', legalComments: 'eof' } as const;
  await build({
    ...shared,
    entryPoints: { app: join(source, 'src', 'main.ts') },
    outdir,
    format: 'esm',
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  await build({ ...shared, entryPoints: { app: join(source, 'src', 'app.css') }, outdir });
  copyFileSync(join(source, 'index.html'), join(outdir, 'index.html'));
  copyFileSync(join(source, 'favicon.svg'), join(outdir, 'favicon.svg'));
  for (const file of listFiles(outdir)) {
    const bytes = statSync(file).size;
    const gzip = gzipSync(readFileSync(file)).length;
    console.log(`${relative(root, file).padEnd(48)} ${kb(bytes).padStart(9)}  (${kb(gzip)} gzip)`);
  }
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]);
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
