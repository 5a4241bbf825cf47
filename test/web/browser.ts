import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (npm test installs it when missing): no browser download at test time. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: npm test installs Debian's chromium package`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // This machine has no network beyond localhost: keep Chromium from trying.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Screenshots go to a temporary folder, or to docs/screenshots with SCREENSHOTS=docs (after longer activity, so that charts show something). */
export const SCREENSHOTS_FOR_DOCS = process.env.SCREENSHOTS === 'docs';
export const SHOTS = SCREENSHOTS_FOR_DOCS ? 'docs/screenshots' : join(tmpdir(), 'floodgate-screenshots');

const problems = new WeakMap<Page, string[]>();

/**
 * A page whose script errors are kept for closeChecked(): uncaught exceptions, and anything logged
 * as an error but failed loads (the API's 4xx answers are the forms' business; CSP refusals count).
 */
export async function watchedPage(browser: Browser, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (err) => seen.push(String(err)));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) seen.push(message.text());
  });
  return page;
}

/** The admin dashboard at `${origin}/admin#${hash}`, signed in with `token`. */
export async function signedInDashboard(
  browser: Browser,
  origin: string,
  token: string,
  viewport: { width: number; height: number },
  hash: string,
): Promise<Page> {
  const page = await watchedPage(browser, viewport);
  await page.goto(`${origin}/admin#${hash}`);
  await page.fill('#token', token);
  await page.click('#login button');
  return page;
}

/** Closes a watched page; fails when its scripts went wrong. */
export async function closeChecked(page: Page): Promise<void> {
  await page.close();
  assert.deepEqual(problems.get(page), [], 'errors in the page');
}
