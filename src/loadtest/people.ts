/**
 * The waiting people of a waiting-room load test, in columns indexed by arrival number. Seed 004
 * keeps ~240,000 of them waiting at once on the machine under test; as suspended async functions
 * (frame, promises, closures, an object per ticket) they cost ~1 KB each and a major garbage
 * collection of the generator's heap stalled it for 100-250 ms, time counted as the target's
 * latency. Here a person is a string and a few numbers (~100 bytes), and the collector has almost
 * nothing to trace.
 */
export class People {
  private capacity = 0;
  private ticketIds: Array<string | undefined> = [];
  private ticketNos = new Float64Array(0);
  private admittedAts = new Float64Array(0);
  private lastWaitingAts = new Float64Array(0);
  private pollAfters = new Float64Array(0);
  /** Arrivals that got a ticket. */
  private added = 0;

  /** Records arrival `i`'s ticket, first seen waiting at `now`. */
  add(i: number, ticketId: string, now: number): void {
    if (i >= this.capacity) this.grow(i + 1);
    this.ticketIds[i] = ticketId;
    this.ticketNos[i] = Number(ticketId.slice(0, ticketId.indexOf('.')));
    this.admittedAts[i] = NaN;
    this.lastWaitingAts[i] = now;
    this.added++;
  }

  ticketId(i: number): string {
    return this.ticketIds[i]!;
  }

  seenWaiting(i: number, now: number, pollAfterMs: number): void {
    this.lastWaitingAts[i] = now;
    this.pollAfters[i] = pollAfterMs;
  }

  pollAfterMs(i: number): number {
    return this.pollAfters[i]!;
  }

  admitted(i: number, now: number): void {
    this.admittedAts[i] = now;
  }

  get size(): number {
    return this.added;
  }

  /** Distinct ticket numbers handed out (equal to size unless the target gave one ticket twice). */
  distinctTickets(): number {
    const seen = new Set<number>();
    for (let i = 0; i < this.capacity; i++) if (this.ticketIds[i] !== undefined) seen.add(this.ticketNos[i]!);
    return seen.size;
  }

  /** What each ticket's holder saw, for the admission-order audit. */
  tickets(): Array<{ ticketNo: number; admittedAt: number | null; lastWaitingAt: number | null }> {
    const out = [];
    for (let i = 0; i < this.capacity; i++) {
      if (this.ticketIds[i] === undefined) continue;
      const admittedAt = this.admittedAts[i]!;
      out.push({
        ticketNo: this.ticketNos[i]!,
        admittedAt: Number.isNaN(admittedAt) ? null : admittedAt,
        lastWaitingAt: this.lastWaitingAts[i]!,
      });
    }
    return out;
  }

  private grow(atLeast: number): void {
    const capacity = Math.max(atLeast, this.capacity * 2, 1024);
    const widen = (old: Float64Array) => {
      const next = new Float64Array(capacity);
      next.set(old);
      return next;
    };
    this.ticketNos = widen(this.ticketNos);
    this.admittedAts = widen(this.admittedAts);
    this.lastWaitingAts = widen(this.lastWaitingAts);
    this.pollAfters = widen(this.pollAfters);
    this.capacity = capacity;
  }
}
