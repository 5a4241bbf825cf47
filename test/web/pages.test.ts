import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createRoom, deletePrefix, enter, eventually, type Instance, poll, startInstance, testPrefix, uniqueId } from '../helpers.js';
import { launchBrowser, SHOTS } from './browser.js';

describe('pages in a real browser', () => {
  const prefix = testPrefix();
  let instance: Instance;
  let origin: string;
  let browser: Browser;
  let landing: Server;
  let landingOrigin: string;

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    instance = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 50 });
    origin = await instance.app.listen({ port: 0, host: '127.0.0.1' });
    // the protected site the room sends admitted users to
    landing = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Checkout</h1>')).listen(
      0,
      '127.0.0.1',
    );
    await once(landing, 'listening');
    landingOrigin = `http://127.0.0.1:${(landing.address() as { port: number }).port}`;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    landing?.close();
    await instance.close();
    await deletePrefix(prefix);
  });

  /** Admits an API user and returns their token (they hold the room's only slot). */
  async function admitted(roomId: string, userId: string): Promise<string> {
    const ticketId = (await enter(instance.app, roomId, userId)).body.ticketId;
    return eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
  }
  const complete = (roomId: string, token: string) =>
    instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/complete`, headers: { authorization: `Bearer ${token}` } });

  it('a user joins, watches the position fall, is admitted and sent on with a token that verifies', async () => {
    const room = await createRoom(instance.app, {
      id: uniqueId('page'),
      admitPerSecond: 50,
      maxActive: 1,
      sessionSeconds: 120,
      targetUrl: `${landingOrigin}/checkout`,
    });
    const first = await admitted(room.id, 'first');
    const secondTicket = (await enter(instance.app, room.id, 'second')).body.ticketId;

    const page = await browser.newPage({ viewport: { width: 390, height: 760 } }); // a phone
    await page.goto(`${origin}/r/${room.id}`);
    await page.waitForFunction(() => document.getElementById('position')?.textContent === '2');
    assert.equal(await page.getAttribute('#position', 'aria-live'), 'polite');
    await page.screenshot({ path: join(SHOTS, 'waiting-room.png') });

    assert.equal((await complete(room.id, first)).statusCode, 204);
    await page.waitForFunction(() => document.getElementById('position')?.textContent === '1', null, { timeout: 10_000 });

    const second = await eventually(async () => {
      const { body } = await poll(instance.app, room.id, secondTicket);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
    await complete(room.id, second);
    await page.waitForURL(`${landingOrigin}/checkout?**`, { timeout: 10_000 });
    const token = new URL(page.url()).searchParams.get('fg_token')!;
    const verified = await instance.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token } });
    assert.equal(verified.statusCode, 200);
    // an anonymous visitor, known by the server's signed, httpOnly cookie
    const cookie = (await page.context().cookies()).find((c) => c.name === 'fg_visitor')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(verified.json().claims.userId, `visitor:${cookie.value.split('.')[0]}`);
    assert.equal(verified.json().claims.roomId, room.id);
    await page.close();
  });

  it('a refresh and a second tab keep the same place; before opening it counts down', async () => {
    const room = await createRoom(instance.app, {
      id: uniqueId('keep'),
      admitPerSecond: 1,
      maxActive: 1,
      sessionSeconds: 60,
      opensAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    for (const u of ['a', 'b', 'c']) await enter(instance.app, room.id, u);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/r/${room.id}`);
    await page.waitForFunction(() => /^\d{2}:\d{2}$|^\d+:\d{2}:\d{2}$/.test(document.getElementById('countdown-value')?.textContent ?? ''));
    assert.equal(await page.isVisible('#countdown'), true);
    const ticket = await page.textContent('#ticket');
    assert.equal(ticket, 'Ticket 4');
    await page.reload();
    await page.waitForFunction(() => document.getElementById('ticket')?.textContent !== '');
    assert.equal(await page.textContent('#ticket'), ticket);
    const tab = await context.newPage();
    await tab.goto(`${origin}/r/${room.id}`);
    await tab.waitForFunction(() => document.getElementById('ticket')?.textContent !== '');
    assert.equal(await tab.textContent('#ticket'), ticket);
    await context.close();
  });

  it('a link to a room that does not exist says only that, and the site has an icon', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 760 } });
    await page.goto(`${origin}/r/nope`);
    await page.waitForFunction(() => document.getElementById('app')?.getAttribute('aria-busy') === 'false');
    assert.equal(await page.textContent('h1'), 'This waiting room does not exist');
    const text = await page.textContent('body');
    assert.doesNotMatch(text ?? '', /You are in the queue/);
    assert.equal(await page.isVisible('#waiting'), false);
    assert.equal(await page.isVisible('#error'), false);
    const icon = await page.request.get(`${origin}/favicon.ico`);
    assert.equal(icon.status(), 200);
    assert.equal(icon.headers()['content-type'], 'image/x-icon');
    assert.deepEqual([...(await icon.body()).subarray(0, 4)], [0, 0, 1, 0], 'an ICO file');
    await page.close();
  });
});
