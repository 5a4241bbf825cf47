import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Clock } from '../../src/clock.js';
import { quantile } from '../../src/history/distribution.js';
import { HISTORY_SECONDS, MINUTE_TTL_SECONDS, minuteKey } from '../../src/history/keys.js';
import { claim, createCampaign, createPartner } from '../claims/helpers.js';
import {
  ADMIN_TOKEN,
  admin,
  createRoom,
  deletePrefix,
  enter,
  eventually,
  type Instance,
  startInstance,
  testPrefix,
  testRedis,
  uniqueId,
} from '../helpers.js';

const history = async (instance: Instance, query: string) => {
  const res = await instance.app.inject({ url: `/v1/history?${query}`, headers: admin });
  assert.equal(res.statusCode, 200, res.body);
  return res.json() as { from: number; to: number; timestamps: number[]; series: Record<string, Array<number | null>> };
};
const sum = (points: Array<number | null> | undefined) => (points ?? []).reduce<number>((a, b) => a + (b ?? 0), 0);

describe('quantile (Prometheus histogram_quantile)', () => {
  it('interpolates within the bucket, answers the highest finite bound in +Inf, and null without observations', () => {
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.2, count: 90 },
      { le: 1, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    assert.equal(quantile(buckets, 0.5), 0.1);
    assert.ok(Math.abs(quantile(buckets, 0.7)! - 0.15) < 1e-12);
    assert.ok(Math.abs(quantile(buckets, 0.99)! - 0.92) < 1e-12);
    assert.equal(quantile([...buckets.slice(0, 3), { le: Number.POSITIVE_INFINITY, count: 110 }], 0.99), 1);
    assert.equal(quantile([{ le: Number.POSITIVE_INFINITY, count: 0 }], 0.5), null);
  });
});

