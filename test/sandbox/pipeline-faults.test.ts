import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaConvertEvent } from '../../sandbox/mediaconvert/mediaconvert';
import { generateClip, Sandbox, startSandbox, uploadAndWait } from '../../sandbox/platform';

/**
 * The sandbox's pipeline when MediaConvert's job events are lost or repeated,
 * as at-least-once delivery allows: the real handlers, the real scheduled
 * check, the ffmpeg stand-in.
 */

let work: string;
let clip: string;
let sandbox: Sandbox;
let delivery: (event: MediaConvertEvent) => 'deliver' | 'lose' | 'duplicate' = () => 'deliver';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'faults-'));
  clip = join(work, 'clip.mp4');
  await generateClip(clip, 3, '320x180');
  sandbox = await startSandbox({
    seed: false, reconcile: { everySeconds: 1, stuckAfterSeconds: 1 }, mediaconvertDelivery: (event) => delivery(event),
  });
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  rmSync(work, { recursive: true, force: true });
});

const asCreator = () => ({ headers: { authorization: `Bearer ${sandbox.minter.token('creator', ['creators'])}` } });

test('a job whose every event is lost still becomes READY: the scheduled check reads it with GetJob', async () => {
  const lost: string[] = [];
  delivery = (event) => {
    lost.push(String(event.detail.status));
    return 'lose';
  };
  const { videoId } = await uploadAndWait(sandbox, clip, 'Events lost', 'public');
  expect(lost).toEqual(expect.arrayContaining(['SUBMITTED', 'COMPLETE']));
  const video = await (await fetch(`${sandbox.url}/api/videos/${videoId}`, asCreator())).json() as { posterUrl?: string; renditions?: unknown[] };
  expect(video.renditions).toHaveLength(1);
  expect(video.posterUrl).toMatch(new RegExp(`/posters/${videoId}/poster\\.0000000\\.jpg$`));
  expect((await fetch(video.posterUrl!.replace(/^https?:\/\/[^/]+/, sandbox.url))).status).toBe(200);
});

test('every event delivered twice changes the video once and makes one job', async () => {
  delivery = () => 'duplicate';
  const before = sandbox.mediaconvert.jobs.length;
  const { videoId } = await uploadAndWait(sandbox, clip, 'Events twice', 'public');
  await sandbox.settle();
  expect(sandbox.mediaconvert.jobs.length - before).toBe(1);
  expect(await (await fetch(`${sandbox.url}/api/videos/${videoId}`, asCreator())).json()).toMatchObject({ state: 'READY' });
});

test('deleting a video removes its renditions and posters from the media bucket; the catalog forgets it', async () => {
  delivery = () => 'deliver';
  const { videoId } = await uploadAndWait(sandbox, clip, 'To delete', 'public');
  const video = await (await fetch(`${sandbox.url}/api/videos/${videoId}`, asCreator())).json() as { posterUrl: string };
  const poster = video.posterUrl.replace(/^https?:\/\/[^/]+/, sandbox.url);
  expect((await fetch(poster)).status).toBe(200);
  const deleted = await fetch(`${sandbox.url}/api/videos/${videoId}`, { method: 'DELETE', ...asCreator() });
  expect(deleted.status).toBe(204);
  // The pipeline removes the files asynchronously, as Lambda runs an Event invocation.
  let status = 200;
  for (let i = 0; i < 50 && status === 200; i++) {
    await new Promise((done) => setTimeout(done, 100));
    status = (await fetch(poster)).status;
  }
  expect(status).toBe(404);
  expect((await fetch(`${sandbox.url}/api/videos/${videoId}`, asCreator())).status).toBe(404);
});
