// The durable pipeline, shared by every capability that answers "done" only once PostgreSQL has it
// (claims, seat bookings): a capability's Lua script decides and appends the accepted decision to
// the entity's log stream in the same atomic step (accepted ⇔ logged); the instance hands it to
// this group commit, answers once it is committed, and trims the log; a sweeper in every instance
// persists what a dead writer left in the logs. See docs/ARCHITECTURE.md.
import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '../redis/client.js';
import type { Parking } from './parking.js';
import { type DurableStore, type Outcome, persistIsolating } from './persist.js';

/** The entry could not be committed now; it stays in the log and in memory, and will be. */
export class PersistencePending extends Error {
  constructor() {
    super('not committed yet: will be');
    this.name = 'PersistencePending';
  }
}

/** The entry must never be confirmed: it collides with a different stored record, or the database refuses its data. It was parked. */
export class PersistenceRefused extends Error {
  constructor(readonly reason: string) {
    super(`refused: ${reason}`);
    this.name = 'PersistenceRefused';
  }
}

/** An accepted decision and where it is logged. */
export interface Logged<Entry> {
  entity: string;
  logId: string;
  entry: Entry;
}

export interface DurableLogOptions<Entry> {
  /** Names the capability in parked entries and logs. */
  capability: string;
  redis: RedisClient;
  store: DurableStore<Entry>;
  parking: Parking;
  log: FastifyBaseLogger;
  /** The entity's log stream (one hash tag with the entity's other keys). */
  logKey(entity: string): string;
  /** The stream field holding the encoded entry. */
  field: string;
  /** Decodes a log entry as the capability's script wrote it; throws on a malformed one (it is parked). */
  decode(entity: string, value: string): Entry;
  /** Encodes an entry as its log holds it (for parking what the writer refused). */
  encode(entry: Entry): string;
  /**
   * Called once entries the database refused for their data were parked (they will never be
   * stored): the capability gives back what its script reserved for them (a unit of stock, a
   * seat), so that the entity converges. Not called for collisions: their place is taken.
   */
  onParked?(entity: string, entries: readonly Entry[]): Promise<unknown>;
  /** A batch is closed once it holds this many entries. */
  maxBatch?: number;
  /** Batches being committed at once (each on its own connection). */
  maxInFlight?: number;
}

interface Waiter<Entry> extends Logged<Entry> {
  /** When it was handed to the writer (performance.now()). */
  queuedAt: number;
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Two commits in flight, not more: a commit has a large fixed cost (a statement of 10 claims cost
 * ~0.6 ms of PostgreSQL's CPU and ~0.4 ms of this process's, one of 200 claims ~20 and ~12 µs per
 * claim), so fewer, larger batches leave more of the two cores to answering. Against 4 in flight,
 * 2 measured better in 17 of 22 paired rounds at 50 and 500 connections (git log -p docs/BENCHMARKS.md);
 * one batch still fills while two commit.
 */
const MAX_BATCH = 1000;
const MAX_IN_FLIGHT = 2;
const RETRY_EVERY_MS = 1000;
/**
 * Committed entries' log entries are deleted together, at most this often: deleting them after
 * each commit was one more Redis round trip per batch on the busiest resource; an entry left a
 * little longer costs nothing (the sweeper only takes entries older than ORPHAN_AFTER_MS, and
 * persisting one twice is a no-op).
 */
const TRIM_EVERY_MS = 100;
const TRIM_AT_MOST = 10_000;
/** A log entry older than this belongs to a writer that died or to a database that was down. */
export const ORPHAN_AFTER_MS = 3_000;
const SWEEP_PAGE = 1_000;

/**
 * Group commit: the entries accepted while a connection is busy are written together by one
 * multi-row statement, MAX_IN_FLIGHT batches at once, so "committed" is known without one
 * database round trip per entry. Nothing waits on a timer: an entry goes out in the same turn of
 * the event loop when a connection is free, and batches grow by themselves under heavy load.
 * When the database is unreachable, the callers hear PersistencePending (they answer 202) and the
 * entries are retried from memory until it takes them; the log covers a writer that dies. An entry
 * the database refuses for its data fails alone (the batch is split) and is parked.
 */
export class DurableLog<Entry> {
  private batch: Array<Waiter<Entry>> = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly full: Array<Array<Waiter<Entry>>> = [];
  private retry: Array<Logged<Entry>> = [];
  private retryTimer: NodeJS.Timeout | null = null;
  private toTrim: Array<{ entity: string; logId: string }> = [];
  private trimTimer: NodeJS.Timeout | null = null;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  /** Observers, for metrics: each committed batch's size and its entries' waits; failed commits. */
  onBatch: (size: number, lagsMs: number[]) => void = () => {};
  onFailure: () => void = () => {};

