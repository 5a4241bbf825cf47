// Which terms this instance decides: it takes the lease of any term that has requests waiting and
// nobody deciding (every instance tries; PostgreSQL gives it to one), renews the leases it holds,
// and gives them up when idle or closing. See decider.ts for the guarantees.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FastifyBaseLogger } from 'fastify';
import { type DeciderDeps, TermDecider } from './decider.js';
import { type DecisionStore, FenceLost } from './decision-store.js';

/** A lease not renewed for this long is free: a dead decider is replaced within about this plus one step. */
export const LEASE_MS = 3_000;
const RENEW_EVERY_MS = 1_000;
/** A decider with nothing to decide for this long gives its term up (and its memory). */
const IDLE_RELEASE_MS = 60_000;
/** A wake for a term nobody here decides tries the lease at most this often. */
const WAKE_TRY_EVERY_MS = 200;

export class Deciders {
  readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly running = new Map<string, { decider: TermDecider; done: Promise<void> }>();
  private readonly triedAt = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly store: DecisionStore,
    readonly deciderDeps: DeciderDeps,
    private readonly log: FastifyBaseLogger,
  ) {
    this.renewTimer = setInterval(() => void this.renew(), RENEW_EVERY_MS);
    this.renewTimer.unref();
  }

  /** The background step: takes the terms that wait for a decider. */
  async step(): Promise<void> {
    if (this.closed) return;
    for (const termId of await this.store.termsWaitingForADecider()) {
      if (!this.running.has(termId)) await this.tryStart(termId);
    }
  }

  /** This instance accepted a request for the term: its decider (here or, soon, here) reads at once. */
  wake(termId: string): void {
    const running = this.running.get(termId);
    if (running) {
      running.decider.wake();
      return;
    }
    const now = Date.now();
    if (now - (this.triedAt.get(termId) ?? 0) < WAKE_TRY_EVERY_MS) return;
    this.triedAt.set(termId, now);
    void this.tryStart(termId).catch((err: unknown) => this.log.warn({ err, termId }, 'taking a term over failed'));
  }

  /** The decider running here for the term, if any (tests, metrics). */
  deciderOf(termId: string): TermDecider | undefined {
    return this.running.get(termId)?.decider;
  }

  get count(): number {
    return this.running.size;
  }

  private async tryStart(termId: string): Promise<void> {
    if (this.closed || this.running.has(termId)) return;
    const lease = await this.store.acquire(termId, this.id, LEASE_MS);
    if (!lease || this.closed || this.running.has(termId)) {
      if (lease) await this.store.release(termId, lease.fence);
      return;
    }
    const decider = new TermDecider(termId, lease.fence, lease.decidedSeq, this.deciderDeps);
    this.log.info({ termId, fence: lease.fence, decidedSeq: lease.decidedSeq }, 'deciding term');
    const done = decider
      .run()
      .catch((err: unknown) => {
        if (err instanceof FenceLost) this.log.warn({ termId, fence: lease.fence }, 'term taken over by another decider');
        else this.log.error({ err, termId, fence: lease.fence }, 'the decider stopped on an error; the term will be taken over afresh');
      })
      .finally(async () => {
        this.running.delete(termId);
        // Whatever stopped it, its memory is not to be trusted any more: free the term at once.
        await this.store.release(termId, lease.fence).catch(() => {});
      });
    this.running.set(termId, { decider, done });
  }

  private async renew(): Promise<void> {
    const now = Date.now();
    await Promise.all(
      [...this.running.values()].map(async ({ decider }) => {
        if (now - decider.lastActiveAt > IDLE_RELEASE_MS) {
          decider.stop();
          return;
        }
        const held = await this.store.renew(decider.termId, decider.fence, LEASE_MS).catch(() => true);
        if (!held) decider.stop();
      }),
    );
  }

  /** Stops every decider here (each finishes its batch) and releases their leases. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    const all = [...this.running.values()];
    for (const { decider } of all) decider.stop();
    await Promise.allSettled(all.map((r) => r.done));
  }
}
