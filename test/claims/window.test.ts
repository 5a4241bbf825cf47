import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { claimWindow, localTime, zonedInstant } from '../../src/claims/domain/window.js';
import { deletePrefix, type Instance, startInstance, testPrefix, uniqueId } from '../helpers.js';
import { claim, createCampaign, createPartner, describeCampaign } from './helpers.js';

describe('claim windows (pure rules)', () => {
  it('converts local wall-clock times to instants across DST', () => {
    assert.equal(new Date(zonedInstant('2026-03-07', '09:00', 'America/New_York')).toISOString(), '2026-03-07T14:00:00.000Z');
    assert.equal(new Date(zonedInstant('2026-03-08', '09:00', 'America/New_York')).toISOString(), '2026-03-08T13:00:00.000Z');
    assert.equal(new Date(zonedInstant('2026-03-02', '09:00', 'Asia/Seoul')).toISOString(), '2026-03-02T00:00:00.000Z');
    assert.equal(localTime(Date.parse('2026-03-01T15:30:00Z'), 'Asia/Seoul').day, '2026-03-02');
    assert.equal(localTime(Date.parse('2026-03-01T15:30:00Z'), 'UTC').day, '2026-03-01');
  });

  it('opens, closes and reopens a daily window', () => {
    const rule = {
      opensAt: null,
      closesAt: Date.parse('2026-03-04T00:00:00Z'),
      daily: { opensAt: '09:00', closesAt: '18:00', timeZone: 'Asia/Seoul', quota: 3 },
    };
    assert.deepEqual(claimWindow(Date.parse('2026-03-01T23:59:00Z'), rule), {
      state: 'not_open',
      opensAt: Date.parse('2026-03-02T00:00:00Z'),
    });
    assert.deepEqual(claimWindow(Date.parse('2026-03-02T00:00:00Z'), rule), { state: 'open', day: '2026-03-02' });
    assert.deepEqual(claimWindow(Date.parse('2026-03-02T09:00:00Z'), rule), {
      state: 'not_open',
      opensAt: Date.parse('2026-03-03T00:00:00Z'),
    });
    assert.deepEqual(claimWindow(Date.parse('2026-03-03T09:00:00Z'), rule), { state: 'closed' });
  });
});

describe('claims: daily quota and window with an injectable clock', () => {
  const prefix = testPrefix();
  let now = Date.parse('2026-03-01T23:59:00Z'); // 08:59 in Seoul
  let instance: Instance;
  let apiKey: string;

  before(async () => {
    instance = await startInstance({ redisPrefix: prefix }, { clock: { now: () => now } });
    ({ apiKey } = await createPartner(instance.app));
  });
  after(async () => {
    await instance.close();
    await deletePrefix(prefix);
  });

  it('grants at most the quota per local day, only inside the window, across a day boundary', async () => {
    const { id } = await createCampaign(instance.app, {
      id: uniqueId('daily'),
      stock: 100,
      daily: { opensAt: '09:00', closesAt: '18:00', timeZone: 'Asia/Seoul', quota: 3 },
    });
    const early = await claim(instance.app, id, 'early', apiKey);
    assert.equal(early.status, 425);
    assert.equal(early.body.error.code, 'not_open');
    assert.equal(early.body.error.opensAt, '2026-03-02T00:00:00.000Z');

    now = Date.parse('2026-03-02T00:00:00Z'); // 09:00 Seoul, day 1
    const day1 = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((u) => claim(instance.app, id, u, apiKey)));
    assert.equal(day1.filter((r) => r.status === 201).length, 3);
    const over = day1.filter((r) => r.status === 410);
    assert.equal(over.length, 2);
    assert.equal(over[0]!.body.error.code, 'sold_out');
    assert.equal(over[0]!.body.error.scope, 'day');
    assert.equal(over[0]!.body.error.nextOpening, '2026-03-03T00:00:00.000Z');
    const stats = await describeCampaign(instance.app, id);
    assert.deepEqual(stats.today, { day: '2026-03-02', quota: 3, claimed: 3 });

    now = Date.parse('2026-03-02T09:00:00Z'); // 18:00 Seoul: closed for today
    const late = await claim(instance.app, id, 'late', apiKey);
    assert.equal(late.status, 425);
    assert.equal(late.body.error.opensAt, '2026-03-03T00:00:00.000Z');

    now = Date.parse('2026-03-03T00:30:00Z'); // 09:30 Seoul, day 2
    const day2 = await Promise.all(['f', 'g', 'h', 'i'].map((u) => claim(instance.app, id, u, apiKey)));
    assert.equal(day2.filter((r) => r.status === 201).length, 3);

    const perDay = await instance.ctx.infra.pool.query<{ day: string; n: number }>(
      "SELECT to_char(day, 'YYYY-MM-DD') AS day, count(*)::int AS n FROM claims WHERE campaign_id = $1 GROUP BY day ORDER BY day",
      [id],
    );
    assert.deepEqual(perDay.rows, [
      { day: '2026-03-02', n: 3 },
      { day: '2026-03-03', n: 3 },
    ]);
  });

  it('the same instant is another local day in another time zone', async () => {
    now = Date.parse('2026-03-03T15:30:00Z'); // 00:30 on 3/4 in Seoul, still 3/3 in UTC
    const seoul = await createCampaign(instance.app, {
      id: uniqueId('seoul'),
      stock: 10,
      daily: { opensAt: '00:00', timeZone: 'Asia/Seoul', quota: 5 },
    });
    const utc = await createCampaign(instance.app, {
      id: uniqueId('utc'),
      stock: 10,
      daily: { opensAt: '00:00', timeZone: 'UTC', quota: 5 },
    });
    assert.equal((await claim(instance.app, seoul.id, 'x', apiKey)).status, 201);
    assert.equal((await claim(instance.app, utc.id, 'x', apiKey)).status, 201);
    assert.equal((await describeCampaign(instance.app, seoul.id)).today.day, '2026-03-04');
    assert.equal((await describeCampaign(instance.app, utc.id)).today.day, '2026-03-03');
  });

  it('opensAt and closesAt bound the whole campaign', async () => {
    now = Date.parse('2026-05-01T00:00:00Z');
    const { id } = await createCampaign(instance.app, {
      id: uniqueId('span'),
      stock: 10,
      opensAt: '2026-05-01T10:00:00Z',
      closesAt: '2026-05-01T12:00:00Z',
    });
    assert.equal((await claim(instance.app, id, 'a', apiKey)).status, 425);
    now = Date.parse('2026-05-01T10:00:00Z');
    assert.equal((await claim(instance.app, id, 'a', apiKey)).status, 201);
    now = Date.parse('2026-05-01T12:00:00Z');
    const closed = await claim(instance.app, id, 'b', apiKey);
    assert.equal(closed.status, 410);
    assert.equal(closed.body.error.code, 'closed');
  });
});
