import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import type { DurableLog } from './log.js';

/** How long a rebuild waits for decisions already accepted to reach PostgreSQL before reading it. */
const SETTLE_MS = 1_000;
const LEASE_MS = 30_000;

/**
 * What a capability supplies to rebuild one entity's Redis state from PostgreSQL: its lease key
 * (one hash tag with the entity), how to stop deciding (`begin`: false when there is nothing to
 * rebuild, e.g. the entity does not exist), and how to write the restored state, applied only if
 * the lease token still holds it (`restore`: true when written).
 */
export interface RebuildSteps {
  leaseKey: string;
  begin(): Promise<boolean>;
  restore(leaseToken: string): Promise<boolean>;
}

/**
 * Rebuilds entities whose Redis state was lost (restart without persistence, flush, failover):
 * the state is a cache of PostgreSQL plus the surviving log. The lease keeps instances from doing
 * the same work twice; correctness does not depend on it: nothing is decided until the restore
 * marks the state ready, and the restore is applied only by the lease's holder.
 */
export class Rebuilds {
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly durable: DurableLog<unknown>,
    private readonly log: FastifyBaseLogger,
  ) {}

  /** Starts rebuilding `entity` unless this instance already is; failures are logged and retried on next demand. */
  start(entity: string, steps: () => RebuildSteps): void {
    if (this.running.has(entity)) return;
    const run = this.run(entity, steps())
      .catch((err: unknown) => this.log.warn({ err, entity }, 'rebuild failed; will retry on the next request'))
      .finally(() => this.running.delete(entity));
    this.running.set(entity, run);
  }

  async run(entity: string, steps: RebuildSteps): Promise<boolean> {
    const token = randomBytes(8).toString('hex');
    if ((await this.redis.set(steps.leaseKey, token, 'PX', LEASE_MS, 'NX')) !== 'OK') return false;
    try {
      if (!(await steps.begin())) return false;
      // Decisions accepted just before the loss may still be on their way to PostgreSQL.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      await this.durable.flush();
      await this.durable.sweep(entity, { all: true });
      return await steps.restore(token);
    } finally {
      // The restore deletes the lease itself when it succeeds; otherwise let another try at once.
      const current = await this.redis.get(steps.leaseKey).catch(() => null);
      if (current === token) await this.redis.del(steps.leaseKey).catch(() => {});
    }
  }
}
