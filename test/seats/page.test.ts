import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createRoom, deletePrefix, enter, eventually, type Instance, poll, startInstance, testPrefix, uniqueId } from '../helpers.js';
import { launchBrowser, SHOTS } from '../web/browser.js';
import { createShow, createVenue, simpleShow } from './helpers.js';

describe('the seat-selection page in a real browser', () => {
  const prefix = testPrefix();
  let instance: Instance;
  let origin: string;
  let browser: Browser;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    instance = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 50 });
    origin = await instance.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await instance.close();
    await deletePrefix(prefix);
  });

  async function admitted(roomId: string, userId: string): Promise<string> {
    const ticketId = (await enter(instance.app, roomId, userId)).body.ticketId;
    return eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
  }

  /** Clicks a seat on the canvas, where the page draws it (its geometry is on the canvas). */
  async function clickSeat(page: Page, rowIndex: number, pos: number, sectionIndex = 0) {
    const canvas = page.locator('#map');
    const geometry = await canvas.evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }));
    const cellSize = Number(geometry.cell);
    const x = Number(geometry.labelWidth) + (pos - 1) * cellSize + cellSize / 2;
    const y = (sectionIndex + 1) * Number(geometry.sectionGap) + rowIndex * cellSize + cellSize / 2;
    await canvas.click({ position: { x, y } });
  }

  it('an admitted buyer picks two seats, holds them, sees the countdown and confirms', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('seatroom'), admitPerSecond: 50, maxActive: 10, sessionSeconds: 600 });
    const { showId } = await simpleShow(instance.app, { rows: 8, seats: 16, show: { roomId: room.id, holdSeconds: 120 } });
    const token = await admitted(room.id, 'ada');
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${origin}/s/${showId}?fg_token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => document.getElementById('app')?.getAttribute('aria-busy') === 'false');
    await clickSeat(page, 2, 7); // A-3-7
    await clickSeat(page, 2, 8); // A-3-8
    await page.waitForFunction(() => document.getElementById('selection')?.textContent === 'Selected: A-3-7, A-3-8');
    await page.click('#hold-selected');
    await page.waitForSelector('#held:not([hidden])');
    assert.equal(await page.textContent('#held-seats'), 'A-3-7, A-3-8');
    assert.match((await page.textContent('#countdown')) ?? '', /^[12]:\d{2}$/);
    await page.screenshot({ path: join(SHOTS, 'seats-held.png') });
    await page.click('#confirm');
    await page.waitForSelector('#booked:not([hidden])');
    assert.equal(await page.textContent('#booked-seats'), 'A-3-7, A-3-8');
    const rows = await instance.ctx.infra.pool.query<{ user_id: string; seats: string[] }>(
      'SELECT user_id, seats FROM bookings WHERE show_id = $1',
      [showId],
    );
    assert.deepEqual(rows.rows, [{ user_id: 'ada', seats: ['A-3-7', 'A-3-8'] }]);
    await page.close();
  });

  it('on a phone, a 100,000-seat venue draws without horizontal scroll, and "best 4" holds four seats together', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('bigroom'), admitPerSecond: 50, maxActive: 10, sessionSeconds: 600 });
    const venueId = uniqueId('arena');
    const sections = Array.from({ length: 10 }, (_, s) => ({
      id: String.fromCharCode(65 + s),
      rows: Array.from({ length: 100 }, (_, r) => ({ id: String(r + 1), seats: 100 })),
    }));
    const venue = await createVenue(instance.app, { id: venueId, name: 'Arena', sections });
    assert.equal(venue.capacity, 100_000);
    const showId = uniqueId('arena');
    await createShow(instance.app, { id: showId, venueId, roomId: room.id, startsAt: new Date(Date.now() + 86_400_000).toISOString() });
    const token = await admitted(room.id, 'bo');
    const page = await browser.newPage({ viewport: { width: 390, height: 760 } });
    await page.goto(`${origin}/s/${showId}?fg_token=${encodeURIComponent(token)}`);
    await page.waitForFunction(() => document.getElementById('counts')?.textContent?.includes('100,000'), null, { timeout: 15_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await page.selectOption('#best-count', '4');
    await page.click('#best');
    await page.waitForSelector('#held:not([hidden])');
    assert.equal(await page.textContent('#held-seats'), 'A-1-49, A-1-50, A-1-51, A-1-52');
    assert.equal(await page.textContent('#together'), 'Side by side.');
    await page.screenshot({ path: join(SHOTS, 'seats-phone.png') });
    await page.close();
  });
});
