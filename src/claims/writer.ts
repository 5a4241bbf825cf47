import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { execPipeline } from '../redis/pipeline.js';
import { campaignKeys } from './keys.js';
import type { AcceptedClaim, CampaignRepository, InsertOutcome } from './repository.js';

/** The claim could not be committed now; it stays in the log and in memory, and will be. */
export class PersistencePending extends Error {}
/** The claim collides with a different stored claim: it must not be confirmed. */
export class PersistenceConflict extends Error {}

interface Item {
  claim: AcceptedClaim;
  logId: string;
  /** When the claim was handed to the writer (performance.now()). */
  queuedAt: number;
  resolve(): void;
  reject(err: Error): void;
}

export interface WriterOptions {
  /** A batch is closed once it holds this many claims. */
  maxBatch: number;
  /** Batches being committed at once (each on its own connection). */
  maxInFlight: number;
}

function isIntegrityError(err: unknown): boolean {
  return typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.startsWith('23');
}

/**
 * Two commits in flight, not more: a commit has a large fixed cost (a statement of 10 claims cost
 * ~0.6 ms of PostgreSQL's CPU and ~0.4 ms of this process's, one of 200 claims ~20 and ~12 µs per
 * claim), so fewer, larger batches leave more of the two cores to answering. Against 4 in flight,
 * 2 measured better in 17 of 22 paired rounds at 50 and 500 connections (docs/BENCHMARKS.md,
 * "what the commit costs"); one batch still fills while two commit.
 */
const DEFAULTS: WriterOptions = { maxBatch: 1000, maxInFlight: 2 };
const RETRY_EVERY_MS = 1000;
/**
 * Committed claims' log entries are deleted together, at most this often. Deleting them after
 * each commit was one more Redis round trip per batch, on the claim path's busiest resource; an
 * entry left a little longer costs nothing (the sweeper only takes entries older than 3 s, and
 * persisting one twice is a no-op).
 */
const TRIM_EVERY_MS = 100;
const TRIM_AT_MOST = 10_000;

/**
 * Group commit: the claims accepted while a connection is busy are written together by one
 * multi-row statement, two batches in flight (DEFAULTS), so a 201 means "committed in PostgreSQL"
 * without one database round trip per claim. Nothing waits on a timer: a claim goes out in the same turn
 * of the event loop when a connection is free (a fixed 1 ms window cost every claim 1-2 ms at
 * light load), and batches grow by themselves under heavy load. After the commit the claims' log
 * entries are deleted from Redis, those of many commits together (TRIM_EVERY_MS).
 * When the write fails, the callers hear PersistencePending (they answer 202) and the claims are
 * retried from memory until PostgreSQL takes them; the log in Redis covers a writer that dies.
 */
