/** Wake-ups are rounded up to this many milliseconds. */
const TICK_MS = 10;

/** Called when a sleep ends: `awake` is false when the run ended instead. */
export type Wake = (awake: boolean, id: number) => void;

/**
 * Sleeping flows, woken by one timer. A simulated crowd spends most of its life asleep between
 * polls (300,000 people waiting, each told to come back in up to 90 s); a Node timer, a closure
 * and a set entry for each of them cost ~300 bytes apiece, and the garbage collector's time to
 * trace them is taken from the target when both share a machine. Here a sleeper is two slots in
 * the bucket of its wake-up tick: a function shared by many sleepers and a number.
 */
export class Sleepers {
  /** tick → [wake, id, wake, id, ...] */
  private readonly buckets = new Map<number, Array<Wake | number>>();
  private timer: NodeJS.Timeout | null = null;
  /** The next tick whose bucket has not been woken yet. */
  private nextTick = 0;
  private closed = false;

  constructor(private readonly now: () => number) {}

  /** Resolves true after `ms`, or false once the run is over. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => this.later(ms, resolve, 0));
  }

  /** Calls `wake(true, id)` after `ms`, or `wake(false, id)` once the run is over. */
  later(ms: number, wake: Wake, id: number): void {
    if (this.closed) {
      queueMicrotask(() => wake(false, id));
      return;
    }
    const tick = Math.max(Math.ceil((this.now() + ms) / TICK_MS), this.nextTick);
    let bucket = this.buckets.get(tick);
    if (!bucket) this.buckets.set(tick, (bucket = []));
    bucket.push(wake, id);
    this.timer ??= setInterval(() => this.wake(), TICK_MS);
  }

  private wake(): void {
    const current = Math.floor(this.now() / TICK_MS);
    for (; this.nextTick <= current; this.nextTick++) {
      const bucket = this.buckets.get(this.nextTick);
      if (!bucket) continue;
      this.buckets.delete(this.nextTick);
      run(bucket, true);
    }
    if (this.buckets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /** Ends every sleep at once (awake: false) and refuses new ones. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const buckets = [...this.buckets.values()];
    this.buckets.clear();
    for (const bucket of buckets) run(bucket, false);
  }
}

function run(bucket: Array<Wake | number>, awake: boolean): void {
  for (let i = 0; i < bucket.length; i += 2) (bucket[i] as Wake)(awake, bucket[i + 1] as number);
}
