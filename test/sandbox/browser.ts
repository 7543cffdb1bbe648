import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { DEMO_USERS } from '../../sandbox/platform';

/** Helpers of the browser tests: Chromium, people signing in as people do, and a look at each page. */

/** Screenshots the tests take, to look at. */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-reports', 'screenshots');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Debian's Chromium, headless, allowed to play without a gesture. */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
}

/** A fresh browser (no cookies, no storage) for one person. */
export async function person(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  // The provider's and the payment pages forbid scripts by CSP; bypassing it lets axe-core in.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  return { context, page: await context.newPage() };
}

/** Signs in through the app's button and the provider's login page, as a person would. */
export async function signIn(page: Page, appUrl: string, user: keyof typeof DEMO_USERS): Promise<void> {
  await page.goto(appUrl);
  await page.getByTestId('sign-in').click();
  await page.waitForURL(/\/auth\/oauth2\/authorize/);
  await page.getByLabel('Username').fill(user);
  await page.getByLabel('Password').fill(DEMO_USERS[user].password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByTestId('user-email').filter({ hasText: DEMO_USERS[user].email }).waitFor();
}

/** Serious and critical accessibility violations axe-core finds on the page. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const results = await page.evaluate(async () => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }));
  return (results.violations as Array<{ id: string; impact: string; nodes: unknown[] }>)
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}, ${violation.nodes.length} nodes)`);
}

/** Checks the page with axe-core and photographs it at desktop and phone widths; nothing may scroll sideways on a phone. */
export async function inspect(page: Page, name: string): Promise<void> {
  expect(await accessibilityViolations(page)).toEqual([]);
  await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const desktop = page.viewportSize()!;
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(desktop);
}
