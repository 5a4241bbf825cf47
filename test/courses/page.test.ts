import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createRoom, deletePrefix, enter, eventually, type Instance, poll, startInstance, testPrefix, uniqueId } from '../helpers.js';
import { launchBrowser, SHOTS } from '../web/browser.js';
import { addCourses, addStudents, course, createPartner, createTerm, register } from './helpers.js';

describe('the student page in a real browser', () => {
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

  it('a student admitted by the waiting room fills a cart, submits, watches each action decided, and sees the schedule', async () => {
    const termId = uniqueId('spring');
    const room = await createRoom(instance.app, {
      id: uniqueId('reg'),
      admitPerSecond: 100,
      maxActive: 100,
      sessionSeconds: 300,
      targetUrl: `${origin}/courses/${termId}`,
    });
    await createTerm(instance.app, { id: termId, roomId: room.id, maxCredits: 10 });
    const at = (day: string, start: string, end: string) => ({ day, start, end });
    await addCourses(instance.app, termId, [
      course('BIO101', { title: 'Biology', capacity: 50, meetings: [at('MON', '09:00', '10:15'), at('WED', '09:00', '10:15')] }),
      course('CHEM110', { title: 'Chemistry', capacity: 50, meetings: [at('MON', '10:00', '11:15')] }),
      course('HIST200', { title: 'History', capacity: 1, waitlist: 5, meetings: [at('TUE', '13:00', '14:15')] }),
      course('MATH150', { title: 'Calculus', credits: 4, capacity: 50, meetings: [at('THU', '08:00', '09:15')] }),
    ]);
    await addStudents(instance.app, termId, [
      { id: 'ines', group: 'all' },
      { id: 'first', group: 'all' },
    ]);
    const apiKey = await createPartner(instance.app);
    await register(instance.app, termId, apiKey, 'first', [{ add: 'HIST200' }]); // takes History's one seat

    // the waiting room admits "ines" and sends her on with her access token
    const ticketId = (await enter(instance.app, room.id, 'ines')).body.ticketId;
    const token = await eventually(async () => {
      const { body } = await poll(instance.app, room.id, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });

    const page = await browser.newPage({ viewport: { width: 1100, height: 1100 } });
    await page.goto(`${origin}/courses/${termId}?fg_token=${token}`);
    await page.waitForSelector('#catalogue tr[data-course="BIO101"]');
    assert.equal(new URL(page.url()).search, '', 'the token is taken out of the address bar');
    assert.equal(await page.textContent('#who'), 'Registering as ines');
    assert.equal(await page.getAttribute('#request-state', 'aria-live'), 'polite');

    for (const id of ['BIO101', 'CHEM110', 'HIST200', 'MATH150']) await page.click(`#catalogue tr[data-course="${id}"] button`);
    assert.equal(await page.locator('#cart li').count(), 4);
    await page.click('#submit');
    await page.waitForFunction(() => document.getElementById('request-state')?.textContent === 'Decided.', null, { timeout: 10_000 });
    const outcomes = await page.$$eval('#request-actions [data-outcome]', (spans) => spans.map((s) => (s as HTMLElement).dataset.outcome));
    assert.deepEqual(outcomes, ['enrolled', 'rejected', 'waitlisted', 'enrolled']);
    assert.match((await page.textContent('#request-actions li:nth-child(2)'))!, /clashes with a course you have/);
    assert.match((await page.textContent('#request-actions li:nth-child(3)'))!, /waitlisted, place 1/);
    await page.waitForSelector('#schedule tr[data-course="MATH150"]');
    assert.equal(await page.textContent('#credits'), '7 of at most 10 credits');
    assert.match((await page.textContent('#waitlists'))!, /HIST200 · History: place 1/);
    await page.screenshot({ path: join(SHOTS, 'courses.png'), fullPage: true });

    // a swap from the schedule: Biology for Chemistry, which clashed with it
    await page.selectOption('#schedule tr[data-course="BIO101"] select', 'CHEM110');
    await page.click('#submit');
    await page.waitForFunction(
      () => document.querySelector('#request-actions [data-outcome]')?.getAttribute('data-outcome') === 'enrolled',
      null,
      {
        timeout: 10_000,
      },
    );
    await page.waitForSelector('#schedule tr[data-course="CHEM110"]');
    assert.equal(await page.locator('#schedule tr[data-course="BIO101"]').count(), 0);
    // a drop: then the waitlisted seat of History comes free for her when "first" leaves
    await page.click('#schedule tr[data-course="CHEM110"] button');
    await page.click('#submit');
    await page.waitForFunction(
      () => document.querySelector('#request-actions [data-outcome]')?.getAttribute('data-outcome') === 'dropped',
      null,
      {
        timeout: 10_000,
      },
    );
    await page.waitForFunction(() => !document.querySelector('#schedule tr[data-course="CHEM110"]'));
    await register(instance.app, termId, apiKey, 'first', [{ drop: 'HIST200' }]);
    await page.reload();
    await page.waitForSelector('#schedule tr[data-course="HIST200"]', { timeout: 10_000 });
    assert.match((await page.textContent('#schedule tr[data-course="HIST200"]'))!, /from the waitlist/);
    await page.close();
  });
});
