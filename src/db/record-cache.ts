import { LRUCache } from 'lru-cache';

export interface RecordCacheOptions {
  /** How long a found record is trusted. */
  ttlMs: number;
  /** How long "no such id" is remembered. */
  missTtlMs: number;
  /** Ids remembered at most (found and missing together): client input cannot grow it without bound. */
  max: number;
  /** Lookups of ids not known to exist allowed per second; beyond, such ids are answered "none". */
  unknownLookupsPerSecond: number;
}

/**
 * Read-mostly definitions (rooms, campaigns…) by id, cached in this instance: a request does not
 * cost a database read. Ids come from clients, so the cache is bounded (LRU, misses included),
 * concurrent lookups of one id share one query, and ids not known to exist (not in the last list
 * of ids, not cached) reach the database at most `unknownLookupsPerSecond` times a second: a
 * flood of made-up ids costs neither memory nor database load. A record created on another
 * instance is found at once unless such a flood is going on at that very moment.
 */
export class RecordCache<T extends object> {
  private readonly entries: LRUCache<string, { record: T | null; at: number }>;
  private readonly loading = new Map<string, Promise<T | null>>();
  private known = new Set<string>();
  private window = { second: 0, lookups: 0 };

  constructor(
    private readonly load: (id: string) => Promise<T | null>,
    private readonly options: RecordCacheOptions,
  ) {
    this.entries = new LRUCache({ max: options.max });
  }

  /** The record, or null when there is none (or an unknown id arrives during a flood). */
  async get(id: string): Promise<T | null> {
    const entry = this.entries.get(id);
    if (entry && Date.now() - entry.at < (entry.record ? this.options.ttlMs : this.options.missTtlMs)) return entry.record;
    if (entry?.record) {
      // Known but old: answer with it while one read renews it.
      this.fetch(id).catch(() => {});
      return entry.record;
    }
    if (!entry && !this.known.has(id) && !this.loading.has(id) && !this.mayLookUpUnknown()) return null;
    return this.fetch(id);
  }

  set(id: string, record: T): void {
    this.known.add(id);
    this.entries.set(id, { record, at: Date.now() });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }

  /** The ids that exist (from the latest list): they are always looked up. */
  setKnownIds(ids: Iterable<string>): void {
    this.known = new Set(ids);
  }

  private fetch(id: string): Promise<T | null> {
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
      pending.then(
        (record) => this.entries.set(id, { record, at: Date.now() }),
        () => {},
      );
    }
    return pending;
  }

  private mayLookUpUnknown(): boolean {
    const second = Math.floor(Date.now() / 1000);
    if (this.window.second !== second) this.window = { second, lookups: 0 };
    return ++this.window.lookups <= this.options.unknownLookupsPerSecond;
  }
}
