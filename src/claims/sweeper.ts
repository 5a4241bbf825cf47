import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { execPipeline } from '../redis/pipeline.js';
import type { ClaimIds } from './claim-ids.js';
import { campaignKeys } from './keys.js';
import { parseLogEntry } from './log-entry.js';
import type { CampaignRepository } from './repository.js';
import type { ClaimWriter } from './writer.js';

/** A log entry older than this belongs to a writer that died or to a database that was down. */
const ORPHAN_AFTER_MS = 3_000;
const PAGE = 1_000;

/**
 * Recovery: persists claim log entries whose writer did not (process killed, PostgreSQL down),
 * idempotently, then deletes them. Runs in every instance; two sweepers persisting the same entry
 * write it once (ON CONFLICT DO NOTHING), so no coordination is needed.
 */
export class ClaimSweeper {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly repository: CampaignRepository,
    private readonly writer: ClaimWriter,
    private readonly claimIds: ClaimIds,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Sweeps one campaign; `all` also takes young entries (used before a rebuild). Returns the count persisted. */
  async sweep(campaignId: string, options: { all?: boolean } = {}): Promise<number> {
    const key = campaignKeys(this.prefix, campaignId).log;
    const end = options.all ? '+' : String(Date.now() - ORPHAN_AFTER_MS);
    let total = 0;
    for (;;) {
      const entries = await this.redis.xrange(key, '-', end, 'COUNT', PAGE);
      if (entries.length === 0) return total;
      const claims = entries.map(([id, fields]) => ({ logId: id, claim: parseLogEntry(campaignId, fields[1]!, this.claimIds) }));
      const outcome = await this.repository.persist(claims.map((c) => c.claim));
      const done = claims.filter((c) => outcome.inserted.has(c.claim.claimId) || outcome.existing.has(c.claim.claimId));
      const colliding = claims.filter((c) => !done.includes(c));
      if (colliding.length > 0) {
        // Never confirmed, never stored: park them (with their log entry) for an operator instead
        // of retrying them every second.
        this.log.error({ campaignId, count: colliding.length }, 'logged claims collide with stored claims; parked in the dead stream');
        const keys = campaignKeys(this.prefix, campaignId);
        const pipeline = this.redis.pipeline();
        for (const c of colliding) pipeline.xadd(keys.dead, '*', 'logId', c.logId, 'c', entries.find(([id]) => id === c.logId)![1][1]!);
        // Throws if Redis did not take them: the log is then left as it is, for the next sweep.
        await execPipeline(pipeline);
      }
      await this.writer.trim(claims.map((c) => ({ campaignId, logId: c.logId })));
      total += outcome.inserted.size;
      if (entries.length < PAGE) return total;
    }
  }
}
