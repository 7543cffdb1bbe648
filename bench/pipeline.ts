import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { median } from './measure';
import { planEncode, run } from '../sandbox/mediaconvert/mediaconvert';
import { generateClip, startSandbox, uploadAndWait } from '../sandbox/platform';

/**
 * The sandbox pipeline: from the upload stored to the video READY (S3 event,
 * submit handler, probe, the encode, status events, catalog), against
 * running the very same ffmpeg encode of the same ladder alone.
 */
export async function pipelineBenchmark() {
  const work = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  // Without automatic captions: their audio-only output and the recognizer would be work the baseline does not do.
  const sandbox = await startSandbox({ seed: false, automaticCaptions: false });
  try {
    const clip = join(work, 'clip.mp4');
    await generateClip(clip, 20, '1280x720');
    const pipelineMs: number[] = [];
    const ffmpegMs: number[] = [];
    const ffmpegAlone = async (settings: unknown) => {
      const dir = mkdtempSync(join(work, 'ffmpeg-'));
      const plan = planEncode(settings, clip, dir);
      const started = performance.now();
      await run('ffmpeg', plan.args);
      ffmpegMs.push(performance.now() - started);
      rmSync(dir, { recursive: true, force: true });
    };
    // The first upload gives the job settings; then five rounds, alternating which of the two runs first.
    pipelineMs.push((await uploadAndWait(sandbox, clip, 'bench 0')).readyMs);
    const settings = sandbox.mediaconvert.jobs[sandbox.mediaconvert.jobs.length - 1].request.settings;
    for (let round = 1; round < 5; round++) {
      if (round % 2 === 1) {
        await ffmpegAlone(settings);
        pipelineMs.push((await uploadAndWait(sandbox, clip, `bench ${round}`)).readyMs);
      } else {
        pipelineMs.push((await uploadAndWait(sandbox, clip, `bench ${round}`)).readyMs);
        await ffmpegAlone(settings);
      }
    }
    await ffmpegAlone(settings);
    const subject = median(pipelineMs);
    const baseline = median(ffmpegMs);
    return {
      name: 'sandbox: upload stored → READY vs the same ffmpeg encode alone (20 s 720p clip)',
      subject: `${(subject / 1000).toFixed(2)} s`,
      baseline: `${(baseline / 1000).toFixed(2)} s`,
      ratio: subject / baseline,
      target: 1.05,
    };
  } finally {
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  }
}