  constructor(private readonly options: DurableLogOptions<Entry>) {
    this.maxBatch = options.maxBatch ?? MAX_BATCH;
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
  }

  // ── group commit ─────────────────────────────────────────────────────────────────────────────

  /** Resolves once the entry is committed; rejects with PersistencePending or PersistenceRefused. */
  commit(logged: Logged<Entry>): Promise<void> {
    return new Promise((resolve, reject) => {
      // Fields named one by one: spreading `logged` here measured ~2.5 µs of CPU per claim (V8's
      // object-spread path), more than the rest of the group commit's per-entry work.
      this.batch.push({ entity: logged.entity, logId: logged.logId, entry: logged.entry, resolve, reject, queuedAt: performance.now() });
      if (this.batch.length >= this.maxBatch) this.cut();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  /** Entries this instance holds until PostgreSQL takes them. */
  get backlog(): number {
    return this.retry.length + this.batch.length + this.full.reduce((n, b) => n + b.length, 0);
  }

  private cut(): void {
    if (this.batch.length === 0) return;
    this.full.push(this.batch);
    this.batch = [];
    this.drain();
  }

  /** Sends batches while connections are free: full ones first, then whatever arrived so far. */
  private drain(): void {
    while (this.inFlight < this.maxInFlight) {
      let items = this.full.shift();
      if (!items && this.batch.length > 0) {
        items = this.batch;
        this.batch = [];
      }
      if (!items) return;
      this.inFlight++;
      void this.send(items).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async send(items: Array<Waiter<Entry>>): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await persistIsolating(
        this.options.store,
        items.map((i) => i.entry),
      );
    } catch (err) {
      this.onFailure();
      this.options.log.warn(
        { err, capability: this.options.capability, entries: items.length },
        'batch not committed; answering pending and retrying',
      );
      for (const item of items) {
        this.retry.push({ entity: item.entity, logId: item.logId, entry: item.entry });
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
    const refused = await this.settle(items, outcomes);
    items.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'stored') item.resolve();
      else item.reject(new PersistenceRefused(refused.get(item) ?? 'refused'));
    });
  }

  /**
   * Trims what was stored, parks what was refused (then trims it too). When parking fails, the
   * refused entries stay in the log, where the sweeper finds them again: nothing is dropped.
   */
  private async settle(items: ReadonlyArray<Logged<Entry>>, outcomes: readonly Outcome[]): Promise<Map<Logged<Entry>, string>> {
    const stored: Array<Logged<Entry>> = [];
    const toPark: Array<ToPark<Entry>> = [];
    const refused = new Map<Logged<Entry>, string>();
    items.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.kind === 'stored') {
        stored.push(item);
        return;
      }
      const parked = toParked(item, this.options.encode(item.entry), outcome);
      refused.set(item, parked.reason);
      toPark.push(parked);
    });
    this.trimSoon(stored);
    if (toPark.length > 0) {
      this.options.log.error(
        { capability: this.options.capability, count: toPark.length },
        'accepted entries refused by the database; parked for an operator',
      );
      try {
        await this.park(toPark);
      } catch (err) {
        this.options.log.warn({ err }, 'parking refused entries failed; they stay in the log for the sweeper');
      }
    }
    return refused;
  }

