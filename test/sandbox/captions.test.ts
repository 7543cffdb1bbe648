import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'jpeg-js';
import { Browser, Page } from 'playwright-core';
import { accessibilityViolations, inspect, launchChromium, person, SCREENSHOTS, signIn } from './browser';
import { Sandbox, startSandbox } from '../../sandbox/platform';
import { DEFAULT_TRICK_PLAY, thumbnailSize } from '../../src/transcode/trick-play.lambda-shared';

/**
 * Caption tracks through the web app on the sandbox, in headless Chromium: a
 * creator adds English captions with the studio's form and French ones through
 * the API; a viewer turns them on in the player, and the cues the browser holds
 * start where the files say (the WebVTT timestamp map lines them up with the
 * video's segments). Adding captions encodes nothing again. On the same video:
 * the creator picks its poster from the scrub thumbnails in the studio, and the
 * viewer works the scrub preview from the keyboard.
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

/** The poster URL the catalog lists for the video. */
async function catalogPoster(videoId: string): Promise<string> {
  const video = await fetch(`${sandbox.url}/api/videos/${videoId}`).then((response) => response.json()) as any;
  return video.posterUrl;
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

    // The poster: the creator moves the slider to 0:03 with the keyboard, sees that thumbnail, and uses it.
    const posterBefore = await catalogPoster(videoId);
    expect(posterBefore).toMatch(new RegExp(`/posters/${videoId}/poster\\.\\d+\\.jpg$`));
    const posterPanel = creator.page.getByTestId('poster-panel');
    const slider = posterPanel.getByLabel('Frame at');
    await slider.waitFor({ timeout: 15_000 });
    await slider.focus();
    for (let i = 0; i < 3; i++) await creator.page.keyboard.press('ArrowRight');
    await expect(slider.inputValue()).resolves.toBe('3');
    await expect(posterPanel.getByTestId('poster-preview').getAttribute('data-time')).resolves.toBe('3');
    await expect(slider.getAttribute('aria-valuetext')).resolves.toMatch(/^0:03 of 0:0\d$/);
    await posterPanel.getByRole('button', { name: 'Use this frame' }).click();
    await posterPanel.getByRole('status').filter({ hasText: 'The poster is now the frame at 0:03.' }).waitFor();
    const posterAfter = await catalogPoster(videoId);
    expect(posterAfter).toMatch(new RegExp(`/posters/${videoId}/picked-\\d+\\.jpg$`));
    await expect(posterPanel.getByTestId('poster-current').getAttribute('src')).resolves.toBe(`${sandbox.url}${new URL(posterAfter).pathname}`);
    // Served to anyone, without cookies: a JPEG of one thumbnail's size.
    const served = await fetch(`${sandbox.url}${new URL(posterAfter).pathname}`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    const image = decode(new Uint8Array(await served.arrayBuffer()), { useTArray: true });
    expect({ width: image.width, height: image.height }).toEqual(thumbnailSize(DEFAULT_TRICK_PLAY, { width: 640, height: 360 }));
    // The test pattern's colour bars, not the black of a tile's empty places: the mean of red, green and blue (RGBA pixels).
    const colour = image.data.reduce((sum, value, i) => (i % 4 === 3 ? sum : sum + value), 0) / (image.width * image.height * 3);
    expect(colour).toBeGreaterThan(60);
    await creator.page.waitForFunction(() => {
      const img = (globalThis as any).document.querySelector('[data-testid="poster-current"]');
      return img.complete && img.naturalWidth > 0;
    });
    await inspect(creator.page, 'poster-studio');
    await posterPanel.screenshot({ path: join(SCREENSHOTS, 'poster-panel.png') });
    await creator.page.setViewportSize({ width: 390, height: 844 });
    await posterPanel.screenshot({ path: join(SCREENSHOTS, 'poster-panel-phone.png') });
    await creator.page.setViewportSize({ width: 1280, height: 800 });
    // And back: the pipeline's first frame again, the picked file gone from the media.
    await posterPanel.getByRole('button', { name: 'Back to the first frame' }).click();
    await posterPanel.getByRole('status').filter({ hasText: 'The poster is the first frame again.' }).waitFor();
    await expect(catalogPoster(videoId)).resolves.toBe(posterBefore);
    await expect(slider.evaluate((element) => element === (globalThis as any).document.activeElement)).resolves.toBe(true);
    expect((await fetch(`${sandbox.url}${new URL(posterAfter).pathname}`)).status).not.toBe(200);
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

    // The scrub preview from the keyboard: focus shows the thumbnail of the time playing, ArrowRight the next
    // thumbnail (one every 5 seconds), Enter plays from there.
    const scrub = page.getByTestId('scrub');
    const preview = page.getByTestId('scrub-preview');
    await scrub.focus();
    await preview.waitFor();
    await expect(preview.getAttribute('data-time')).resolves.toBe('3');
    await page.keyboard.press('ArrowRight');
    await expect(preview.getAttribute('data-time')).resolves.toBe('5');
    await expect(scrub.getAttribute('aria-valuenow')).resolves.toBe('5');
    await expect(scrub.getAttribute('aria-valuetext')).resolves.toMatch(/^0:05 of 0:0\d$/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, 'scrub-keyboard.png') });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const video = (globalThis as any).document.querySelector('[data-testid="video"]');
      return Math.abs(video.currentTime - 5) < 0.1 && !video.seeking;
    });
    await page.keyboard.press('ArrowLeft');
    await expect(preview.getAttribute('data-time')).resolves.toBe('0');
    await page.keyboard.press('Tab');
    await expect(preview.isHidden()).resolves.toBe(true);

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
}, 90_000);