export class ClaimWriter {
  private batch: Item[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly waiting: Item[][] = [];
  private retry: Array<{ claim: AcceptedClaim; logId: string }> = [];
  private retryTimer: NodeJS.Timeout | null = null;
  /** Committed claims whose log entries are still to be deleted. */
  private toTrim: Array<{ campaignId: string; logId: string }> = [];
  private trimTimer: NodeJS.Timeout | null = null;
  private readonly options: WriterOptions;
  /** Observers, for metrics: each committed batch's size and its claims' waits; failed commits. */
  onBatch: (size: number, lagsMs: number[]) => void = () => {};
  onFailure: () => void = () => {};

  constructor(
    private readonly repository: CampaignRepository,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: FastifyBaseLogger,
    options: Partial<WriterOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  persist(claim: AcceptedClaim, logId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push({ claim, logId, resolve, reject, queuedAt: performance.now() });
      if (this.batch.length >= this.options.maxBatch) this.cut();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  /** Claims waiting for PostgreSQL (for the campaign's `pending` figure and metrics). */
  get backlog(): number {
    return this.retry.length + this.batch.length + this.waiting.reduce((n, b) => n + b.length, 0);
  }

  /** Closes the current batch (it is full): it waits for a free connection as it is. */
  private cut(): void {
    if (this.batch.length === 0) return;
    this.waiting.push(this.batch);
    this.batch = [];
    this.drain();
  }

  /**
   * Sends batches while connections are free: full ones first, then whatever arrived so far. While
   * every connection is busy, claims keep joining the open batch, which goes as soon as a commit
   * returns: small batches at once when the load is light, large ones when it is heavy.
   */
  private drain(): void {
    while (this.inFlight < this.options.maxInFlight) {
      let items = this.waiting.shift();
      if (!items && this.batch.length > 0) {
        items = this.batch;
        this.batch = [];
      }
      if (!items) return;
      this.inFlight++;
      void this.commit(items).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async commit(items: Item[]): Promise<void> {
    let outcome: InsertOutcome;
    try {
      outcome = await this.repository.persist(items.map((i) => i.claim));
    } catch (err) {
      if (isIntegrityError(err) && items.length > 1) {
        // One claim breaks a constraint (it must not be stored): the others must not wait on it.
        await Promise.all(items.map((item) => this.commit([item])));
        return;
      }
      if (isIntegrityError(err)) {
        this.log.error({ err, claim: items[0]!.claim }, 'accepted claim violates a database constraint');
        items[0]!.reject(new PersistenceConflict());
        return;
      }
      this.onFailure();
      this.log.warn({ err, claims: items.length }, 'claim batch not committed; answering pending and retrying');
      for (const item of items) {
        this.retry.push({ claim: item.claim, logId: item.logId });
        item.reject(new PersistencePending());
      }
      this.scheduleRetry();
      return;
    }
    const committedAt = performance.now();
    this.onBatch(
      items.length,
      items.map((i) => committedAt - i.queuedAt),
    );
    const done: Array<{ campaignId: string; logId: string }> = [];
    for (const item of items) {
      if (outcome.inserted.has(item.claim.claimId) || outcome.existing.has(item.claim.claimId)) {
        done.push({ campaignId: item.claim.campaignId, logId: item.logId });
        item.resolve();
      } else {
        this.log.error({ claim: item.claim }, 'accepted claim collides with a different stored claim');
        item.reject(new PersistenceConflict());
      }
    }
    this.trimSoon(done);
  }

  private trimSoon(entries: Array<{ campaignId: string; logId: string }>): void {
    for (const entry of entries) this.toTrim.push(entry);
    if (this.toTrim.length >= TRIM_AT_MOST) void this.trimNow();
    else if (!this.trimTimer) {
      this.trimTimer = setTimeout(() => void this.trimNow(), TRIM_EVERY_MS);
      this.trimTimer.unref();
    }
  }

  private async trimNow(): Promise<void> {
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = null;
    const entries = this.toTrim;
    this.toTrim = [];
    await this.trim(entries);
  }

  /** Deletes the log entries of committed claims. Best effort: the sweeper deletes leftovers. */
  async trim(entries: Array<{ campaignId: string; logId: string }>): Promise<void> {
    if (entries.length === 0) return;
    const byCampaign = new Map<string, string[]>();
    for (const { campaignId, logId } of entries) {
      let ids = byCampaign.get(campaignId);
      if (!ids) byCampaign.set(campaignId, (ids = []));
      ids.push(logId);
    }
    const pipeline = this.redis.pipeline();
    for (const [campaignId, ids] of byCampaign) pipeline.xdel(campaignKeys(this.prefix, campaignId).log, ...ids);
    await execPipeline(pipeline).catch((err: unknown) => this.log.warn({ err }, 'trimming the claim log failed; the sweeper will'));
  }

  private scheduleRetry(): void {
    this.retryTimer ??= setTimeout(() => void this.retryPending(), RETRY_EVERY_MS);
    this.retryTimer.unref();
  }

  private async retryPending(): Promise<void> {
    this.retryTimer = null;
    const items = this.retry.splice(0, 5000);
    if (items.length === 0) return;
    try {
      const outcome = await this.repository.persist(items.map((i) => i.claim));
      const done = items.filter((i) => outcome.inserted.has(i.claim.claimId) || outcome.existing.has(i.claim.claimId));
      if (done.length < items.length) this.log.error({ count: items.length - done.length }, 'pending claims collide with stored claims');
      await this.trim(done.map((i) => ({ campaignId: i.claim.campaignId, logId: i.logId })));
    } catch {
      this.retry.unshift(...items);
    }
    if (this.retry.length > 0) this.scheduleRetry();
  }

  /** Commits whatever is queued (used on shutdown). */
  async flush(): Promise<void> {
    this.cut();
    while (this.inFlight > 0 || this.waiting.length > 0) await new Promise((r) => setTimeout(r, 5));
    if (this.retry.length > 0) await this.retryPending();
    await this.trimNow();
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = null;
  }
}
