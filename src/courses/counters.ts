import type { RedisClient } from '../redis/client.js';
import { termKeys } from './keys.js';

/** A term's counters as this instance last read them from Redis. */
export interface TermCountersView {
  ready: boolean;
  /** The last seq given. */
  seq: number;
  /** Every seq up to this one is decided. */
  decided: number;
  /** Seqs decided per second lately (0 until known). */
  decidedPerSecond: number;
  fetchedAt: number;
}

const MAX_AGE_MS = 100;

/**
 * Caches each term's counters for MAX_AGE_MS, so that a poll for a queued request is answered
 * without a Redis round trip: its position is `seq - decided`. Renewed in the background once
 * half that age has passed; concurrent misses share one read.
 */
export class TermCounters {
  private readonly views = new Map<string, TermCountersView>();
  private readonly inflight = new Map<string, Promise<TermCountersView>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async get(termId: string, options: { fresh?: boolean } = {}): Promise<TermCountersView> {
    const cached = this.views.get(termId);
    const age = cached ? Date.now() - cached.fetchedAt : Infinity;
    if (!options.fresh && cached && age < MAX_AGE_MS) {
      if (age >= MAX_AGE_MS / 2 && !this.inflight.has(termId)) this.read(termId).catch(() => {});
      return cached;
    }
    return this.read(termId);
  }

  private read(termId: string): Promise<TermCountersView> {
    const running = this.inflight.get(termId);
    if (running) return running;
    const read = this.redis
      .hmget(termKeys(this.prefix, termId).st, 'ready', 'seq', 'decided')
      .then(([ready, seq, decided]) => {
        const previous = this.views.get(termId);
        const now = Date.now();
        const view: TermCountersView = {
          ready: ready === '1',
          seq: Number(seq ?? 0),
          decided: Number(decided ?? 0),
          decidedPerSecond: 0,
          fetchedAt: now,
        };
        if (previous && now > previous.fetchedAt && view.decided >= previous.decided) {
          const instant = ((view.decided - previous.decided) * 1000) / (now - previous.fetchedAt);
          view.decidedPerSecond = previous.decidedPerSecond === 0 ? instant : 0.8 * previous.decidedPerSecond + 0.2 * instant;
        }
        this.views.set(termId, view);
        return view;
      })
      .finally(() => this.inflight.delete(termId));
    this.inflight.set(termId, read);
    return read;
  }
}
