import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, Page, Request } from 'playwright-core';
import { inspect, launchChromium, person, signIn } from './browser';
import { run } from '../../sandbox/mediaconvert/mediaconvert';
import { DEMO_USERS, generateClip, Sandbox, startSandbox, uploadAndWait } from '../../sandbox/platform';
import { MediaSigner } from '../../src/delivery/media-signer';
import { parseCaptions } from '../../src/entitlement/captions.lambda-shared';
import { firstSegmentEncryption } from '../../src/entitlement/subtitles-hls.lambda-shared';

/**
 * The platform's web app on the sandbox, in headless Chromium, through the
 * real flows: sign-in with the authorization code flow and PKCE on the
 * sandbox's OpenID provider, a multipart upload interrupted by a reload and
 * resumed, READY, publishing and playback past a few seconds; a purchase
 * through the Stripe Checkout stand-in; premium granted by an admin; sign-out.
 * Every page is checked with axe-core and photographed at desktop and phone
 * widths; media answers 403 without the right cookies.
 */

let sandbox: Sandbox;
let browser: Browser;
let work: string;
const MiB = 1024 ** 2;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'e2e-'));
  // Multipart from 5 MiB (S3's smallest part), so a browser upload of a few MiB has parts to resume.
  sandbox = await startSandbox({ seed: true, sessionSeconds: 60, multipart: { thresholdBytes: 5 * MiB, partSizeBytes: 5 * MiB } });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  rmSync(work, { recursive: true, force: true });
});


/** Presses play on the player, as a viewer does, and waits until it has played `seconds`. */
async function playsPast(page: Page, seconds: number): Promise<void> {
  await page.getByTestId('play-state').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
  await page.getByTestId('video').click();
  await page.waitForFunction((s) => {
    const video = (globalThis as any).document.querySelector('[data-testid="video"]');
    return video !== null && video.currentTime > s;
  }, seconds, { timeout: 30_000 });
}

const partNumber = (request: Request) => Number(new URL(request.url()).searchParams.get('partNumber') ?? 0);

test('the first screen is the app: the catalog with sign-in, accessible, on a desktop and a phone', async () => {
  const { context, page } = await person(browser);
  try {
    await page.goto(sandbox.url);
    await page.getByTestId('catalog').locator('li').first().waitFor();
    await expect(page.getByTestId('sign-in').isVisible()).resolves.toBe(true);
    await inspect(page, 'catalog');
    await page.getByTestId('sign-in').click();
    await page.waitForURL(/\/auth\/oauth2\/authorize\?.*code_challenge_method=S256/);
    await inspect(page, 'sign-in');
  } finally {
    await context.close();
  }
});

