import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claims } from '../../src/claims/definition.js';
import type { AcceptedClaim } from '../../src/claims/repository.js';
import { uniqueId, useInstance } from '../helpers.js';
import { createCampaign } from './helpers.js';

describe('claims: persisting accepted claims', () => {
  const instance = useInstance({}, { background: false });

  const accepted = (campaignId: string, seq: number, userId: string): AcceptedClaim => ({
    campaignId,
    seq,
    userId,
    userClaimNo: 1,
    claimId: `cl_${seq}_${userId}`,
    day: null,
    daySeq: null,
    claimedAt: Date.now(),
  });

  it('writes new claims at once, and sorts replays and collisions out when some are stored already', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('persist'), stock: 10 });
    const repository = instance.ctx.get(claims).repository;
    const [a, b, c] = [accepted(id, 1, 'ann'), accepted(id, 2, 'bob'), accepted(id, 3, 'cat')];

    const first = await repository.insertClaims([a, b]);
    assert.deepEqual([...first.inserted].sort(), [a.claimId, b.claimId]);
    assert.equal(first.existing.size, 0);

    // the same claims again (the sweeper after a writer that committed but did not trim): nothing new
    const replay = await repository.insertClaims([a, b]);
    assert.equal(replay.inserted.size, 0);
    assert.deepEqual([...replay.existing].sort(), [a.claimId, b.claimId]);

    // a batch mixing a stored claim, a new one, and one that takes a stored seq for someone else
    const mallory = accepted(id, 1, 'mallory');
    const mixed = await repository.insertClaims([b, c, mallory]);
    assert.deepEqual([...mixed.inserted], [c.claimId]);
    assert.deepEqual([...mixed.existing], [b.claimId]);
    assert.ok(!mixed.inserted.has(mallory.claimId) && !mixed.existing.has(mallory.claimId), 'a colliding claim is neither');

    const rows = await instance.ctx.infra.pool.query('SELECT seq, user_id FROM claims WHERE campaign_id = $1 ORDER BY seq', [id]);
    assert.deepEqual(rows.rows, [
      { seq: 1, user_id: 'ann' },
      { seq: 2, user_id: 'bob' },
      { seq: 3, user_id: 'cat' },
    ]);
  });
});
