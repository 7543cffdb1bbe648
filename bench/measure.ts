import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle];
}

/**
 * Times `subject` against `baseline` in alternating rounds, so both see the
 * same machine load, and answers the median time per operation of each and
 * their ratio. Figures are ratios because these machines are shared and noisy.
 */
export function compare(subject: () => void, baseline: () => void, options: { rounds?: number; perRound?: number; warmup?: number } = {}) {
  const rounds = options.rounds ?? 15;
  const perRound = options.perRound ?? 200;
  for (let i = 0; i < (options.warmup ?? 100); i++) {
    subject();
    baseline();
  }
  const subjectTimes: number[] = [];
  const baselineTimes: number[] = [];
  const time = (fn: () => void) => {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) {
      fn();
    }
    return (performance.now() - start) / perRound;
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      subjectTimes.push(time(subject));
      baselineTimes.push(time(baseline));
    } else {
      baselineTimes.push(time(baseline));
      subjectTimes.push(time(subject));
    }
  }
  const subjectMs = median(subjectTimes);
  const baselineMs = median(baselineTimes);
  return { subjectMs, baselineMs, ratio: subjectMs / baselineMs };
}

/** `compare` for asynchronous operations, run one at a time. */
export async function compareAsync(
  subject: () => Promise<unknown>, baseline: () => Promise<unknown> | unknown,
  options: { rounds?: number; perRound?: number; warmup?: number } = {},
) {
  const rounds = options.rounds ?? 15;
  const perRound = options.perRound ?? 100;
  for (let i = 0; i < (options.warmup ?? 50); i++) {
    await subject();
    await baseline();
  }
  const time = async (fn: () => Promise<unknown> | unknown) => {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) {
      await fn();
    }
    return (performance.now() - start) / perRound;
  };
  const subjectTimes: number[] = [];
  const baselineTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      subjectTimes.push(await time(subject));
      baselineTimes.push(await time(baseline));
    } else {
      baselineTimes.push(await time(baseline));
      subjectTimes.push(await time(subject));
    }
  }
  const subjectMs = median(subjectTimes);
  const baselineMs = median(baselineTimes);
  return { subjectMs, baselineMs, ratio: subjectMs / baselineMs };
}

/**
 * Runs `exportName` of the benchmark module `modulePath` (relative to the
 * repository) in a fresh Node.js process and answers what it resolves to.
 * An API handler runs in a container holding its own code alone; measured in
 * this process, after every other benchmark has loaded its modules (the CDK,
 * Chromium's driver, the sandbox), an allocation-heavy path pays for
 * collecting a heap many times larger than the handler's.
 */
export function inFreshProcess<T>(modulePath: string, exportName: string): T {
  const root = join(__dirname, '..');
  const script = `require(${JSON.stringify(join(root, modulePath))}).${exportName}()`
    + '.then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); })';
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register', '-e', script], {
    cwd: root, env: { ...process.env, TS_NODE_PROJECT: join(root, 'tsconfig.dev.json') }, maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(out.toString('utf8')) as T;
}
