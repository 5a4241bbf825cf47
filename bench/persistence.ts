// Bulk persistence: how long PostgreSQL takes to store 100,000 accepted claims through the
// writer's statement (multi-row INSERT … SELECT FROM unnest, with the outbox CTE; the idempotent
// ON CONFLICT variant only when some are stored already). The bench sends batches of 5,000, 4 at a
// time; the writer's own are at most 1,000, 2 at a time, which measured within 5% of it on one
// machine (git log -p docs/BENCHMARKS.md: "Bulk persistence on a slower machine"). Seed 002: JDBC batches
// 3,640 ms, JPA 53,254 ms for 100k rows.
import { randomBytes } from 'node:crypto';
import { ClaimIds } from '../src/claims/claim-ids.js';
import { type AcceptedClaim, CampaignRepository } from '../src/claims/repository.js';
import { createPool } from '../src/db/pool.js';

export async function bulkPersistence(databaseUrl: string, total = 100_000, batchSize = 10_000, parallel = 4) {
  const pool = createPool(databaseUrl, parallel);
  try {
    const repository = new CampaignRepository(pool);
    const campaignId = `bench-bulk-${randomBytes(3).toString('hex')}`;
    await repository.insert({
      id: campaignId,
      stock: total,
      perUserLimit: 1,
      opensAt: null,
      closesAt: null,
      daily: null,
      roomId: null,
      webhookUrl: null,
      clientRate: null,
    });
    const ids = new ClaimIds(randomBytes(32));
    const now = Date.now();
    const claims: AcceptedClaim[] = Array.from({ length: total }, (_, i) => ({
      campaignId,
      seq: i + 1,
      userId: `bulk-user-${i}`,
      userClaimNo: 1,
      claimId: ids.for(campaignId, i + 1),
      day: null,
      daySeq: null,
      claimedAt: now,
    }));
    const batches: AcceptedClaim[][] = [];
    for (let i = 0; i < total; i += batchSize) batches.push(claims.slice(i, i + batchSize));
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < batches.length) await repository.persist(batches[next++]!);
      }),
    );
    const ms = performance.now() - started;
    const stored = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1', [campaignId])).rows[0]!
      .n;
    if (stored !== total) throw new Error(`stored ${stored} of ${total}`);
    return { total, batchSize, parallel, ms: Math.round(ms), rowsPerSecond: Math.round((total * 1000) / ms) };
  } finally {
    await pool.end();
  }
}
