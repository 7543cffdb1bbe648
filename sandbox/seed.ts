import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './mediaconvert/mediaconvert';
import type { Sandbox } from './platform';

/**
 * Videos in the sandbox the way a creator makes them: through the API, the
 * issued upload form and the pipeline, never written into its stores.
 */

/**
 * Makes a short test-pattern clip with sound: a 440 Hz tone, or `speech`
 * spoken by eSpeak NG (Debian's `espeak-ng`) and padded with silence: a
 * generated source for seeding and tests.
 */
export async function generateClip(path: string, seconds = 6, size = '640x360', speech?: string): Promise<void> {
  const voice = `${path}.speech.wav`;
  if (speech) {
    await run('espeak-ng', ['-v', 'en-us', '-s', '150', '-w', voice, speech]);
  }
  const audio = speech
    ? ['-i', voice, '-af', `apad=whole_dur=${seconds}`]
    : ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
  try {
    await run('ffmpeg', [
      '-y', '-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25:duration=${seconds}`, ...audio,
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ar', '48000', '-t', String(seconds), path,
    ]);
  } finally {
    rmSync(voice, { force: true });
  }
}

/**
 * Uploads a generated clip as the demo creator, through the API and the
 * issued form, waits until READY, gives it its price (a video for purchase
 * needs one), publishes.
 */
export async function seedVideo(sandbox: Sandbox, title: string, access: string, price?: { amount: number; currency: string }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'seed-'));
  try {
    const file = join(dir, 'clip.mp4');
    await generateClip(file);
    const { videoId } = await uploadAndWait(sandbox, file, title, access);
    if (price) {
      await creatorApi(sandbox)('PATCH', `/videos/${videoId}`, { price });
    }
    await creatorApi(sandbox)('POST', `/videos/${videoId}/publish`);
    return videoId;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function creatorApi(sandbox: Sandbox) {
  const token = sandbox.minter.token('creator', ['creators']);
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await response.json().catch(() => undefined) as any;
    if (!response.ok) {
      throw new Error(`${method} ${path} answered ${response.status} ${JSON.stringify(json)}`);
    }
    return json;
  };
}

/**
 * Uploads `file` as the demo creator through the API and the issued form,
 * then waits until the video is READY. Answers the video id and the
 * milliseconds from the stored upload to READY.
 */
export async function uploadAndWait(sandbox: Sandbox, file: string, title: string, access = 'public'): Promise<{ videoId: string; readyMs: number }> {
  const api = creatorApi(sandbox);
  const video = await api('POST', '/videos', { title, description: 'A generated test pattern with a 440 Hz tone', access });
  const bytes = readFileSync(file);
  const upload = await api('POST', `/videos/${video.id}/upload`, { size: bytes.length, contentType: 'video/mp4' });
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields as Record<string, string>)) {
    form.append(name, value);
  }
  form.append('file', new Blob([new Uint8Array(bytes)], { type: 'video/mp4' }), 'clip.mp4');
  const stored = await fetch(upload.url, { method: 'POST', body: form });
  if (stored.status !== 204) {
    throw new Error(`the upload answered ${stored.status} ${await stored.text()}`);
  }
  const uploaded = performance.now();
  // A tenth of a second between looks: finer than that, the polling itself competes with the encode for the CPU.
  for (let i = 0; i < 3_000; i++) {
    const state = (await api('GET', `/videos/${video.id}`)).state;
    if (state === 'READY') {
      return { videoId: video.id, readyMs: performance.now() - uploaded };
    }
    if (state === 'FAILED') {
      throw new Error(`the transcode of ${title} failed`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${title} did not become READY`);
}