  private async park(entries: ReadonlyArray<ToPark<Entry>>): Promise<void> {
    await this.options.parking.park(
      entries.map(({ entity, logId, value, reason }) => ({ capability: this.options.capability, entity, logId, entry: value, reason })),
    );
    const byEntity = new Map<string, Entry[]>();
    for (const { entity, entry } of entries) {
      if (entry === undefined) continue;
      const list = byEntity.get(entity) ?? [];
      byEntity.set(entity, list);
      list.push(entry);
    }
    // Released before the log is trimmed: if this fails, the next sweep parks (idempotently) and releases again.
    if (this.options.onParked) await Promise.all([...byEntity].map(([entity, list]) => this.options.onParked!(entity, list)));
    await this.trim(entries);
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
      const outcomes = await persistIsolating(
        this.options.store,
        items.map((i) => i.entry),
      );
      await this.settle(items, outcomes);
    } catch {
      this.retry.unshift(...items);
    }
    if (this.retry.length > 0) this.scheduleRetry();
  }

  // ── log trimming ─────────────────────────────────────────────────────────────────────────────

  private trimSoon(entries: ReadonlyArray<{ entity: string; logId: string }>): void {
    for (const { entity, logId } of entries) this.toTrim.push({ entity, logId });
    if (this.toTrim.length >= TRIM_AT_MOST) void this.trimNow();
    else if (!this.trimTimer && this.toTrim.length > 0) {
      this.trimTimer = setTimeout(() => void this.trimNow(), TRIM_EVERY_MS);
      this.trimTimer.unref();
    }
  }

  private async trimNow(): Promise<void> {
    if (this.trimTimer) clearTimeout(this.trimTimer);
    this.trimTimer = null;
    const entries = this.toTrim;
    this.toTrim = [];
    await this.trim(entries).catch((err: unknown) => this.options.log.warn({ err }, 'trimming the log failed; the sweeper will'));
  }

  /**
   * Deletes log entries: one XDEL per entity (its entries share one key), never one command or
   * pipeline across entities, which on a cluster sit in different slots.
   */
  private async trim(entries: ReadonlyArray<{ entity: string; logId: string }>): Promise<void> {
    const byEntity = new Map<string, string[]>();
    for (const { entity, logId } of entries) {
      const ids = byEntity.get(entity) ?? [];
      byEntity.set(entity, ids);
      ids.push(logId);
    }
    await Promise.all([...byEntity].map(([entity, ids]) => this.options.redis.xdel(this.options.logKey(entity), ...ids)));
  }

  // ── recovery ─────────────────────────────────────────────────────────────────────────────────

  /**
   * Persists an entity's log entries that no writer did (process killed, database down),
   * idempotently, then deletes them; entries that must not be stored are parked. `all` also takes
   * young entries (before a rebuild). Runs in every instance: two sweepers persisting the same
   * entry write it once, so no coordination is needed. Returns how many entries it took.
   */
  async sweep(entity: string, options: { all?: boolean } = {}): Promise<number> {
    const key = this.options.logKey(entity);
    const end = options.all ? '+' : String(Date.now() - ORPHAN_AFTER_MS);
    let total = 0;
    for (;;) {
      const page = await this.options.redis.xrange(key, '-', end, 'COUNT', SWEEP_PAGE);
      if (page.length === 0) return total;
      const decoded: Array<Logged<Entry> & { value: string }> = [];
      const toPark: Array<ToPark<Entry>> = [];
      for (const [logId, fields] of page) {
        const value = fieldValue(fields, this.options.field);
        try {
          if (value === null) throw new Error(`no "${this.options.field}" field`);
          decoded.push({ entity, logId, value, entry: this.options.decode(entity, value) });
        } catch (err) {
          toPark.push({ entity, logId, value: value ?? JSON.stringify(fields), reason: `malformed log entry: ${(err as Error).message}` });
        }
      }
      const outcomes = await persistIsolating(
        this.options.store,
        decoded.map((d) => d.entry),
      );
      const stored = decoded.filter((_, i) => outcomes[i]!.kind === 'stored');
      decoded.forEach((item, i) => {
        const outcome = outcomes[i]!;
        if (outcome.kind !== 'stored') toPark.push(toParked(item, item.value, outcome));
      });
      if (toPark.length > 0) {
        this.options.log.error(
          { capability: this.options.capability, entity, count: toPark.length },
          'logged entries refused; parked for an operator',
        );
        // Throws if PostgreSQL did not take them: the log is then left as it is, for the next sweep.
        await this.park(toPark);
      }
      await this.trim(stored);
      total += stored.length;
      if (page.length < SWEEP_PAGE) return total;
    }
  }

  /**
   * Sweeps every entity, each on its own: one entity's failure never keeps the others from being
   * swept. Throws afterwards, naming the entities that failed, if any did.
   */
  async sweepAll(entities: readonly string[]): Promise<void> {
    const failed: Array<{ entity: string; err: unknown }> = [];
    for (const entity of entities) {
      await this.sweep(entity).catch((err: unknown) => failed.push({ entity, err }));
    }
    if (failed.length > 0) {
      throw new AggregateError(
        failed.map((f) => f.err),
        `sweeping ${this.options.capability} failed for ${failed.length} of ${entities.length}: ${failed.map((f) => f.entity).join(', ')}`,
      );
    }
  }

  /** Commits whatever is queued (shutdown, and before a rebuild reads PostgreSQL). */
  async flush(): Promise<void> {
    this.cut();
    while (this.inFlight > 0 || this.full.length > 0) await new Promise((r) => setTimeout(r, 5));
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

/** An entry on its way to parking: `entry` only when its place is to be given back (onParked). */
interface ToPark<Entry> {
  entity: string;
  logId: string;
  value: string;
  reason: string;
  entry?: Entry;
}

/** A refused entry as it is parked: a collision's place is held by the stored record; a data refusal gives its place back. */
function toParked<Entry>(item: Logged<Entry>, value: string, outcome: Exclude<Outcome, { kind: 'stored' }>): ToPark<Entry> {
  const { entity, logId } = item;
  if (outcome.kind === 'conflict') return { entity, logId, value, reason: 'collides with a different stored record' };
  return { entity, logId, value, reason: outcome.reason, entry: item.entry };
}

function fieldValue(fields: string[], name: string): string | null {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  return null;
}
