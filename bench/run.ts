import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { playbackBenchmark } from './playback';
import { signingBenchmark } from './signing';

/**
 * `npx projen bench`: every figure as a ratio against a baseline measured in
 * the same run, printed as a table and written to bench/results.json.
 */
interface Figure {
  readonly name: string;
  readonly subject: string;
  readonly baseline: string;
  readonly ratio: number;
  /** The ratio must stay at or below this. */
  readonly target: number;
}

async function main() {
  const figures: Figure[] = [signingBenchmark(), await playbackBenchmark()];
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node.js ${process.version}`;
  const rows = figures.map((f) => [f.name, f.subject, f.baseline, `${f.ratio.toFixed(2)}×`, `≤ ${f.target}×`, f.ratio <= f.target ? 'met' : 'MISSED']);
  const header = ['benchmark', 'measured', 'baseline', 'ratio', 'target', ''];
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  console.log(`machine: ${machine}`);
  console.log(line(header));
  rows.forEach((row) => console.log(line(row)));
  writeFileSync(join(__dirname, 'results.json'), JSON.stringify({ machine, date: new Date().toISOString(), figures }, null, 2) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
