import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claims } from '../../src/claims/definition.js';
import { campaignKeys } from '../../src/claims/keys.js';
import { Parking } from '../../src/durable/parking.js';
import { uniqueId, useInstance } from '../helpers.js';
import { createCampaign } from './helpers.js';

describe('claims: recovery sweeper', () => {
  const instance = useInstance({}, { background: false });

  it('persists orphaned log entries idempotently, and parks one that collides with a stored claim', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('sweep'), stock: 10 });
    const keys = campaignKeys(instance.prefix, id);
    const { redis, pool } = instance.ctx.infra;
    const { durable } = instance.ctx.get(claims);
    const at = Date.now() - 60_000;
    // two accepted claims whose writer died before committing, one of them logged twice
    // (`all`: the sweeper otherwise leaves entries younger than 3 s to their writers)
    await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|alice`);
    await redis.xadd(keys.log, '*', 'c', `2|1|0||${at}|bob`);
    await redis.xadd(keys.log, '*', 'c', `2|1|0||${at}|bob`);
    assert.equal(await durable.sweep(id, { all: true }), 3, 'three entries persisted, the replay once');
    assert.equal(await redis.xlen(keys.log), 0);
    const rows = await pool.query<{ seq: number; user_id: string }>('SELECT seq, user_id FROM claims WHERE campaign_id = $1 ORDER BY seq', [
      id,
    ]);
    assert.deepEqual(rows.rows, [
      { seq: 1, user_id: 'alice' },
      { seq: 2, user_id: 'bob' },
    ]);

    // a log entry claiming seq 1 for someone else must never be stored: it is parked, with its reason
    const logId = await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|mallory`);
    assert.equal(await durable.sweep(id, { all: true }), 0);
    assert.equal(await redis.xlen(keys.log), 0);
    const parked = await new Parking(pool).list('claims', id);
    assert.deepEqual(parked, [{ logId, entry: `1|1|0||${at}|mallory`, reason: 'collides with a different stored record' }]);
    const stored = await pool.query('SELECT user_id FROM claims WHERE campaign_id = $1 AND seq = 1', [id]);
    assert.equal(stored.rows[0].user_id, 'alice');
  });

  it('parks a malformed entry and one the database refuses for its data, and persists the others of the page', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('sweep'), stock: 10 });
    const keys = campaignKeys(instance.prefix, id);
    const { redis, pool } = instance.ctx.infra;
    const { durable } = instance.ctx.get(claims);
    const at = Date.now() - 60_000;
    await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|alice`);
    await redis.xadd(keys.log, '*', 'c', 'not a claim');
    await redis.xadd(keys.log, '*', 'c', `2|1|0||${at}|nul\u0000user`);
    await redis.xadd(keys.log, '*', 'c', `3|1|0||${at}|carol`);
    assert.equal(await durable.sweep(id, { all: true }), 2);
    assert.equal(await redis.xlen(keys.log), 0);
    const rows = await pool.query<{ user_id: string }>('SELECT user_id FROM claims WHERE campaign_id = $1 ORDER BY seq', [id]);
    assert.deepEqual(
      rows.rows.map((r) => r.user_id),
      ['alice', 'carol'],
    );
    const parked = await new Parking(pool).list('claims', id);
    assert.equal(parked.length, 2);
    assert.match(parked[0]!.reason, /^malformed log entry/);
    assert.equal(parked[1]!.entry, `2|1|0||${at}|nul\u0000user`, 'kept byte for byte');
    assert.match(parked[1]!.reason, /^22021/, 'PostgreSQL refused the NUL character');
  });
});
