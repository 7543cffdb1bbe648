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
