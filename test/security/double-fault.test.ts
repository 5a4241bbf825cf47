import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claims } from '../../src/claims/definition.js';
import { campaignKeys } from '../../src/claims/keys.js';
import { CampaignScripts } from '../../src/claims/scripts.js';
import { claim, createCampaign, createPartner, describeCampaign, pooled } from '../claims/helpers.js';
import { deletePrefix, eventually, uniqueId, useInstance } from '../helpers.js';

/**
 * Issue 19, defect 5: an instance dies holding accepted claims (logged, not committed), and within
 * seconds Redis loses the campaign's state, log included. Those claims were never confirmed; their
 * units are held by no surviving record and must be sold again: after recovery claimed =
 * persisted, pending = 0, the whole stock sells, nothing twice.
 */
describe('claims: a dead writer and a Redis that lost the campaign, one after the other', () => {
  const instance = useInstance({}, { background: false });

  for (const daily of [false, true]) {
    it(`units whose claims were lost with both are sold again; nothing is oversold${daily ? ' (daily quota)' : ''}`, async () => {
      const stock = 12;
      const config = daily ? { stock, daily: { opensAt: '00:00', timeZone: 'UTC', quota: stock } } : { stock, perUserLimit: 3 };
      const { id } = await createCampaign(instance.app, { id: uniqueId('double'), ...config });
      const { apiKey } = await createPartner(instance.app);
      const service = instance.ctx.get(claims).service;
      const campaign = (await service.campaigns.get(id))!;
      const day = daily ? new Date().toISOString().slice(0, 10) : '';

      // 1. Three claims accepted by an instance that dies before committing: decided and logged,
      //    never committed (the script runs here without the writer that would commit them).
      const dead = new CampaignScripts(instance.ctx.infra.redis, instance.prefix);
      const lost = await dead.claim(id, day, [
        { userId: 'lost-a', at: Date.now() },
        { userId: 'lost-b', at: Date.now() },
        { userId: 'carl', at: Date.now() },
      ]);
      assert.equal(lost.kind, 'decided');
      // 2. Claims after them are confirmed by a live instance: seqs 4.. are stored, 1..3 are not.
      for (const user of ['u1', 'u2', 'u3', daily ? 'u4' : 'carl']) assert.equal((await claim(instance.app, id, user, apiKey)).status, 201);
      // 3. Redis loses the campaign, log included (restart without persistence).
      await deletePrefix(instance.prefix);
      assert.equal(await instance.ctx.infra.redis.exists(campaignKeys(instance.prefix, id).log), 0);

      // Recovery: the rebuild finds seqs 1..3 held by nobody and sells them again.
      assert.equal(await service.rebuild(id), true);
      const before = await describeCampaign(instance.app, id);
      assert.equal(before.claimed, 4);
      assert.equal(before.persisted, 4);
      assert.equal(before.pending, 0);

      const results = await pooled(
        Array.from({ length: 30 }, (_, i) => () => claim(instance.app, id, `v${i}`, apiKey)),
        10,
      );
      assert.equal(results.filter((r) => r.status === 201).length, stock - 4, 'the rest of the stock sells, holes included');
      assert.ok(results.every((r) => r.status === 201 || r.status === 410));
      const after = await eventually(async () => {
        const c = await describeCampaign(instance.app, id);
        return c.pending === 0 ? c : undefined;
      });
      assert.deepEqual([after.claimed, after.persisted, after.remaining], [stock, stock, 0]);
      const rows = await instance.ctx.infra.pool.query<{ seq: number; day_seq: number | null }>(
        'SELECT seq, day_seq FROM claims WHERE campaign_id = $1 ORDER BY seq',
        [campaign.id],
      );
      assert.deepEqual(
        rows.rows.map((r) => r.seq),
        Array.from({ length: stock }, (_, i) => i + 1),
        'every unit sold exactly once',
      );
      if (daily) {
        assert.deepEqual(
          rows.rows.map((r) => r.day_seq).sort((x, y) => x! - y!),
          Array.from({ length: stock }, (_, i) => i + 1),
        );
      }
      // carl's lost claim (claim number 1) was not his: his stored claim is number 2, and he may claim again up to the limit
      if (!daily) {
        const carl = await instance.app.inject({ url: `/v1/campaigns/${id}/claims/carl`, headers: { 'x-api-key': apiKey } });
        assert.equal(carl.json().claims.length, 1);
      }
    });
  }
});
