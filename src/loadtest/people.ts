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
  /** When the entry's answer, and the latest poll's, said the person would be admitted (NaN: no ETA). */
  private promisedAtEntry = new Float64Array(0);
  private promisedLately = new Float64Array(0);
  private enteredAts = new Float64Array(0);
  /** Each ETA's error, relative to the wait it predicted, in percent: entry ETAs, and every poll's latest. */
  private readonly etaErrors = { entry: [] as number[], latest: [] as number[] };
  /** Arrivals that got a ticket. */
  private added = 0;

  /** Records arrival `i`'s ticket, first seen waiting at `now`. */
  add(i: number, ticketId: string, now: number): void {
    if (i >= this.capacity) this.grow(i + 1);
    this.ticketIds[i] = ticketId;
    this.ticketNos[i] = Number(ticketId.slice(0, ticketId.indexOf('.')));
    this.admittedAts[i] = NaN;
    this.lastWaitingAts[i] = now;
    this.enteredAts[i] = now;
    this.promisedAtEntry[i] = NaN;
    this.promisedLately[i] = NaN;
    this.added++;
  }

  /** An answer (the entry's, or a poll's) said the person would be admitted in `etaSeconds`. */
  promised(i: number, now: number, etaSeconds: number | null | undefined, atEntry: boolean): void {
    const at = typeof etaSeconds === 'number' ? now + etaSeconds * 1000 : NaN;
    if (atEntry) this.promisedAtEntry[i] = at;
    this.promisedLately[i] = at;
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
    const waited = Math.max(1_000, now - this.enteredAts[i]!);
    for (const [promised, errors] of [
      [this.promisedAtEntry[i]!, this.etaErrors.entry],
      [this.promisedLately[i]!, this.etaErrors.latest],
    ] as const) {
      if (!Number.isNaN(promised)) errors.push((Math.abs(now - promised) / waited) * 100);
    }
  }

  /** Median and 90th percentile of the ETAs' errors (percent of the wait), entry ETAs and latest ones. */
  etaAccuracy(): { entry: { median: number; p90: number; count: number }; latest: { median: number; p90: number; count: number } } {
    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
      return { median: at(0.5), p90: at(0.9), count: sorted.length };
    };
    return { entry: summary(this.etaErrors.entry), latest: summary(this.etaErrors.latest) };
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
    this.promisedAtEntry = widen(this.promisedAtEntry);
    this.promisedLately = widen(this.promisedLately);
    this.enteredAts = widen(this.enteredAts);
    this.lastWaitingAts = widen(this.lastWaitingAts);
    this.pollAfters = widen(this.pollAfters);
    this.capacity = capacity;
  }
}
