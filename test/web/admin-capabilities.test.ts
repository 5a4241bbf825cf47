import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { course, register, setUpTerm, submit } from '../courses/helpers.js';
import { ADMIN_TOKEN, deletePrefix, eventually, type Instance, startInstance, testPrefix } from '../helpers.js';
import { confirm, createPartner, hold, simpleShow } from '../seats/helpers.js';
import { walletClient } from '../wallet/helpers.js';
import { closeChecked as close, launchBrowser, SCREENSHOTS_FOR_DOCS, SHOTS, signedInDashboard } from './browser.js';

const ACTIVITY_SECONDS = SCREENSHOTS_FOR_DOCS ? 40 : 2;

describe('the dashboard’s shows, terms and wallets in a real browser', () => {
  const prefix = testPrefix();
  let instance: Instance;
  let origin: string;
  let browser: Browser;
  let showId: string;
  let termId: string;
  let shop: { partnerId: string; apiKey: string };

  /** Some seconds of holds released, requests and wallet writes, so that the charts move. */
  async function activity(seconds: number, termKey: string): Promise<void> {
    const until = Date.now() + seconds * 1000;
    const wallet = walletClient(instance.app, shop.apiKey);
    const boxOffice = await createPartner(instance.app, 'box office');
    for (let i = 0; Date.now() < until; i++) {
      const held = await hold(instance.app, showId, boxOffice.apiKey, { userId: `walk-in-${i}`, best: { count: 1 } });
      if (held.status === 201) {
        await instance.app.inject({
          method: 'DELETE',
          url: `/v1/shows/${showId}/holds/${held.body.holdId}`,
          headers: { 'x-api-key': boxOffice.apiKey },
        });
      }
      await wallet.earn(`regular-${i % 5}`, { points: 10 + (i % 7) });
      if (i % 3 === 2) await wallet.spend(`regular-${i % 5}`, 5);
      if (i % 4 === 0) await submit(instance.app, termId, termKey, 's4', [{ add: 'bio' }]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function dashboard(viewport: { width: number; height: number }, hash: string): Promise<Page> {
    const page = await signedInDashboard(browser, origin, ADMIN_TOKEN, viewport, hash);
    await page.locator(`tr[data-show="${showId}"]`).waitFor();
    return page;
  }

  /** A section as it stands in the page (a full-page shot, clipped: the sticky top bar stays at the top). */
  async function shoot(page: Page, selector: string, file: string): Promise<void> {
    await page.evaluate(() => window.scrollTo(0, 0));
    const box = (await page.locator(selector).boundingBox())!;
    await page.screenshot({ path: join(SHOTS, file), fullPage: true, clip: box });
  }

  const points = (page: Page, chart: string) => page.$eval(chart, (figure) => Number((figure as HTMLElement).dataset.points ?? 0));
  const drawn = (page: Page, chart: string) => eventually(async () => ((await points(page, chart)) > 0 ? true : undefined), 8_000);

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    instance = await startInstance({ redisPrefix: prefix });
    origin = await instance.app.listen({ port: 0, host: '127.0.0.1' });

    // A show of two rows of five (front and back): three seats sold, one held.
    ({ showId } = await simpleShow(instance.app, {
      venue: {
        sections: [
          {
            id: 'A',
            rows: [
              { id: '1', seats: 5, category: 'front' },
              { id: '2', seats: 5, category: 'back' },
            ],
          },
        ],
      },
      show: { holdSeconds: 600 },
    }));
    const { apiKey: seller } = await createPartner(instance.app, 'seller');
    const sold = await hold(instance.app, showId, seller, { userId: 'u1', seats: ['A-1-1', 'A-1-2', 'A-1-3'] });
    assert.equal(sold.status, 201, JSON.stringify(sold.body));
    assert.equal((await confirm(instance.app, showId, sold.body.holdId, seller, 'k1')).status, 201);
    assert.equal((await hold(instance.app, showId, seller, { userId: 'u2', seats: ['A-2-1'] })).status, 201);

    // A term: one seat in alg (two waitlist places), five in bio.
    const term = await setUpTerm(instance.app, {
      courses: [course('alg', { title: 'Algebra', capacity: 1, waitlist: 2 }), course('bio', { title: 'Biology', capacity: 5 })],
      students: ['s1', 's2', 's3', 's4'],
    });
    termId = term.termId;
    for (const student of ['s1', 's2', 's3']) await register(instance.app, termId, term.apiKey, student, [{ add: 'alg' }]);

    // A partner's wallet: two lots (one expiring), a spend, and enough history for two pages.
    shop = await createPartner(instance.app, 'shop');
    const wallet = walletClient(instance.app, shop.apiKey);
    assert.equal((await wallet.earn('ann', { points: 100, expiresInDays: 30 })).status, 201);
    assert.equal((await wallet.earn('ann', { points: 50 })).status, 201);
    assert.equal((await wallet.spend('ann', 30)).status, 201);
    for (let i = 0; i < 22; i++) assert.equal((await wallet.earn('ann', { points: 1, expiresInDays: 30 })).status, 201);

    browser = await launchBrowser();
    await activity(ACTIVITY_SECONDS, term.apiKey);
  });
  after(async () => {
    await browser?.close();
    await instance.close();
    await deletePrefix(prefix);
  });

  it("a show: its figures, its charts, and the live seat map with each seat's status", async () => {
    const page = await dashboard({ width: 1280, height: 900 }, `show=${showId}`);
    const row = page.locator(`tr[data-show="${showId}"]`);
    assert.deepEqual(await Promise.all(['capacity', 'free', 'held', 'sold'].map((name) => row.locator(`.${name}`).textContent())), [
      '10',
      '6',
      '1',
      '3',
    ]);
    await page.locator('#show-view h3', { hasText: showId }).waitFor();
    assert.equal(await page.textContent('#show-view [data-field="seats"]'), '6 · 1 · 3');
    assert.match((await page.textContent('#show-view [data-field="categories"]')) ?? '', /front: 2 · 0 · 3; back: 4 · 1 · 0/);
    await drawn(page, '#chart-show-seats');
    await drawn(page, '#chart-show-categories');
    assert.ok((await page.locator('#chart-show-seats .u-legend .u-series').count()) >= 3, 'a legend');

    // The map: its counts, and the colour drawn where each seat is.
    const map = page.locator('#show-map');
    await page.waitForFunction(() => document.getElementById('show-map')?.dataset.sold === '3', null, { timeout: 5_000 });
    assert.deepEqual(
      await map.evaluate((c) => {
        const { free, held, sold } = (c as HTMLCanvasElement).dataset;
        return { free, held, sold };
      }),
      { free: '6', held: '1', sold: '3' },
    );
    const colourOf = (row: number, seat: number) =>
      map.evaluate(
        (canvas, [r, p]) => {
          const c = canvas as HTMLCanvasElement;
          const { cell, labelWidth, sectionGap } = c.dataset;
          const ratio = c.width / c.clientWidth;
          const x = (Number(labelWidth) + p! * Number(cell) + 1) * ratio;
          const y = (Number(sectionGap) + r! * Number(cell) + 1) * ratio;
          const [red, green, blue] = c.getContext('2d')!.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
          return `#${[red, green, blue].map((v) => v!.toString(16).padStart(2, '0')).join('')}`;
        },
        [row, seat],
      );
    assert.equal(await colourOf(0, 0), '#9ca3af', 'A-1-1 sold');
    assert.equal(await colourOf(0, 2), '#9ca3af', 'A-1-3 sold');
    assert.equal(await colourOf(0, 3), '#22c55e', 'A-1-4 free');
    assert.equal(await colourOf(1, 0), '#f59e0b', 'A-2-1 held');
    assert.equal(await colourOf(1, 4), '#22c55e', 'A-2-5 free');

    // A seat sold meanwhile shows with the next refresh of the list.
    const { apiKey } = await createPartner(instance.app, 'late');
    const late = await hold(instance.app, showId, apiKey, { userId: 'u3', seats: ['A-2-5'] });
    assert.equal((await confirm(instance.app, showId, late.body.holdId, apiKey, 'k2')).status, 201);
    await row.locator('.sold', { hasText: '4' }).waitFor({ timeout: 5_000 });
    await page.waitForFunction(() => document.getElementById('show-map')?.dataset.sold === '4', null, { timeout: 5_000 });
    assert.equal(await colourOf(1, 4), '#9ca3af', 'A-2-5 sold');
    await shoot(page, '#show-view', 'admin-show.png');
    await close(page);
  });

  it("a term: each course's fill and waitlist, the term's charts and a course's", async () => {
    const page = await dashboard({ width: 1280, height: 900 }, `term=${termId}&course=alg`);
    await page.locator('#term-view h3', { hasText: termId }).waitFor();
    const alg = page.locator('#term-courses tr[data-course="alg"]');
    await alg.waitFor();
    assert.equal(await alg.locator('.enrolled').textContent(), '1 / 1');
    assert.equal(await alg.locator('.waitlisted').textContent(), '2 / 2');
    assert.equal(await alg.locator('.fill-bar').getAttribute('aria-label'), '100% full');
    assert.equal(await page.locator('#term-courses tr[data-course="bio"] .waitlisted').textContent(), '0 / 0');
    assert.match((await page.textContent('#term-view [data-field="waitlisted"]')) ?? '', /^2 \/ 2$/);
    await drawn(page, '#chart-term-fill');
    await drawn(page, '#chart-term-queue');
    await page.locator('#course-view h4', { hasText: 'alg: Algebra' }).waitFor();
    await drawn(page, '#chart-course-fill');
    assert.match(page.url(), /course=alg/);

    // Another course: its chart, and the address follows.
    await page.click('#term-courses tr[data-course="bio"] button.select');
    await page.locator('#course-view h4', { hasText: 'bio: Biology' }).waitFor();
    await drawn(page, '#chart-course-fill');
    assert.match(page.url(), /course=bio/);
    await shoot(page, '#term-view', 'admin-term.png');
    await close(page);
  });

  it('a wallet: balance, lots and history page by page; points over time per partner; errors shown', async () => {
    const page = await dashboard({ width: 1280, height: 900 }, '');
    const form = page.locator('#wallet-lookup');
    await form.locator(`option[value="${shop.partnerId}"]`).waitFor({ state: 'attached' });
    await form.locator('[name="partnerId"]').selectOption(shop.partnerId);

    // An unknown user: the API's answer, in the form.
    await form.locator('[name="userId"]').fill('nobody');
    await form.locator('button[type="submit"]').click();
    await form.locator('.form-error', { hasText: 'No such wallet' }).waitFor();
    assert.equal(await page.isVisible('#wallet-view'), false);

    await form.locator('[name="userId"]').fill('ann');
    await form.locator('button[type="submit"]').click();
    const view = page.locator('#wallet-view');
    await view.locator('[data-field="balance"]', { hasText: '142' }).waitFor();
    assert.equal(await form.locator('.form-error').isVisible(), false);
    assert.equal(await view.locator('[data-field="held"]').textContent(), '0');
    assert.match((await view.locator('[data-field="expiring"]').textContent()) ?? '', /^92 points, soonest 70 on /);
    assert.equal(await page.locator('#wallet-lots tbody tr').count(), 24);
    const history = page.locator('#wallet-history tbody tr');
    assert.equal(await history.count(), 20);
    assert.equal(await history.first().locator('td[data-label="Kind"]').textContent(), 'earn');
    await page.click('#wallet-more');
    await eventually(async () => ((await history.count()) === 25 ? true : undefined));
    assert.equal(await history.nth(22).locator('td[data-label="Points"]').textContent(), '-30');
    assert.equal(await page.isVisible('#wallet-more'), false, 'no older page');
    assert.match(page.url(), new RegExp(`partner=${shop.partnerId}&user=ann`));

    await page.locator('#partner-view').waitFor();
    await drawn(page, '#chart-partner-points');
    const earned = await page.$eval('#chart-partner-points', (figure) => {
      const values = [...figure.querySelectorAll('.u-legend .u-series')].map((s) => s.textContent ?? '');
      return values.join('|');
    });
    assert.match(earned, /earned/);
    await shoot(page, '.block:has(#wallet-lookup)', 'admin-wallet.png');

    // A reload keeps the lookup (it is in the address).
    await page.reload();
    await view.locator('[data-field="balance"]', { hasText: '142' }).waitFor();
    await close(page);
  });

  it('on a phone (375 × 667): no horizontal scroll with every new view open', async () => {
    const page = await dashboard({ width: 375, height: 667 }, `show=${showId}&term=${termId}&partner=${shop.partnerId}&user=ann`);
    await page.locator('#wallet-view [data-field="balance"]', { hasText: '142' }).waitFor();
    await page.locator('#term-courses tr[data-course="alg"]').waitFor();
    await drawn(page, '#chart-show-seats');
    await drawn(page, '#chart-term-fill');
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    assert.ok(widths.scroll <= widths.client, `the page is ${widths.scroll} px wide in a ${widths.client} px screen`);
    for (const selector of [
      '#show-map',
      '#term-courses tr[data-course="alg"]',
      '#wallet-history tbody tr >> nth=0',
      '#wallet-lookup button',
    ]) {
      const element = page.locator(selector);
      await element.scrollIntoViewIfNeeded();
      const box = (await element.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= 375, `${selector} at x ${box.x}, width ${box.width}`);
    }
    await page.locator('#show-map').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'admin-phone-show.png') });
    await close(page);
  });
});