describe('the short history, merged across instances', () => {
  const prefix = testPrefix();
  const started: Instance[] = [];
  after(async () => {
    await Promise.all(started.map((i) => i.close()));
    await deletePrefix(prefix);
  });
  const start = async (clock?: Clock, background = false) => {
    const instance = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 50 }, { background, ...(clock ? { clock } : {}) });
    started.push(instance);
    return instance;
  };

  it('two instances: shared figures once per second, their counts summed, p99 from the summed buckets; another instance reads it all', async () => {
    // Both instances on one clock, moved by hand: each sample() covers the second that just ended.
    let now = Math.floor(Date.now() / 1000) * 1000 + 200;
    const clock = { now: () => now };
    const [a, b] = [await start(clock), await start(clock)];
    const room = await createRoom(a.app, { id: uniqueId('hist'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const campaign = await createCampaign(a.app, { id: uniqueId('hist'), stock: 4 });
    const { apiKey } = await createPartner(a.app);
    for (const user of ['ann', 'bob', 'cyd']) await enter(b.app, room.id, user);
    assert.equal(await a.ctx.history.sample(), true);
    assert.equal(await b.ctx.history.sample(), true);
    assert.equal(await a.ctx.history.sample(), false, 'once per second');

    for (const user of ['u1', 'u2']) assert.equal((await claim(a.app, campaign.id, user, apiKey)).status, 201);
    for (const user of ['u3', 'u4', 'u5']) await claim(b.app, campaign.id, user, apiKey); // the last is sold out
    // Latencies of one route seen by each instance: 97 fast ones on a, 3 slow ones on b.
    const route = { route: '/v1/test-route', method: 'GET', status_code: 200 };
    for (let i = 0; i < 97; i++) a.ctx.infra.metrics.httpDuration.observe(route, 0.003);
    for (let i = 0; i < 3; i++) b.ctx.infra.metrics.httpDuration.observe(route, 2);

    now += 1000;
    const second = Math.floor(now / 1000) - 1;
    await Promise.all([a.ctx.history.sample(), b.ctx.history.sample()]);

    const rooms = await history(a, `kind=room&entity=${room.id}&seconds=2`);
    assert.deepEqual(rooms.timestamps, [second - 1, second]);
    assert.equal(rooms.to, second);
    assert.equal(rooms.series.waiting!.at(-1), 3);
    assert.equal(rooms.series.admitPerSecond!.at(-1), 1);
    assert.equal(rooms.series.paused!.at(-1), 0);

    const campaigns = await history(b, `kind=campaign&entity=${campaign.id}&seconds=2`);
    assert.equal(campaigns.series['claims.confirmed']!.at(-1), 4, 'the claims of both instances, summed');
    assert.equal(campaigns.series['claims.sold_out']!.at(-1), 1);
    assert.equal(campaigns.series.claimed!.at(-1), 4);
    assert.equal(campaigns.series.remaining!.at(-1), 0);
    // Two different figures: claims in the log not yet known to be committed, and claims answered 202.
    assert.equal(typeof campaigns.series.pending!.at(-1), 'number');
    assert.equal(campaigns.series['claims.pending'], undefined);

    const routes = await history(a, `kind=route&entity=${encodeURIComponent('GET /v1/test-route')}&seconds=1`);
    assert.equal(routes.series['duration.count']![0], 100);
    assert.equal(routes.series['status.200']![0], 100);
    // p99 of the union: the 99th of 100 falls among b's slow ones (1 s < x <= 2.5 s): 1 + 1.5 × 2/3.
    // Either instance alone would say 0.005 s or 2.485 s; their mean 1.245 s.
    assert.ok(Math.abs(routes.series['duration.p99']![0]! - 2) < 1e-9, String(routes.series['duration.p99']![0]));

    // The history of the claim route is there too, and every series is one point per second.
    const claims = await history(a, `kind=route&entity=${encodeURIComponent('POST /v1/campaigns/:campaignId/claims')}&seconds=1`);
    assert.equal(claims.series['status.201']![0], 4);
    assert.equal(claims.series['status.410']![0], 1);

    // A reload on a third instance (the first two gone) sees the same picture.
    const c = await start(clock);
    assert.deepEqual(await history(c, `kind=campaign&entity=${campaign.id}&seconds=2`), campaigns);

    // Kept 15 minutes: the window never holds more, an hour later nothing is left of it, and Redis expires the minutes.
    const redis = testRedis();
    try {
      const ttl = await redis.ttl(minuteKey(prefix, 'campaign', campaign.id, Math.floor(second / 60)));
      assert.ok(ttl > HISTORY_SECONDS && ttl <= MINUTE_TTL_SECONDS, `ttl ${ttl}`);
    } finally {
      redis.disconnect();
    }
    const full = await history(c, `kind=campaign&entity=${campaign.id}`);
    assert.equal(full.timestamps.length, HISTORY_SECONDS);
    assert.equal(sum(full.series['claims.confirmed']), 4);
    now += (HISTORY_SECONDS + 1) * 1000;
    const later = await history(c, `kind=campaign&entity=${campaign.id}`);
    assert.equal(later.timestamps.length, HISTORY_SECONDS);
    assert.deepEqual(later.series, {});
  });

  it('running loops on two instances: every second sampled once, every claim counted once', async () => {
    const [a, b] = [await start(undefined, true), await start(undefined, true)];
    const campaign = await createCampaign(a.app, { id: uniqueId('live'), stock: 100 });
    const { apiKey } = await createPartner(a.app);
    const startedAt = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 30; i++) {
      assert.equal((await claim(i % 2 ? a.app : b.app, campaign.id, `user-${i}`, apiKey)).status, 201);
      await new Promise((resolve) => setTimeout(resolve, 50)); // spread over ~2 seconds
    }
    const seen = await eventually(
      async () => {
        const h = await history(b, `kind=campaign&entity=${campaign.id}&seconds=30`);
        return sum(h.series['claims.confirmed']) === 30 && h.series.claimed?.at(-1) === 30 ? h : undefined;
      },
      8_000,
      500,
    );
    // Every second since both instances were sampling has its shared figures.
    const from = seen.timestamps.indexOf(startedAt + 1);
    assert.ok(from >= 0);
    const gaps = seen.series.claimed!.slice(from).filter((v) => v === null).length;
    assert.equal(gaps, 0, `seconds without a sample: ${gaps}`);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const again = await history(a, `kind=campaign&entity=${campaign.id}&seconds=30`);
    assert.equal(sum(again.series['claims.confirmed']), 30, 'no claim counted twice');
  });

  it('GET /v1/history: the admin token, and bad input is a 400 with the error body', async () => {
    const [a] = started;
    const unauthenticated = await a!.app.inject({ url: '/v1/history?kind=room&entity=x' });
    assert.equal(unauthenticated.statusCode, 401);
    const wrong = await a!.app.inject({ url: '/v1/history?kind=room&entity=x', headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } });
    assert.equal(wrong.statusCode, 401);
    for (const query of [
      '',
      'kind=room',
      'entity=x',
      'kind=Room&entity=x',
      'kind=room&entity=a%7Bb%7D',
      'kind=room&entity=',
      `kind=room&entity=${'x'.repeat(201)}`,
      'kind=room&entity=x&seconds=0',
      'kind=room&entity=x&seconds=901',
      'kind=room&entity=x&seconds=1.5',
      'kind=room&entity=x&seconds=-1',
      'kind=room&entity=x&kind=campaign',
      'kind=room&entity=x&archived=true',
    ]) {
      const res = await a!.app.inject({ url: `/v1/history?${query}`, headers: admin });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(res.json().error.code, 'invalid_request', query);
    }
    // Whatever the query holds: a 200 or a 4xx with the error body, never a 5xx.
    const text = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 10 }),
      fc.constantFrom('room', 'GET /v1/x', '{', '}', '900', '0900', '1e2'),
    );
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom('kind', 'entity', 'seconds', 'x'), text, { maxKeys: 4 }), async (query) => {
        const res = await a!.app.inject({ url: `/v1/history?${new URLSearchParams(query)}`, headers: admin });
        assert.ok(res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500), `${JSON.stringify(query)}: ${res.statusCode}`);
        if (res.statusCode !== 200) assert.equal(typeof res.json().error.message, 'string');
      }),
      { numRuns: 200 },
    );
    const unknown = await history(a!, 'kind=room&entity=nobody-here&seconds=900');
    assert.equal(unknown.timestamps.length, 900);
    assert.deepEqual(unknown.series, {});
  });
});
