import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Browser, chromium } from 'playwright-core';
import { median } from './measure';
import { contentType } from '../sandbox/mediaconvert/mediaconvert';
import { seedVideo, startSandbox } from '../sandbox/platform';
import { OUTPUT_LAYOUT } from '../src/contracts/transcode-status';

const HLS_JS = join(__dirname, '..', 'node_modules', 'hls.js', 'dist', 'hls.min.js');

/**
 * Time to first frame: from pressing play to the first frame the video
 * element presents, in headless Chromium with hls.js. The subject is the
 * platform's path as a signed-in viewer takes it (the playback session
 * request, its cookies, the playlists and segments through the CloudFront
 * stand-in, which checks the cookies on every request); the baseline is the
 * same HLS files from a plain static server with no authentication. Each run
 * is a fresh browser context (no cache, no cookies); runs alternate.
 */
export async function firstFrameBenchmark(runs = 12) {
  // Without automatic captions: their audio-only output and the recognizer would be work the baseline does not do.
  const sandbox = await startSandbox({ seed: false, automaticCaptions: false });
  const work = mkdtempSync(join(tmpdir(), 'first-frame-'));
  let browser: Browser | undefined;
  let staticServer: http.Server | undefined;
  try {
    const videoId = await seedVideo(sandbox, 'First frame', 'public');
    // The same files, copied out of the output bucket.
    const s3 = new S3Client({});
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'outputs', Prefix: `videos/${videoId}/` }));
    for (const object of listed.Contents ?? []) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: 'outputs', Key: object.Key! }))).Body!.transformToByteArray();
      mkdirSync(dirname(join(work, object.Key!)), { recursive: true });
      writeFileSync(join(work, object.Key!), body);
    }
    s3.destroy();
    // Segments are encrypted (the sandbox's default): the baseline answers the same key itself, from its own origin.
    const keyUrl = `${sandbox.url}/api/videos/${videoId}/key`;
    const key = await fetch(keyUrl);
    if (key.status !== 200 && key.status !== 404) {
      throw new Error(`the first-frame benchmark could not read the video's key: ${key.status}`);
    }
    if (key.status === 200) {
      writeFileSync(join(work, 'key.bin'), Buffer.from(await key.arrayBuffer()));
      for (const object of listed.Contents ?? []) {
        if (object.Key!.endsWith('.m3u8')) {
          const file = join(work, object.Key!);
          writeFileSync(file, readFileSync(file, 'utf8').split(keyUrl).join('/key.bin'));
        }
      }
    }
    staticServer = http.createServer((req, res) => {
      const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>static</title>');
        return;
      }
      let body: Buffer;
      try {
        body = readFileSync(join(work, path));
      } catch {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': contentType(path) }).end(body);
    });
    await new Promise<void>((done) => staticServer!.listen(0, '127.0.0.1', done));
    const staticUrl = `http://127.0.0.1:${(staticServer.address() as AddressInfo).port}`;

    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
    });
    const token = sandbox.minter.token('viewer');
    const measure = async (origin: string, session: boolean): Promise<number> => {
      const context = await browser!.newContext();
      try {
        const page = await context.newPage();
        await page.goto(session ? `${sandbox.url}/config.json` : `${origin}/`);
        await page.addScriptTag({ path: HLS_JS });
        page.on('console', (m) => process.env.BENCH_DEBUG && console.log('page:', m.text()));
        return await page.evaluate(async (args) => {
          // In the page: the browser's globals.
          const { document, location, Hls } = globalThis as any;
          const start = performance.now();
          let url = `${args.origin}/${args.playlist}`;
          let sessionId: string | undefined;
          if (args.session) {
            const answer = await fetch(`/api/videos/${args.videoId}/playback`, {
              method: 'POST', headers: { authorization: `Bearer ${args.token}` }, credentials: 'same-origin',
            });
            const granted = await answer.json() as { playlistUrl: string; sessionId?: string };
            url = `${location.origin}${new URL(granted.playlistUrl).pathname}`;
            sessionId = granted.sessionId;
          }
          const video = document.createElement('video');
          video.muted = true;
          document.body.append(video);
          const hls = new Hls();
          hls.loadSource(url);
          hls.attachMedia(video);
          const frame = new Promise<void>((done, fail) => {
            (video as any).requestVideoFrameCallback(() => done());
            hls.on('hlsError', (_event: unknown, data: any) => data.fatal && fail(new Error(`hls.js: ${data.details} ${data.response?.code ?? ''}`)));
          });
          await video.play();
          await frame;
          const elapsed = performance.now() - start;
          hls.destroy();
          // As the app does when the viewer leaves: the session's slot is free for the next run (the sandbox limits streams).
          if (sessionId) {
            await fetch(`/api/me/sessions/${sessionId}`, { method: 'DELETE', headers: { authorization: `Bearer ${args.token}` }, credentials: 'same-origin' });
          }
          if ((args as any).debug) {
            console.log(performance.getEntriesByType('resource').map((e: any) => `${e.name.split('/').pop()} ${(e.startTime - start).toFixed(0)}+${e.duration.toFixed(0)}`).join(' | ') + ` => ${elapsed.toFixed(0)}`);
          }
          return elapsed;
        }, { origin, videoId, token, session, playlist: OUTPUT_LAYOUT.masterPlaylist(videoId), debug: Boolean(process.env.BENCH_DEBUG) });
      } finally {
        await context.close();
      }
    };
    // Warm both paths once (the browser, the handlers' caches), then alternate.
    await measure(sandbox.url, true);
    await measure(staticUrl, false);
    const platform: number[] = [];
    const plain: number[] = [];
    for (let run = 0; run < runs; run++) {
      if (run % 2 === 0) {
        platform.push(await measure(sandbox.url, true));
        plain.push(await measure(staticUrl, false));
      } else {
        plain.push(await measure(staticUrl, false));
        platform.push(await measure(sandbox.url, true));
      }
    }
    const subjectMs = median(platform);
    const baselineMs = median(plain);
    return {
      name: 'time to first frame',
      subject: `${subjectMs.toFixed(0)} ms signed in, through the edge (median of ${runs})`,
      baseline: `${baselineMs.toFixed(0)} ms from a static server`,
      ratio: subjectMs / baselineMs,
      target: 1.15,
    };
  } finally {
    await browser?.close();
    await new Promise<void>((done) => (staticServer ? staticServer.close(() => done()) : done()));
    await sandbox.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  firstFrameBenchmark().then((figure) => console.log(figure), (error) => {
    console.error(error);
    process.exit(1);
  });
}
