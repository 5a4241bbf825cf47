/** Wake-ups are rounded up to this many milliseconds. */
const TICK_MS = 10;

/**
 * Sleeping flows, woken by one timer. A simulated crowd spends most of its life asleep between
 * polls (300,000 people waiting, each told to come back in up to 90 s); a Node timer, a closure
 * and a set entry for each of them cost ~300 bytes apiece, and the garbage collector's time to
 * trace them is taken from the target when both share a machine. Here a sleeper is one resolver in
 * the bucket of its wake-up tick.
 */
export class Sleepers {
  private readonly buckets = new Map<number, Array<(awake: boolean) => void>>();
  private timer: NodeJS.Timeout | null = null;
  /** The next tick whose bucket has not been woken yet. */
  private nextTick = 0;
  private closed = false;

  constructor(private readonly now: () => number) {}

  /** Resolves true after `ms`, or false once the run is over. */
  sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    const tick = Math.max(Math.ceil((this.now() + ms) / TICK_MS), this.nextTick);
    return new Promise((resolve) => {
      let bucket = this.buckets.get(tick);
      if (!bucket) this.buckets.set(tick, (bucket = []));
      bucket.push(resolve);
      this.timer ??= setInterval(() => this.wake(), TICK_MS);
    });
  }

  private wake(): void {
    const current = Math.floor(this.now() / TICK_MS);
    for (; this.nextTick <= current; this.nextTick++) {
      const bucket = this.buckets.get(this.nextTick);
      if (!bucket) continue;
      this.buckets.delete(this.nextTick);
      for (const resolve of bucket) resolve(true);
    }
    if (this.buckets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Ends every sleep at once (with false) and refuses new ones. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const bucket of this.buckets.values()) for (const resolve of bucket) resolve(false);
    this.buckets.clear();
  }
}
