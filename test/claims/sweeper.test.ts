import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { campaignKeys } from '../../src/claims/keys.js';
import { uniqueId, useInstance } from '../helpers.js';
import { createCampaign } from './helpers.js';

describe('claims: recovery sweeper', () => {
  const instance = useInstance({}, { background: false });

  it('persists orphaned log entries idempotently, and parks one that collides with a stored claim', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('sweep'), stock: 10 });
    const keys = campaignKeys(instance.prefix, id);
    const { redis, pool, claims } = instance.ctx;
    const at = Date.now() - 60_000;
    // two accepted claims whose writer died before committing, one of them logged twice
    // (`all`: the sweeper otherwise leaves entries younger than 3 s to their writers)
    await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|alice`);
    await redis.xadd(keys.log, '*', 'c', `2|1|0||${at}|bob`);
    await redis.xadd(keys.log, '*', 'c', `2|1|0||${at}|bob`);
    assert.equal(await claims.sweeper.sweep(id, { all: true }), 2);
    assert.equal(await redis.xlen(keys.log), 0);
    const rows = await pool.query<{ seq: number; user_id: string }>('SELECT seq, user_id FROM claims WHERE campaign_id = $1 ORDER BY seq', [
      id,
    ]);
    assert.deepEqual(rows.rows, [
      { seq: 1, user_id: 'alice' },
      { seq: 2, user_id: 'bob' },
    ]);

    // a log entry claiming seq 1 for someone else must never be stored: it is parked
    await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|mallory`);
    assert.equal(await claims.sweeper.sweep(id, { all: true }), 0);
    assert.equal(await redis.xlen(keys.log), 0);
    assert.equal(await redis.xlen(keys.dead), 1);
    const stored = await pool.query('SELECT user_id FROM claims WHERE campaign_id = $1 AND seq = 1', [id]);
    assert.equal(stored.rows[0].user_id, 'alice');
  });

  it('leaves a colliding entry in the log when it cannot be parked: nothing is dropped', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('sweep'), stock: 10 });
    const keys = campaignKeys(instance.prefix, id);
    const { redis, pool, claims } = instance.ctx;
    const at = Date.now() - 60_000;
    await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|alice`);
    assert.equal(await claims.sweeper.sweep(id, { all: true }), 1);
    // the dead stream cannot be written (a key of the wrong type stands in for any Redis failure)
    await redis.set(keys.dead, 'not a stream');
    await redis.xadd(keys.log, '*', 'c', `1|1|0||${at}|mallory`);
    await assert.rejects(claims.sweeper.sweep(id, { all: true }), /WRONGTYPE/);
    assert.equal(await redis.xlen(keys.log), 1, 'the entry is still in the log, for the next sweep');
    // once the dead stream can be written, the next sweep parks it
    await redis.del(keys.dead);
    assert.equal(await claims.sweeper.sweep(id, { all: true }), 0);
    assert.equal(await redis.xlen(keys.log), 0);
    assert.equal(await redis.xlen(keys.dead), 1);
    const stored = await pool.query('SELECT user_id FROM claims WHERE campaign_id = $1', [id]);
    assert.deepEqual(stored.rows, [{ user_id: 'alice' }]);
  });
});
