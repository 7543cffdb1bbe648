import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { bundleBenchmarks, submitClientBenchmark } from './bundles';
import { firstFrameBenchmark } from './first-frame';
import { inFreshProcess } from './measure';
import { pipelineBenchmark } from './pipeline';
import { scaleBenchmarks } from './scale';
import { signingBenchmark } from './signing';
import { synthBenchmark } from './synth';

/**
 * `npx projen bench`: every figure against a baseline measured in the same
 * run (the machines are shared and noisy), printed as tables and written to
 * bench/results.json.
 */
interface Figure {
  readonly name: string;
  readonly subject: string;
  readonly baseline: string;
  readonly ratio: number;
  /** The ratio must stay at or below this, where there is a target. */
  readonly target?: number;
}

function table(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd();
  console.log(line(header));
  rows.forEach((row) => console.log(line(row)));
}

async function main() {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`;
  console.log(`machine: ${machine}\n`);

  // Size is reported, not targeted: what a cold start costs is the load, measured beside it.
  const bundles = bundleBenchmarks();
  table(['bundle', 'size', 'cold load', 'empty process', 'ratio'], bundles.map((b) => [
    b.name, `${b.sizeKb.toFixed(1)} KB`, `${b.loadMs.toFixed(0)} ms`, `${b.emptyMs.toFixed(0)} ms`, `${b.ratio.toFixed(2)}×`,
  ]));
  console.log('');

  const figures: Figure[] = [
    submitClientBenchmark(), signingBenchmark(), ...inFreshProcess<Figure[]>('bench/playback', 'playbackBenchmark'), ...await scaleBenchmarks(), await pipelineBenchmark(),
    await firstFrameBenchmark(20), synthBenchmark(),
  ];
  table(['benchmark', 'measured', 'baseline', 'ratio', 'target', ''], figures.map((f) => [
    f.name, f.subject, f.baseline, `${f.ratio.toFixed(2)}×`,
    f.target === undefined ? '—' : `≤ ${f.target}×`, f.target === undefined ? '' : f.ratio <= f.target ? 'met' : 'MISSED',
  ]));
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify({ machine, date: new Date().toISOString(), bundles, figures }, null, 2) + '\n');
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
