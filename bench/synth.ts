import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import { median } from './measure';
import { buildExampleApp } from '../examples/vod-app';

/** Synthesizing the example VodPlatform app against synthesizing an empty stack, in this process. */
export function synthBenchmark() {
  const time = (synth: (outdir: string) => void) => {
    const outdir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
    try {
      const started = performance.now();
      synth(outdir);
      return performance.now() - started;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  };
  const empty = () => time((outdir) => {
    const app = new App({ outdir });
    new Stack(app, 'Empty');
    app.synth();
  });
  const platform = () => time((outdir) => buildExampleApp(outdir).app.synth());
  empty();
  platform();
  const emptyMs: number[] = [];
  const platformMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    emptyMs.push(empty());
    platformMs.push(platform());
  }
  const subject = median(platformMs);
  const baseline = median(emptyMs);
  return { name: 'synth of the example VodPlatform app vs an empty stack', subject: `${subject.toFixed(0)} ms`, baseline: `${baseline.toFixed(0)} ms`, ratio: subject / baseline };
}
