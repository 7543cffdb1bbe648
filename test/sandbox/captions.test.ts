import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { inspect, launchChromium, person, signIn } from './browser';
import { Sandbox, startSandbox } from '../../sandbox/platform';

/**
 * Caption tracks through the web app on the sandbox, in headless Chromium: a
 * creator adds English captions with the studio's form and French ones through
 * the API; a viewer turns them on in the player, and the cues the browser holds
 * start where the files say (the WebVTT timestamp map lines them up with the
 * video's segments). Adding captions encodes nothing again.
 */

let sandbox: Sandbox;
let browser: Browser;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'captions-'));
  sandbox = await startSandbox({ seed: true, sessionSeconds: 60 });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});


/** The cues of the text track the page shows, once it has `count` of them; null while none is showing. */
async function showingCues(page: Page, count: number): Promise<Array<{ start: number; end: number; text: string }>> {
  const handle = await page.waitForFunction((wanted) => {
    const video = (globalThis as any).document.querySelector('[data-testid="video"]');
    const showing = [...video.textTracks].filter((track: any) => track.mode === 'showing');
    if (showing.length !== 1 || !showing[0].cues || showing[0].cues.length < wanted) return null;
    return [...showing[0].cues].map((cue: any) => ({ start: cue.startTime, end: cue.endTime, text: cue.text }));
  }, count, { timeout: 15_000 });
  return handle.jsonValue() as Promise<Array<{ start: number; end: number; text: string }>>;
}

const ENGLISH_VTT = 'WEBVTT\n\n00:00:00.500 --> 00:00:02.000\nHello\n\n00:00:02.500 --> 00:00:04.000\nWorld\n';
const FRENCH_SRT = '1\r\n00:00:00,500 --> 00:00:02,000\r\nBonjour\r\n\r\n2\r\n00:00:02,500 --> 00:00:04,000\r\nle monde\r\n';

test('a creator adds captions in the studio and through the API; a viewer turns them on, lined up with the video', async () => {
  const videoId = sandbox.seeded.publicVideoId!;
  const jobsBefore = sandbox.mediaconvert.jobs.length;
  const englishFile = join(work, 'english.vtt');
  writeFileSync(englishFile, ENGLISH_VTT);

  const creator = await person(browser);
  try {
    await signIn(creator.page, sandbox.url, 'creator');
    // Without captions the player offers none.
    await creator.page.goto(`${sandbox.url}/#/watch/${videoId}`);
    await creator.page.getByTestId('play-state').and(creator.page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
    await expect(creator.page.getByTestId('captions').isHidden()).resolves.toBe(true);

    await creator.page.goto(`${sandbox.url}/#/studio/${videoId}`);
    const panel = creator.page.getByTestId('captions-form');
    await panel.getByLabel('Language').fill('en');
    await panel.getByLabel('Label').fill('English');
    await panel.getByLabel('Caption file').setInputFiles(englishFile);
    await panel.getByRole('button', { name: 'Add', exact: true }).click();
    await panel.getByRole('button', { name: 'Remove captions English' }).waitFor();
    await expect(panel.textContent()).resolves.toContain('Added the captions English (2 cues).');

    // A file the API refuses: its message, announced.
    await panel.getByLabel('Language').fill('de');
    await panel.getByLabel('Label').fill('Deutsch');
    await panel.getByLabel('Caption file').setInputFiles({ name: 'broken.srt', mimeType: 'text/plain', buffer: Buffer.from('1\n0:01 -> 0:02\nHallo\n') });
    await panel.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(panel.getByRole('alert').textContent()).resolves.toMatch(/^Line 1: expected an SRT cue/);
    await inspect(creator.page, 'captions-studio');
  } catch (error) {
    await creator.context.close();
    throw error;
  }

  const token = sandbox.minter.token('creator', ['creators']);
  const french = await fetch(`${sandbox.url}/api/videos/${videoId}/captions/fr`, {
    method: 'PUT',
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'Français', format: 'srt', content: FRENCH_SRT }),
  });
  expect(french.status).toBe(200);
  expect(((await french.json()) as any).captions).toEqual([{ language: 'en', label: 'English' }, { language: 'fr', label: 'Français' }]);
  // Captions are written beside the renditions: nothing is encoded again.
  expect(sandbox.mediaconvert.jobs.length).toBe(jobsBefore);

  const viewer = await person(browser);
  try {
    const { page } = viewer;
    await signIn(page, sandbox.url, 'viewer');
    await page.goto(`${sandbox.url}/#/watch/${videoId}`);
    const select = page.getByLabel('Captions');
    await expect(select.evaluate((element: any) => [...element.options].map((option: any) => option.textContent)))
      .resolves.toEqual(['Off', 'English', 'Français']);
    await page.getByTestId('play-state').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 30_000 });
    await page.getByTestId('video').click();
    await page.getByTestId('play-state').and(page.locator('[data-state="playing"]')).waitFor();

    await page.getByTestId('captions').selectOption({ label: 'English' });
    const english = await showingCues(page, 2);
    expect(english.map((cue) => cue.text)).toEqual(['Hello', 'World']);
    expect(Math.abs(english[0].start - 0.5)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(english[1].start - 2.5)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(english[1].end - 4.0)).toBeLessThanOrEqual(0.1);

    await page.getByTestId('captions').selectOption({ label: 'Français' });
    const frenchCues = await showingCues(page, 2);
    expect(frenchCues.map((cue) => cue.text)).toEqual(['Bonjour', 'le monde']);
    expect(Math.abs(frenchCues[0].start - 0.5)).toBeLessThanOrEqual(0.1);

    // Hold the picture on the second French cue for the screenshots.
    await page.evaluate(() => {
      const video = (globalThis as any).document.querySelector('[data-testid="video"]');
      video.pause();
      video.currentTime = 3;
    });
    await page.waitForFunction(() => {
      const video = (globalThis as any).document.querySelector('[data-testid="video"]');
      return video.paused && Math.abs(video.currentTime - 3) < 0.2 && !video.seeking && video.readyState >= 2;
    });
    await inspect(page, 'captions');

    await page.getByTestId('captions').selectOption({ label: 'Off' });
    await page.waitForFunction(() => {
      const video = (globalThis as any).document.querySelector('[data-testid="video"]');
      return [...video.textTracks].every((track: any) => track.mode !== 'showing');
    });
  } finally {
    await viewer.context.close();
  }

  // The creator removes the French track: it leaves the list and the video.
  try {
    await creator.page.reload();
    const panel = creator.page.getByTestId('captions-form');
    await panel.getByRole('button', { name: 'Remove captions Français' }).click();
    await panel.getByRole('button', { name: 'Remove captions Français' }).waitFor({ state: 'detached' });
    await expect(panel.getByTestId('caption-tracks').textContent()).resolves.not.toContain('Français');
    const video = await fetch(`${sandbox.url}/api/videos/${videoId}`).then((response) => response.json()) as any;
    expect(video.captions).toEqual([{ language: 'en', label: 'English' }]);
  } finally {
    await creator.context.close();
  }
}, 60_000);
