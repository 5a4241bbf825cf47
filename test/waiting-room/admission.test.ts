import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitingRoom } from '../../src/waiting-room/definition.js';
import { roomKeys } from '../../src/waiting-room/keys.js';
import {
  createRoom,
  deletePrefix,
  enter,
  eventually,
  type Instance,
  poll,
  scriptRuns,
  sleep,
  startInstance,
  testPrefix,
  uniqueId,
} from '../helpers.js';

describe('waiting room: admission', () => {
  const prefix = testPrefix();
  let first: Instance;
  let second: Instance;

  before(async () => {
    // Two instances on the same Redis and PostgreSQL, both running admission, and fast, so that
    // their steps interleave as much as possible.
    first = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 20 });
    second = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 20 });
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await deletePrefix(prefix);
  });

  it('admits in ticket order: the admitted set is always a prefix of the queue', async () => {
    const { id } = await createRoom(first.app, { id: uniqueId('fifo'), admitPerSecond: 15, maxActive: 1000, sessionSeconds: 60 });
    const tickets: string[] = [];
    for (let i = 0; i < 30; i++) tickets.push((await enter(i % 2 ? first.app : second.app, id, `user-${i}`)).body.ticketId);

    const seenAdmittedCounts = new Set<number>();
    const deadline = Date.now() + 2500;
    while (Date.now() < deadline) {
      const states = await Promise.all(tickets.map(async (t) => (await poll(first.app, id, t)).body.state));
      const admitted = states.filter((s) => s === 'admitted').length;
      // every ticket before the last admitted one is admitted, every one after it is waiting
      assert.deepEqual(states, [...Array(admitted).fill('admitted'), ...Array(30 - admitted).fill('waiting')]);
      seenAdmittedCounts.add(admitted);
      await sleep(100);
    }
    assert.ok(seenAdmittedCounts.size >= 5, `admission should progress gradually, saw ${[...seenAdmittedCounts]}`);
  });

  it('does not bank credit while nobody waits: a crowd after a quiet spell is admitted at the rate', async () => {
    const rate = 20;
    const { id } = await createRoom(first.app, { id: uniqueId('quiet'), admitPerSecond: rate, maxActive: 1000, sessionSeconds: 60 });
    const keys = roomKeys(prefix, id);
    await sleep(1500); // the admission steps run on an empty queue: a second and a half of credit unused
    const startedAt = Date.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => enter(i % 2 ? first.app : second.app, id, `crowd-${i}`)));
    while (Date.now() - startedAt < 800) {
      const admitted = Number((await first.ctx.infra.redis.hget(keys.st, 'admittedTotal')) ?? 0);
      const allowed = Math.floor((rate * (Date.now() - startedAt)) / 1000) + 2; // the rate, plus a carried fraction
      assert.ok(admitted <= allowed, `${admitted} admitted ${Date.now() - startedAt} ms after the crowd came, at ${rate}/s`);
      await sleep(20);
    }
    await eventually(async () => (Number(await first.ctx.infra.redis.hget(keys.st, 'admittedTotal')) >= 10 ? true : undefined), 2000);
  });

  it('two instances admitting concurrently respect the rate and maxActive', async () => {
    const rate = 20;
    const maxActive = 25;
    const { id } = await createRoom(first.app, { id: uniqueId('bounds'), admitPerSecond: rate, maxActive, sessionSeconds: 60 });
    const keys = roomKeys(prefix, id);
    for (let i = 0; i < 120; i++) await enter(i % 2 ? first.app : second.app, id, `user-${i}`);

    const redis = first.ctx.infra.redis;
    const admittedTotal = async () => Number((await redis.hget(keys.st, 'admittedTotal')) ?? 0);
    await eventually(async () => ((await admittedTotal()) > 0 ? true : undefined));
    const start = Date.now();
    const base = await admittedTotal();
    const samples: Array<{ at: number; admitted: number; active: number }> = [];
    while (Date.now() - start < 3000) {
      const [admitted, active] = await Promise.all([admittedTotal(), redis.zcard(keys.active)]);
      samples.push({ at: Date.now() - start, admitted: admitted - base, active });
      assert.ok(active <= maxActive, `active ${active} > maxActive ${maxActive}`);
      await sleep(25);
    }
    for (const { at, admitted } of samples) {
      // at most one second's worth banked, plus the rate over the elapsed time
      assert.ok(admitted <= Math.ceil((rate * at) / 1000) + rate + 1, `${admitted} admitted after ${at} ms`);
    }
    // full until capacity frees up
    const last = samples.at(-1)!;
    assert.equal(last.active, maxActive);
    assert.equal(await admittedTotal(), maxActive);

    // sessions ending free slots, which are refilled, still never above maxActive
    const statuses = await redis.hgetall(keys.status);
    const admittedTickets = Object.keys(statuses)
      .map(Number)
      .sort((a, b) => a - b);
    const pipeline = redis.pipeline();
    for (const ticketNo of admittedTickets.slice(0, 10)) pipeline.hset(keys.status, ticketNo, 'C').zrem(keys.active, ticketNo);
    await pipeline.exec();
    await eventually(async () => ((await admittedTotal()) === maxActive + 10 ? true : undefined));
    await sleep(300);
    assert.equal(await redis.zcard(keys.active), maxActive);
    assert.equal(await admittedTotal(), maxActive + 10);
  });

  it('steps idle rooms rarely, and an entry wakes its room at once', async () => {
    // An instance of its own (its own key prefix): every room of the database is idle there.
    const ownPrefix = testPrefix();
    const instance = await startInstance({ redisPrefix: ownPrefix, admissionIntervalMs: 20 });
    try {
      const { id } = await createRoom(instance.app, { id: uniqueId('idle'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 });
      const rooms = (await instance.ctx.get(waitingRoom).rooms.list()).length;
      // each room stepped once at least (its configuration restored in this prefix): nobody waits, no session is active
      await eventually(async () => ((await scriptRuns(instance.ctx, 'admit')) >= rooms ? true : undefined), 10_000);
      await sleep(100);
      const before = await scriptRuns(instance.ctx, 'admit');
      await sleep(1000);
      const runs = (await scriptRuns(instance.ctx, 'admit')) - before;
      // stepped every 20 ms, that would be 50 runs per room; idle, one every 2 s
      assert.ok(runs <= rooms, `${runs} admission steps in a second for ${rooms} idle rooms`);

      const enteredAt = Date.now();
      const ticket = (await enter(instance.app, id, 'wakes-it')).body.ticketId as string;
      await eventually(async () => ((await poll(instance.app, id, ticket)).body.state === 'admitted' ? true : undefined), 5000, 10);
      assert.ok(Date.now() - enteredAt < 1000, `admitted ${Date.now() - enteredAt} ms after entering an idle room`);
    } finally {
      await instance.close();
      await deletePrefix(ownPrefix);
    }
  });

  it('paused rooms admit nobody; resuming admits again (PATCH takes effect within a second)', async () => {
    const { id } = await createRoom(first.app, { id: uniqueId('pause'), admitPerSecond: 50, maxActive: 100, sessionSeconds: 60 });
    const patch = (payload: object) =>
      first.app.inject({
        method: 'PATCH',
        url: `/v1/rooms/${id}`,
        headers: { authorization: 'Bearer test-admin-token-0123456789' },
        payload,
      });
    assert.equal((await patch({ paused: true })).statusCode, 200);
    const a = await enter(first.app, id, 'a');
    await sleep(1000);
    assert.equal((await poll(first.app, id, a.body.ticketId)).body.state, 'waiting');
    const resumedAt = Date.now();
    await patch({ paused: false });
    await eventually(async () => ((await poll(second.app, id, a.body.ticketId)).body.state === 'admitted' ? true : undefined), 2000);
    assert.ok(Date.now() - resumedAt < 1000 + 500);
  });
});