test('a creator signs in, uploads in parts, reloads mid-upload and resumes without sending a stored part again, then publishes; a viewer plays it', async () => {
  const clip = join(work, 'large.mp4');
  // A few seconds of lossless noise: about 11 MB, three parts of 5 MiB.
  await run('ffmpeg', ['-y', '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=25:duration=3,noise=alls=12:allf=t',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=3', '-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip]);
  expect(statSync(clip).size).toBeGreaterThan(10 * MiB);

  const { context, page } = await person(browser);
  try {
    await signIn(page, sandbox.url, 'creator');
    await page.getByTestId('nav-studio').click();
    await inspect(page, 'studio');
    const form = page.getByTestId('new-video-form');
    await form.getByLabel('Title').fill('Resumed upload');
    await form.getByRole('button', { name: 'Create video' }).click();
    await page.waitForURL(/#\/studio\/[0-9a-f-]+$/);
    const videoId = page.url().split('/').pop()!;

    // Part 1 reaches S3; parts 2 and 3 fail (a lost connection) until the reload.
    const stored: number[] = [];
    page.on('response', (response) => response.request().method() === 'PUT' && response.ok() && partNumber(response.request()) > 0
      && stored.push(partNumber(response.request())));
    await page.route((url) => url.searchParams.has('partNumber') && url.searchParams.get('partNumber') !== '1', (route) => route.abort());
    const firstPart = page.waitForResponse((response) => response.request().method() === 'PUT' && partNumber(response.request()) === 1);
    await page.getByTestId('upload-file').setInputFiles(clip);
    expect((await firstPart).status()).toBe(200);
    await page.reload();
    await page.unrouteAll();
    expect(stored).toEqual([1]);

    await page.getByTestId('upload-interrupted').waitFor();
    await inspect(page, 'upload-interrupted');
    const resumed: number[] = [];
    page.on('request', (request) => request.method() === 'PUT' && partNumber(request) > 0 && resumed.push(partNumber(request)));
    await page.getByTestId('upload-file').setInputFiles(clip);
    await page.getByTestId('state-badge').and(page.locator('[data-state="READY"]')).waitFor({ timeout: 90_000 });
    expect(resumed.sort()).toEqual([2, 3]);
    await inspect(page, 'studio-ready');
    await page.getByTestId('publish').click();
    await page.getByTestId('state-badge').and(page.locator('[data-state="PUBLISHED"]')).waitFor();

    const viewer = await person(browser);
    try {
      await signIn(viewer.page, sandbox.url, 'viewer');
      await viewer.page.getByTestId('catalog').locator(`li[data-video-id="${videoId}"]`).getByRole('link').first().click();
      await playsPast(viewer.page, 1);
      // Hovering the scrub strip shows the tile of the thumbnails track for that time.
      const scrub = viewer.page.getByTestId('scrub');
      await scrub.waitFor();
      await scrub.hover({ position: { x: 5, y: 5 } });
      const preview = viewer.page.getByTestId('scrub-preview');
      await preview.waitFor();
      expect(await preview.evaluate((el) => (el as any).style.backgroundImage)).toMatch(/\.jpg"\)$/);
      await inspect(viewer.page, 'watch');
    } finally {
      await viewer.context.close();
    }
  } finally {
    await context.close();
  }
}, 180_000);

test('a broken upload shows FAILED with its reason within seconds, and the creator can delete it', async () => {
  const broken = join(work, 'broken.mp4');
  writeFileSync(broken, randomBytes(64 * 1024));
  const { context, page } = await person(browser);
  try {
    await signIn(page, sandbox.url, 'creator');
    await page.getByTestId('nav-studio').click();
    const form = page.getByTestId('new-video-form');
    await form.getByLabel('Title').fill('Broken upload');
    await form.getByRole('button', { name: 'Create video' }).click();
    await page.waitForURL(/#\/studio\/[0-9a-f-]+$/);
    await page.getByTestId('upload-file').setInputFiles(broken);
    await page.getByTestId('failure').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('failure').textContent()).resolves.toMatch(/could not read the uploaded file as a video/);
    await inspect(page, 'failed-upload');
    await page.getByTestId('delete').click();
    await page.getByTestId('delete-confirm').click();
    await page.waitForURL(/#\/studio$/);
    await expect(page.getByTestId('studio-videos').textContent()).resolves.not.toContain('Broken upload');
  } finally {
    await context.close();
  }
}, 60_000);

test('a viewer buys a video through Stripe Checkout: the webhook grants it and it plays', async () => {
  const videoId = sandbox.seeded.purchaseVideoId!;
  const { context, page } = await person(browser);
  try {
    await signIn(page, sandbox.url, 'viewer');
    await page.goto(`${sandbox.url}/#/watch/${videoId}`);
    const buy = page.getByTestId('buy-video');
    await expect(buy.textContent()).resolves.toContain('$1.99');
    await inspect(page, 'watch-locked');
    await buy.click();
    await page.waitForURL(/\/sandbox\/stripe\/checkout\//);
    await inspect(page, 'checkout');
    await page.getByRole('button', { name: /pay/i }).click();
    await page.waitForURL(/checkout=success/);
    await playsPast(page, 1);
    const sessions = [...sandbox.stripe.sessions.values()].filter((made) => made.session.metadata?.videoId === videoId);
    expect(sessions.map((made) => [made.session.mode, made.session.payment_status, made.lineItems[0]?.unitAmount]))
      .toEqual([['payment', 'paid', 199]]);
    expect(sandbox.stripe.events.map((event) => event.type)).toContain('checkout.session.completed');
  } finally {
    await context.close();
  }
}, 90_000);

test('an admin grants the viewer premium, the premium video plays, and signing out ends the session at the provider too', async () => {
  const videoId = sandbox.seeded.premiumVideoId!;
  const viewer = await person(browser);
  const admin = await person(browser);
  try {
    await signIn(viewer.page, sandbox.url, 'viewer');
    await viewer.page.goto(`${sandbox.url}/#/watch/${videoId}`);
    await viewer.page.getByTestId('go-premium').waitFor();

    await signIn(admin.page, sandbox.url, 'admin');
    await admin.page.getByTestId('nav-admin').click();
    await admin.page.getByTestId('admin-user-id').fill('viewer');
    await admin.page.getByRole('button', { name: 'Look up' }).click();
    await admin.page.getByTestId('admin-user').waitFor();
    const grant = admin.page.getByTestId('grant-form');
    await grant.getByLabel('Premium until a date').check();
    const nextYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    await grant.getByTestId('grant-until').fill(nextYear);
    await grant.getByRole('button', { name: 'Grant' }).click();
    await admin.page.getByRole('button', { name: 'Revoke Premium' }).waitFor();
    await inspect(admin.page, 'admin');

    // The sandbox encrypts segments: the player fetches the video's key with its session's cookie, and decrypts.
    const keyAnswers: number[] = [];
    viewer.page.on('response', (response) => new URL(response.url()).pathname === `/api/videos/${videoId}/key` && keyAnswers.push(response.status()));
    await viewer.page.reload();
    // Past the first 2-second segment: each segment has its own IV.
    await playsPast(viewer.page, 3);
    expect(keyAnswers.length).toBeGreaterThan(0);
    expect(keyAnswers.every((status) => status === 200)).toBe(true);

    await viewer.page.getByTestId('sign-out').click();
    await viewer.page.getByTestId('sign-in').waitFor();
    // The provider's session went too: signing in again asks for the password.
    await viewer.page.getByTestId('sign-in').click();
    await viewer.page.getByLabel('Password').waitFor();
  } finally {
    await viewer.context.close();
    await admin.context.close();
  }
}, 90_000);

test('media answers 403 without cookies, with another video\'s, with expired or tampered ones', async () => {
  const publicId = sandbox.seeded.publicVideoId!;
  const premiumId = sandbox.seeded.premiumVideoId!;
  const playlist = (videoId: string) => `${sandbox.url}/videos/${videoId}/master.m3u8`;
  const fetchWith = (url: string, cookies?: string) => fetch(url, { headers: cookies ? { cookie: cookies } : {} });

  const session = await fetch(`${sandbox.url}/api/videos/${publicId}/playback`, { method: 'POST' });
  const cookies = session.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  expect((await fetchWith(playlist(publicId), cookies)).status).toBe(200);
  expect((await fetchWith(playlist(publicId))).status).toBe(403);
  expect((await fetchWith(playlist(premiumId), cookies)).status).toBe(403);

  // The scrub thumbnails: the track written when the video became READY, its tile images beside it, under the same cookies.
  const track = await fetchWith(`${sandbox.url}/videos/${publicId}/thumbnails.vtt`, cookies);
  expect(track.status).toBe(200);
  const vtt = await track.text();
  expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.000 --> /);
  const tile = /\n([^\n#]+\.jpg)#xywh=0,0,\d+,\d+\n/.exec(vtt)![1];
  const image = await fetchWith(`${sandbox.url}/videos/${publicId}/${tile}`, cookies);
  expect(image.status).toBe(200);
  expect(image.headers.get('content-type')).toBe('image/jpeg');
  expect(await (await fetchWith(playlist(publicId), cookies)).text()).toContain('#EXT-X-IMAGE-STREAM-INF:');
  expect((await fetchWith(`${sandbox.url}/videos/${publicId}/thumbnails.vtt`)).status).toBe(403);

  const tampered = cookies.replace(/CloudFront-Policy=([^;]+)/, (_m, value: string) => `CloudFront-Policy=${value.slice(0, -4)}AAAA`);
  const refused = await fetchWith(playlist(publicId), tampered);
  expect(refused.status).toBe(403);

  const signer = new MediaSigner(sandbox.signing.privateKeyPem, sandbox.signing.keyPairId);
  const host = new URL(sandbox.url).host;
  const shortLived = signer.signedCookies({ host, videoId: publicId, expiresAt: new Date(Date.now() + 1000) })
    .setCookies.map((c) => c.split(';')[0]).join('; ');
  expect((await fetchWith(playlist(publicId), shortLived)).status).toBe(200);
  await new Promise((done) => setTimeout(done, 1500));
  const expired = await fetchWith(playlist(publicId), shortLived);
  expect(expired.status).toBe(403);
  expect(expired.headers.get('x-sandbox-reason')).toBe('the policy has expired');
});

test('encrypted segments: ciphertext at rest and at the edge; the key, for a live session only, decrypts them; a revoked session gets no key', async () => {
  const videoId = sandbox.seeded.premiumVideoId!;
  const admin = sandbox.minter.token('admin', ['admins']);
  const played = await fetch(`${sandbox.url}/api/videos/${videoId}/playback`, {
    method: 'POST', headers: { 'authorization': `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ device: 'e2e' }),
  });
  expect(played.status).toBe(200);
  const { sessionId } = await played.json() as { sessionId: string };
  const setCookies = played.headers.getSetCookie();
  const mediaCookies = setCookies.filter((c) => c.startsWith('CloudFront-')).map((c) => c.split(';')[0]).join('; ');
  const sessionCookie = setCookies.find((c) => c.startsWith('vod-playback-session='))!.split(';')[0];
  const media = (path: string) => fetch(`${sandbox.url}/videos/${videoId}/${path}`, { headers: { cookie: mediaCookies } });

  // The media playlist names the key on the platform's origin; its first segment is not a transport stream as stored.
  const variant = /\n([^#\n]+\.m3u8)\n/.exec(await (await media('master.m3u8')).text())![1];
  const playlist = await (await media(variant)).text();
  const keyUrl = `${sandbox.url}/api/videos/${videoId}/key`;
  expect(playlist).toContain(`#EXT-X-KEY:METHOD=AES-128,URI="${keyUrl}"`);
  const segmentName = /#EXTINF:[^\n]*\n([^\n]+\.ts)/.exec(playlist)![1];
  const segment = Buffer.from(await (await media(segmentName)).arrayBuffer());
  const syncBytes = (bytes: Buffer) => Array.from({ length: 20 }, (_, i) => bytes[i * 188]).filter((b) => b === 0x47).length;
  expect(syncBytes(segment)).toBeLessThan(5);
  const cipherFile = join(work, 'encrypted.ts');
  writeFileSync(cipherFile, segment);
  const streams = async (file: string) => run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]).catch(() => '');
  expect(await streams(cipherFile)).not.toContain('h264');

  // The key: refused without the session's cookie, answered with it, never to be stored.
  expect((await fetch(keyUrl)).status).toBe(403);
  const answered = await fetch(keyUrl, { headers: { cookie: sessionCookie } });
  expect(answered.status).toBe(200);
  expect(answered.headers.get('cache-control')).toBe('no-store');
  const key = Buffer.from(await answered.arrayBuffer());
  expect(key).toHaveLength(16);
  // The IV as the playlist gives it (MediaConvert's InitializationVectorInManifest INCLUDE).
  expect(playlist).toMatch(/#EXT-X-KEY:METHOD=AES-128,URI="[^"]+",IV=0x[0-9A-F]{32}\n#EXTINF/);
  const decipher = createDecipheriv('aes-128-cbc', key, firstSegmentEncryption(playlist).iv);
  const plain = Buffer.concat([decipher.update(segment), decipher.final()]);
  expect(syncBytes(plain)).toBe(20);
  const plainFile = join(work, 'decrypted.ts');
  writeFileSync(plainFile, plain);
  expect(await streams(plainFile)).toContain('h264');

  // Ended by an administrator: no more keys for that session.
  const ended = await fetch(`${sandbox.url}/api/admin/users/admin/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
  expect(ended.status).toBe(200);
  expect((await fetch(keyUrl, { headers: { cookie: sessionCookie } })).status).toBe(403);
  expect(sessionId).toBeDefined();
});

/** A GET from a given local address (Linux routes all of 127.0.0.0/8 to the loopback): another viewer's network, as the edge sees it. */
function getFrom(localAddress: string, url: string, headers: Record<string, string> = {}): Promise<{ status: number; reason?: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { localAddress, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, reason: response.headers['x-sandbox-reason'] as string | undefined }));
    });
    request.on('error', reject);
  });
}

test('playback bound to the viewer\'s address: cookies and the key work from it and from no other; a header naming another address changes nothing', async () => {
  const videoId = sandbox.seeded.premiumVideoId!;
  const admin = sandbox.minter.token('admin', ['admins']);
  // The viewer names another address in the header the distribution's function sets: the function writes the one it saw.
  const played = await fetch(`${sandbox.url}/api/videos/${videoId}/playback`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${admin}`, 'content-type': 'application/json', 'x-vod-viewer-address': '127.0.0.2' },
    body: JSON.stringify({ device: 'e2e bound' }),
  });
  expect(played.status).toBe(200);
  const setCookies = played.headers.getSetCookie();
  const mediaCookies = setCookies.filter((c) => c.startsWith('CloudFront-')).map((c) => c.split(';')[0]).join('; ');
  const sessionCookie = setCookies.find((c) => c.startsWith('vod-playback-session='))!.split(';')[0];
  const master = `${sandbox.url}/videos/${videoId}/master.m3u8`;
  const keyUrl = `${sandbox.url}/api/videos/${videoId}/key`;

  try {
    expect((await getFrom('127.0.0.1', master, { cookie: mediaCookies })).status).toBe(200);
    expect((await getFrom('127.0.0.1', keyUrl, { cookie: sessionCookie })).status).toBe(200);
    const elsewhere = await getFrom('127.0.0.2', master, { cookie: mediaCookies });
    expect(elsewhere).toEqual({ status: 403, reason: 'the viewer\'s address is not in 127.0.0.1/32' });
    expect((await getFrom('127.0.0.2', keyUrl, { cookie: sessionCookie })).status).toBe(403);
  } finally {
    // The admin's slots are free for the tests after this one, whatever happened.
    await fetch(`${sandbox.url}/api/admin/users/admin/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
  }
});

test('a short clip uploads in one POST from the browser and reaches READY', async () => {
  const clip = join(work, 'small.mp4');
  await generateClip(clip, 3, '320x180');
  const { context, page } = await person(browser);
  try {
    await signIn(page, sandbox.url, 'creator');
    await page.getByTestId('nav-studio').click();
    await page.getByTestId('new-video-form').getByLabel('Title').fill('Small upload');
    await page.getByTestId('new-video-form').getByRole('button', { name: 'Create video' }).click();
    await page.waitForURL(/#\/studio\/[0-9a-f-]+$/);
    const posted = page.waitForRequest((request) => request.method() === 'POST' && request.url().includes('/sources'));
    await page.getByTestId('upload-file').setInputFiles(clip);
    await posted;
    await page.getByTestId('state-badge').and(page.locator('[data-state="READY"]')).waitFor({ timeout: 60_000 });
  } finally {
    await context.close();
  }
}, 90_000);

test('a sign-in begun outside the app (its code has no verifier here) is restarted once, and completes through the provider\'s session', async () => {
  const { context, page } = await person(browser);
  try {
    await signIn(page, sandbox.url, 'viewer');
    // A new tab: no tokens of its own, only the provider's sign-in session.
    const tab = await context.newPage();
    await tab.goto(`${sandbox.url}/?code=begun-elsewhere#/`);
    await tab.getByTestId('user-email').filter({ hasText: DEMO_USERS.viewer.email }).waitFor();
    expect(new URL(tab.url()).searchParams.has('code')).toBe(false);
  } finally {
    await context.close();
  }
});

test('automatic captions: a clip with speech gets a track from the offline recognizer; the seeded tone has nothing to say', async () => {
  expect(sandbox.transcribe).toBeDefined();
  const clip = join(work, 'spoken.mp4');
  await generateClip(clip, 5, '320x180', 'Hello and welcome. This is a test of automatic captions.');
  const { videoId } = await uploadAndWait(sandbox, clip, 'A spoken clip');
  const token = sandbox.minter.token('creator', ['creators']);
  const owner = async (id: string) => (await fetch(`${sandbox.url}/api/videos/${id}`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<any>;
  let video: any;
  for (let i = 0; i < 300 && !['ADDED', 'SKIPPED', 'FAILED'].includes((video = await owner(videoId)).automaticCaptions?.state); i++) {
    await new Promise((done) => setTimeout(done, 100));
  }
  expect(video.automaticCaptions).toMatchObject({ state: 'ADDED', language: 'en-US' });
  expect(video.captions).toEqual([{ language: 'en-US', label: 'English (United States) (automatic)', automatic: true }]);
  // The track is served like a creator's: listed in the master, its cues what the recognizer heard, timed within the clip.
  const signer = new MediaSigner(sandbox.signing.privateKeyPem, sandbox.signing.keyPairId);
  const cookies = signer.signedCookies({ host: new URL(sandbox.url).host, videoId, expiresAt: new Date(Date.now() + 60_000) })
    .setCookies.map((c) => c.split(';')[0]).join('; ');
  const media = (path: string) => fetch(`${sandbox.url}/videos/${videoId}/${path}`, { headers: { cookie: cookies } }).then((response) => response.text());
  // The catalog records the track first (it is what decides between racing changes), then the files and the master are written.
  const listed = '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English (United States) (automatic)",LANGUAGE="en-US"';
  let master = '';
  for (let i = 0; i < 100 && !(master = await media('master.m3u8')).includes(listed); i++) {
    await new Promise((done) => setTimeout(done, 100));
  }
  expect(master).toContain(listed);
  const cues = parseCaptions((await media('captions/en-US.vtt')).replace(/^X-TIMESTAMP-MAP=.*\n/m, ''), 'vtt').cues;
  expect(cues.length).toBeGreaterThan(0);
  expect(cues.every((cue) => cue.endMs <= 5000 && /\w/.test(cue.text))).toBe(true);
  const seeded = await owner(sandbox.seeded.publicVideoId!);
  expect(seeded.automaticCaptions).toMatchObject({ state: 'SKIPPED', reason: expect.stringContaining('no cues') });
  expect(seeded.captions).toEqual([]);
}, 120_000);

test('stream limits: a fourth device is offered to stop watching elsewhere; a stopped or revoked tab stops and says so', async () => {
  const videoId = sandbox.seeded.publicVideoId!;
  const api = (token: string) => async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}/api${path}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, json: response.status === 204 ? undefined : await response.json() as any };
  };
  const admin = api(sandbox.minter.token('admin', ['admins']));
  const viewer = api(sandbox.minter.token('viewer'));
  // A clean slate for the viewer, then three devices watching (the sandbox's limit is 3).
  await admin('DELETE', '/admin/users/viewer/sessions');
  const devices = ['Chrome on a TV', 'Safari on a phone', 'Firefox on a laptop'];
  const held: string[] = [];
  for (const device of devices) {
    const started = await viewer('POST', `/videos/${videoId}/playback`, { device });
    expect(started.status).toBe(200);
    held.push(started.json.sessionId);
  }

  const { context, page } = await person(browser);
  try {
    // The page's clock is Playwright's, so the player's renewal can be brought forward below.
    await page.clock.install();
    await signIn(page, sandbox.url, 'viewer');
    await page.goto(`${sandbox.url}/#/watch/${videoId}`);
    const gate = page.getByTestId('stream-limit');
    await gate.waitFor();
    await expect(gate.textContent()).resolves.toContain('You are watching on 3 devices already');
    await expect(gate.getByTestId('stop-session').count()).resolves.toBe(3);
    await inspect(page, 'stream-limit');
    await gate.getByRole('button', { name: 'Stop watching there: Test pattern on Chrome on a TV' }).click();
    await page.getByTestId('play-state').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
    // The TV's next renewal is refused; this browser holds the slot it freed.
    expect((await viewer('POST', `/videos/${videoId}/playback`, { sessionId: held[0] })).status).toBe(409);
    const sessions = (await viewer('GET', '/me/sessions')).json.sessions as Array<{ device: string }>;
    expect(sessions.map((session) => session.device).sort()).toEqual(['Chrome on Linux', 'Firefox on a laptop', 'Safari on a phone']);

    // An admin ends all of the viewer's sessions: at its next renewal the tab stops and says why.
    expect((await admin('DELETE', '/admin/users/viewer/sessions')).json).toEqual({ ended: 3 });
    await page.clock.fastForward(50_000);
    await page.getByTestId('session-ended').waitFor({ timeout: 15_000 });
    await expect(page.getByTestId('session-ended').textContent()).resolves.toContain('Playback stopped on this device');
    await inspect(page, 'session-ended');
    // "Watch here" starts a new session.
    await page.getByTestId('watch-here').click();
    await page.getByTestId('play-state').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
    expect((await viewer('GET', '/me/sessions')).json.sessions).toHaveLength(1);
  } finally {
    await context.close();
    await admin('DELETE', '/admin/users/viewer/sessions');
  }
}, 120_000);
