import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster } from 'ioredis';
import { campaignKeys } from '../../src/claims/keys.js';
import { masters, type RedisClient } from '../../src/redis/client.js';
import { roomKeys } from '../../src/waiting-room/keys.js';
import { claim, createCampaign, createPartner, describeCampaign, pooled } from '../claims/helpers.js';
import { createRoom, enter, eventually, poll, REDIS_MODE, uniqueId, useInstance } from '../helpers.js';

/** The master (host:port) that serves a key's slot. */
async function masterOf(redis: RedisClient, key: string): Promise<string> {
  if (!(redis instanceof Cluster)) return 'single';
  const slot = Number(await redis.cluster('KEYSLOT', key));
  const range = (await redis.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to)!;
  const [host, port] = range[2]!;
  return `${host}:${port}`;
}

/** Ids (from `make`) until two land on different masters (on a single Redis, the first two). */
async function onTwoMasters(redis: RedisClient, make: () => string, keyOf: (id: string) => string): Promise<[string, string]> {
  const first = make();
  const firstMaster = await masterOf(redis, keyOf(first));
  for (let i = 0; i < 100; i++) {
    const other = make();
    if (REDIS_MODE === 'single' || (await masterOf(redis, keyOf(other))) !== firstMaster) return [first, other];
  }
  throw new Error('no two ids on different masters in 100 tries');
}

describe(`Redis (${REDIS_MODE}): entities on different masters, used at once`, () => {
  const instance = useInstance({ admissionIntervalMs: 50 });

  it('every key of an entity shares one slot, and two rooms and two campaigns on different masters work side by side', async () => {
    const { redis } = instance.ctx.infra;
    if (REDIS_MODE === 'cluster') assert.equal((await masters(redis)).length, 3, 'a 3-master cluster');

    // One hash tag per entity: all of a room's keys, all of a campaign's keys, in one slot.
    for (const keys of [Object.values(roomKeys(instance.prefix, 'r')), Object.values(campaignKeys(instance.prefix, 'c'))]) {
      const masters = new Set(await Promise.all(keys.map((k) => masterOf(redis, k))));
      assert.equal(masters.size, 1);
      if (redis instanceof Cluster) assert.equal(new Set(await Promise.all(keys.map((k) => redis.cluster('KEYSLOT', k)))).size, 1);
    }

    const rooms = await onTwoMasters(
      redis,
      () => uniqueId('room'),
      (id) => roomKeys(instance.prefix, id).st,
    );
    const campaigns = await onTwoMasters(
      redis,
      () => uniqueId('camp'),
      (id) => campaignKeys(instance.prefix, id).st,
    );
    for (const id of rooms) await createRoom(instance.app, { id, admitPerSecond: 200, maxActive: 1000, sessionSeconds: 60 });
    for (const id of campaigns) await createCampaign(instance.app, { id, stock: 50 });
    const { apiKey } = await createPartner(instance.app);

    // At once: 2 x 60 entries, 2 x 80 claims for 50 each, interleaved.
    const work = [
      ...rooms.flatMap((room) => Array.from({ length: 60 }, (_, i) => () => enter(instance.app, room, `u${i}`))),
      ...campaigns.flatMap((campaign) => Array.from({ length: 80 }, (_, i) => () => claim(instance.app, campaign, `u${i}`, apiKey))),
    ].sort(() => Math.random() - 0.5);
    const results = await pooled(work, 40);
    assert.ok(
      results.every((r) => [200, 201, 410].includes(r.status)),
      JSON.stringify(results.filter((r) => ![200, 201, 410].includes(r.status)).slice(0, 3)),
    );

    for (const campaign of campaigns) {
      const stats = await eventually(async () => {
        const c = await describeCampaign(instance.app, campaign);
        return c.pending === 0 ? c : undefined;
      });
      assert.equal(stats.claimed, 50);
      assert.equal(stats.persisted, 50);
    }
    for (const room of rooms) {
      const ticket = (await enter(instance.app, room, 'u0')).body.ticketId as string;
      const admitted = await eventually(async () =>
        (await poll(instance.app, room, ticket)).body.state === 'admitted' ? true : undefined,
      );
      assert.ok(admitted);
    }
  });
});
