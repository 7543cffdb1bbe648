import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { generateClip, Sandbox, startSandbox } from '../../sandbox/platform';
import { MediaSigner } from '../../src/delivery/media-signer';

/**
 * The sandbox in headless Chromium: a creator uploads through the page, the
 * video becomes READY through the real handlers and the ffmpeg stand-in, is
 * published, and a viewer plays it past a few seconds with hls.js; media
 * answers 403 without cookies, with another video's, or with expired ones;
 * the premium video plays only after an admin grants premium.
 */

let sandbox: Sandbox;
let browser: Browser;
let work: string;
/** Screenshots the tests take, to look at. */
const screenshots = join(__dirname, '..', '..', 'test-reports', 'screenshots');

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'e2e-'));
  mkdirSync(screenshots, { recursive: true });
  sandbox = await startSandbox({ seed: true, sessionSeconds: 60 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  rmSync(work, { recursive: true, force: true });
});

async function signIn(page: Page, user: string): Promise<void> {
  await page.click(`header button[data-user="${user}"]`);
  await page.waitForFunction((who) => (globalThis as any).document.getElementById('who')?.textContent === `signed in as ${who}`, user);
}

async function playUntil(page: Page, title: string, seconds: number): Promise<void> {
  await page.locator('#catalog li', { hasText: title }).getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction((s) => (globalThis as any).document.getElementById('player').currentTime > s, seconds, { timeout: 30_000 });
}

test('a broken upload shows FAILED with its reason within seconds, and the creator can delete it', async () => {
  const broken = join(work, 'broken.mp4');
  writeFileSync(broken, randomBytes(64 * 1024));
  const page = await browser.newPage();
  try {
    await page.goto(sandbox.url);
    await signIn(page, 'creator');
    await page.fill('#title', 'Broken upload');
    await page.setInputFiles('#file', broken);
    await page.click('#upload');
    const mine = page.locator('#mine li', { hasText: 'Broken upload' });
    await mine.locator('.state', { hasText: 'FAILED' }).waitFor({ timeout: 15_000 });
    await expect(mine.locator('.failure').textContent()).resolves.toMatch(/could not read the uploaded file as a video.*upload a video file/);
    await page.screenshot({ path: join(screenshots, 'failed-upload.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(screenshots, 'failed-upload-phone.png'), fullPage: true });
    await mine.getByRole('button', { name: 'Delete' }).click();
    await mine.waitFor({ state: 'detached', timeout: 10_000 });
  } finally {
    await page.close();
  }
});

test('a creator uploads, the video becomes READY and is published, and a viewer plays it', async () => {
  const clip = join(work, 'my-clip.mp4');
  await generateClip(clip, 5, '480x270');
  const page = await browser.newPage();
  try {
    await page.goto(sandbox.url);
    await signIn(page, 'creator');
    await page.fill('#title', 'Browser upload');
    await page.setInputFiles('#file', clip);
    await page.click('#upload');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('upload-progress').value === 100);
    const mine = page.locator('#mine li', { hasText: 'Browser upload' });
    await mine.getByRole('button', { name: 'Publish' }).waitFor({ timeout: 60_000 });
    await mine.getByRole('button', { name: 'Publish' }).click();

    await signIn(page, 'viewer');
    await page.locator('#catalog li', { hasText: 'Browser upload' }).waitFor();
    await playUntil(page, 'Browser upload', 2);
    expect(await page.textContent('#player-message')).toBe('');
  } finally {
    await page.close();
  }
}, 120_000);

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

test('the premium video plays only after an admin grants the viewer premium', async () => {
  const page = await browser.newPage();
  try {
    await page.goto(sandbox.url);
    await signIn(page, 'viewer');
    await page.locator('#catalog li', { hasText: 'Premium test pattern' }).getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => ((globalThis as any).document.getElementById('player-message')?.textContent ?? '').includes('premium'));

    await signIn(page, 'admin');
    await page.click('#grant');
    await page.waitForFunction(() => ((globalThis as any).document.getElementById('admin-status')?.textContent ?? '').startsWith('viewer has premium'));

    await signIn(page, 'viewer');
    await playUntil(page, 'Premium test pattern', 1);
  } finally {
    await page.close();
  }
}, 120_000);
