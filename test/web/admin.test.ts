import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createCampaign, createPartner } from '../claims/helpers.js';
import {
  ADMIN_TOKEN,
  admin,
  createRoom,
  deletePrefix,
  eventually,
  type Instance,
  startInstance,
  testPrefix,
  uniqueId,
} from '../helpers.js';
import { closeChecked as close, launchBrowser, SCREENSHOTS_FOR_DOCS, SHOTS, signedInDashboard } from './browser.js';

const LOAD_SECONDS = SCREENSHOTS_FOR_DOCS ? 60 : 4;

describe('the admin dashboard in a real browser', () => {
  const prefix = testPrefix();
  let instance: Instance;
  let origin: string;
  let browser: Browser;
  let room: { id: string };
  let campaign: { id: string };
  let apiKey: string;

  /** A surge in miniature over real HTTP: entries, polls and claims (repeats and sell-out included), bounded in time. */
  async function load(seconds: number): Promise<void> {
    const until = Date.now() + seconds * 1000;
    const tickets: string[] = [];
    const json = { 'content-type': 'application/json' };
    for (let i = 0; Date.now() < until; i++) {
      const entry = await fetch(`${origin}/v1/rooms/${room.id}/tickets`, {
        method: 'POST',
        headers: { ...admin, ...json },
        body: JSON.stringify({ userId: `fan-${i}` }),
      });
      tickets.push(((await entry.json()) as { ticketId: string }).ticketId);
      for (const ticketId of tickets.slice(-3)) await (await fetch(`${origin}/v1/rooms/${room.id}/tickets/${ticketId}`)).arrayBuffer();
      // Every fourth claimant comes back for a second unit: already claimed.
      const userId = i % 4 === 3 ? `buyer-${i - 1}` : `buyer-${i}`;
      await (
        await fetch(`${origin}/v1/campaigns/${campaign.id}/claims`, {
          method: 'POST',
          headers: { 'x-api-key': apiKey, ...json },
          body: JSON.stringify({ userId }),
        })
      ).arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 80));
    }
  }

  /** A signed-in dashboard showing the test's room and campaign; its script errors fail close(). */
  async function dashboard(viewport: { width: number; height: number }): Promise<Page> {
    const page = await signedInDashboard(browser, origin, ADMIN_TOKEN, viewport, `room=${room.id}&campaign=${campaign.id}`);
    await page.locator(`tr[data-room="${room.id}"]`).waitFor();
    return page;
  }

  const points = (page: Page, chart: string) =>
    page.$eval(chart, (figure) => ({
      points: Number((figure as HTMLElement).dataset.points ?? 0),
      first: Number((figure as HTMLElement).dataset.first || 0),
    }));

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    instance = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 50 });
    origin = await instance.app.listen({ port: 0, host: '127.0.0.1' });
    room = await createRoom(instance.app, {
      id: uniqueId('surge'),
      admitPerSecond: 4,
      maxActive: 12,
      sessionSeconds: 6,
      abandonAfterSeconds: 9,
    });
    campaign = await createCampaign(instance.app, { id: uniqueId('drop'), stock: SCREENSHOTS_FOR_DOCS ? 400 : 60 });
    ({ apiKey } = await createPartner(instance.app));
    browser = await launchBrowser();
    await load(LOAD_SECONDS);
  });
  after(async () => {
    await browser?.close();
    await instance.close();
    await deletePrefix(prefix);
  });

  it('the charts come from the server: a reload keeps them', async () => {
    const page = await dashboard({ width: 1280, height: 900 });
    const before = await eventually(async () => {
      const seen = await points(page, '#chart-room-queue');
      return seen.points >= 3 ? seen : undefined;
    });
    const claims = await eventually(async () => ((await points(page, '#chart-campaign-stock')).points >= 3 ? true : undefined));
    assert.ok(claims);
    await page.screenshot({ path: join(SHOTS, 'admin.png'), fullPage: true });
    await page.reload();
    // At once (well before this page could have gathered them itself): the history it had, from its start.
    const reloaded = await eventually(async () => {
      const seen = await points(page, '#chart-room-queue');
      return seen.points >= before.points ? seen : undefined;
    }, 2_000);
    assert.ok(reloaded.first <= before.first, `first point ${reloaded.first} after the reload, ${before.first} before`);
    // Every chart of both views draws something, with a legend naming its lines.
    for (const chart of [
      '#chart-room-queue',
      '#chart-room-admission',
      '#chart-room-latency',
      '#chart-campaign-stock',
      '#chart-campaign-claims',
    ]) {
      await eventually(async () => ((await points(page, chart)).points > 0 ? true : undefined), 3_000);
      assert.ok((await page.locator(`${chart} .u-legend .u-series`).count()) >= 2, `${chart} has a legend`);
      assert.equal(await page.locator(`${chart} .u-axis`).count(), 2, `${chart} has two axes`);
    }
    assert.match((await page.textContent('#room-view [data-field="shuffle"]')) ?? '', /fifo/);
    await close(page);
  });

  it('Pause shows at once, the focus stays on the button, and the table keeps redrawing', async () => {
    const page = await dashboard({ width: 1280, height: 900 });
    const row = page.locator(`tr[data-room="${room.id}"]`);
    const toggle = row.locator('button[data-action="pause"]');
    await toggle.focus();
    const clickedAt = Date.now();
    await toggle.click();
    await row.locator('.badge', { hasText: 'paused' }).waitFor({ timeout: 1_500 });
    assert.ok(Date.now() - clickedAt < 1_500);
    assert.equal(await row.locator('button[data-action="resume"]').textContent(), 'Resume');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'resume', 'the focus stays on the button');
    assert.equal((await instance.app.inject({ url: `/v1/rooms/${room.id}`, headers: admin })).json().paused, true);
    // The list is fetched again while the focus is in the table, and the row follows.
    const status = await page.textContent('#status');
    await page.waitForFunction((previous) => document.getElementById('status')?.textContent !== previous, status, { timeout: 5_000 });
    await instance.app.inject({ method: 'PATCH', url: `/v1/rooms/${room.id}`, headers: admin, payload: { maxActive: 13 } });
    await row.locator('.active', { hasText: '/ 13' }).waitFor({ timeout: 5_000 });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-action')), 'resume');

    // Set: the row shows the new rate at once, the room view too.
    await row.locator('input[name="admitPerSecond"]').fill('42');
    await row.locator('button[type="submit"]').click();
    await row.locator('.rate', { hasText: /^42 · / }).waitFor({ timeout: 1_500 });
    assert.equal(await row.locator('input[name="admitPerSecond"]').inputValue(), '');
    await row.locator('button[data-action="resume"]').click();
    await row
      .locator('.badge', { hasText: 'open' })
      .or(row.locator('.badge', { hasText: 'full' }))
      .waitFor({ timeout: 1_500 });
    assert.equal((await instance.app.inject({ url: `/v1/rooms/${room.id}`, headers: admin })).json().admitPerSecond, 42);
    await close(page);
  });

  it("a form's error is shown next to its field, in the API's words; the identity secret once", async () => {
    const page = await dashboard({ width: 1280, height: 900 });
    const form = page.locator('#new-room');
    await page.click('#new-room >> xpath=.. >> summary');
    const id = uniqueId('made');
    await form.locator('[name="id"]').fill(id);
    await form.locator('[name="admitPerSecond"]').fill('0');
    await form.locator('button[type="submit"]').click();
    const rateError = form.locator('label:has([name="admitPerSecond"]) .field-error');
    await rateError.waitFor();
    assert.equal(await rateError.textContent(), 'body/admitPerSecond must be > 0');
    assert.equal(await form.locator('[name="admitPerSecond"]').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'admitPerSecond');

    // A rule the schema cannot say (the API's own message), inside a group of fields.
    await form.locator('[name="admitPerSecond"]').fill('5');
    await form.locator('[name="clientRate"]').selectOption('custom');
    await form.locator('[name="clientRate.perSecond"]').fill('0');
    await form.locator('[name="clientRate.burst"]').fill('5');
    await form.locator('button[type="submit"]').click();
    const perSecondError = form.locator('label:has([name="clientRate.perSecond"]) .field-error');
    await perSecondError.waitFor();
    assert.match((await perSecondError.textContent()) ?? '', /^body\/clientRate\/perSecond must be >= 1/);
    assert.equal(await rateError.isVisible(), false, 'the earlier error is gone');

    // Created: the identity secret is shown once, with its copy button.
    await form.locator('[name="clientRate.perSecond"]').fill('2');
    await form.locator('[name="targetUrl"]').fill('https://shop.example/checkout');
    await form.locator('[name="prequeue"]').selectOption('shuffle');
    await form.locator('[name="opensAt"]').fill('2030-01-02T03:04');
    await form.locator('button[type="submit"]').click();
    await page.locator('#room-secret').waitFor();
    const secret = await page.inputValue('#room-secret-value');
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'room-secret-copy');
    const created = (await instance.app.inject({ url: `/v1/rooms/${id}`, headers: admin })).json();
    assert.deepEqual(
      {
        clientRate: created.clientRate,
        targetUrl: created.targetUrl,
        prequeue: created.prequeue,
        opensAt: new Date(created.opensAt).getTime(),
      },
      {
        clientRate: { perSecond: 2, burst: 5 },
        targetUrl: 'https://shop.example/checkout',
        prequeue: 'shuffle',
        opensAt: await page.evaluate(() => new Date('2030-01-02T03:04').getTime()),
      },
    );
    await page.locator(`#room-view [data-field="shuffle"] code`).first().waitFor();
    await page.click('#room-secret-done');
    assert.equal(await page.isVisible('#room-secret'), false);

    // The same id again: the API's conflict, at the id.
    await page.click('#new-room >> xpath=.. >> summary');
    await page.click('#new-room >> xpath=.. >> summary');
    await form.locator('[name="id"]').fill(id);
    await form.locator('button[type="submit"]').click();
    await form.locator('label:has([name="id"]) .field-error', { hasText: 'already exists' }).waitFor();

    // A campaign's daily window in an unknown time zone: at the time zone.
    const campaignForm = page.locator('#new-campaign');
    await page.click('#new-campaign >> xpath=.. >> summary');
    await campaignForm.locator('[name="id"]').fill(uniqueId('made'));
    await campaignForm.locator('[name="daily.opensAt"]').fill('09:00');
    await campaignForm.locator('[name="daily.quota"]').fill('10');
    await campaignForm.locator('[name="daily.timeZone"]').fill('Mars/Olympus_Mons');
    await campaignForm.locator('button[type="submit"]').click();
    const zoneError = campaignForm.locator('label:has([name="daily.timeZone"]) .field-error');
    await zoneError.waitFor();
    assert.equal(await zoneError.textContent(), 'unknown time zone "Mars/Olympus_Mons"');
    await close(page);
  });

  it("Archive and Delete (asked twice) show the API's answer", async () => {
    // The answer these requests get from this server (archiving may not exist here yet: a 404 then), learnt on a twin room.
    const twin = await createRoom(instance.app, { id: uniqueId('twin'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const expected = async (method: 'POST' | 'DELETE', url: string, done: string) => {
      const res = await instance.app.inject({ method, url, headers: admin });
      return res.statusCode < 300 ? done : (res.json().error.message as string).replace(twin.id, '<id>');
    };
    const target = await createRoom(instance.app, { id: uniqueId('old'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const archived = await expected('POST', `/v1/rooms/${twin.id}/archive`, `Room <id> archived.`);
    const page = await dashboard({ width: 1280, height: 900 });
    // A link to the room: the address changes while a refresh rewrites the address with the
    // selection it knew (a race CI met): the view follows the link all the same.
    await page.evaluate(
      ({ link, known }) => {
        location.hash = link;
        history.replaceState(null, '', known);
      },
      { link: `#room=${target.id}&campaign=${campaign.id}`, known: `#room=${room.id}&campaign=${campaign.id}` },
    );
    await page.locator('#room-view h3', { hasText: target.id }).waitFor({ timeout: 5_000 });
    const message = page.locator('#room-view .lifecycle-error');
    await page.click('#room-view [data-lifecycle="archive"]');
    await message.waitFor();
    assert.equal(await message.textContent(), archived.replace('<id>', target.id));
    if (archived.startsWith('Room')) return close(page); // archived: it left the list, and its view

    const twin2 = await createRoom(instance.app, { id: uniqueId('twin'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const deleted = (await expected('DELETE', `/v1/rooms/${twin2.id}`, 'Room <id> deleted.')).replace(twin2.id, '<id>');
    const remove = page.locator('#room-view [data-lifecycle="delete"]');
    await remove.click();
    assert.equal(await remove.textContent(), `Really delete ${target.id}?`);
    assert.match((await message.textContent()) ?? '', /cannot be undone/);
    await remove.click();
    await page.waitForFunction(
      (text) => document.querySelector('#room-view .lifecycle-error')?.textContent === text,
      deleted.replace('<id>', target.id),
      { timeout: 3_000 },
    );
    await close(page);
  });

  it('a link to a room made after the page loaded its lists opens that room', async () => {
    const page = await dashboard({ width: 1280, height: 900 });
    const fresh = await createRoom(instance.app, { id: uniqueId('fresh'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    await page.evaluate((hash) => {
      location.hash = hash;
    }, `#room=${fresh.id}&campaign=${campaign.id}`);
    // Before, the link was dropped for good: no later refresh opened the room.
    await page.locator('#room-view h3', { hasText: fresh.id }).waitFor({ timeout: 5_000 });
    assert.match(await page.evaluate(() => location.hash), new RegExp(`room=${fresh.id}`));
    await close(page);
  });

  it('on a phone (375 × 667): no horizontal scroll, and the actions are within reach', async () => {
    const page = await dashboard({ width: 375, height: 667 });
    await eventually(async () => ((await points(page, '#chart-room-queue')).points > 0 ? true : undefined));
    const widths = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    assert.ok(widths.scroll <= widths.client, `the page is ${widths.scroll} px wide in a ${widths.client} px screen`);
    const row = page.locator(`tr[data-room="${room.id}"]`);
    for (const control of [
      row.locator('button[data-action]'),
      row.locator('button[type="submit"]'),
      row.locator('input[name="admitPerSecond"]'),
    ]) {
      await control.scrollIntoViewIfNeeded();
      const box = (await control.boundingBox())!;
      assert.ok(
        box.x >= 0 && box.x + box.width <= 375,
        `${await control.evaluate((e) => e.outerHTML.slice(0, 60))} at x ${box.x}, width ${box.width}`,
      );
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'admin-phone.png') });
    await page.locator('#chart-room-queue').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'admin-phone-charts.png') });
    await close(page);
  });
});
