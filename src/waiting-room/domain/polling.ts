// How often a waiting client should poll, and when it can expect to be admitted. Pure functions.

const FRONT_POLL_MS = 1_000;
const MAX_POLL_MS = 90_000;
/** Each place in the queue adds this much to the polling interval, up to MAX_POLL_MS. */
const POLL_MS_PER_PLACE = 20;
/**
 * Each answer shortens the interval by a random share of up to this much. Without it, clients
 * told "1,000 ms" fall into step and stay there: measured at 5,000 entries/s, every second's polls
 * arrived within ~400 ms of each other and tripled the load for that moment (git log -p docs/BENCHMARKS.md).
 * Only ever shorter, so every bound below still holds; it costs ~11% more polls.
 */
const JITTER = 0.2;

/**
 * Poll often near the front, rarely far back, and never later than 80% of the expected wait (so a
 * fast-moving queue is not overshot), nor so late that an honest client looks abandoned; spread at
 * random (JITTER) so that clients do not come back in step. `waitSeconds` is the expected wait,
 * unrounded. The total is about waiting/90 s for the far tail plus, near the front,
 * admitPerSecond x ~5 polls: 300,000 waiting with 200 admitted/s poll about 5,000 times per second
 * (test/waiting-room/domain.test.ts).
 */
export function pollAfterMs(
  position: number,
  waitSeconds: number | null,
  abandonAfterSeconds: number | null,
  random: () => number = Math.random,
): number {
  let interval = Math.min(MAX_POLL_MS, FRONT_POLL_MS + POLL_MS_PER_PLACE * Math.max(0, position - 1));
  if (waitSeconds !== null) interval = Math.min(interval, Math.max(FRONT_POLL_MS, waitSeconds * 800));
  return spread(interval, abandonAfterSeconds, random);
}

/**
 * Before opening nobody moves: poll at 80% of the wait to one's own turn (to the opening itself
 * while a shuffled pre-queue has no places yet), up to MAX_POLL_MS. The position bound above
 * would have the front of the pre-queue, and all of a shuffled one, poll every second for as long
 * as the room is closed.
 */
export function pollAfterMsBeforeOpening(
  waitSeconds: number,
  abandonAfterSeconds: number | null,
  random: () => number = Math.random,
): number {
  return spread(Math.min(MAX_POLL_MS, Math.max(FRONT_POLL_MS, waitSeconds * 800)), abandonAfterSeconds, random);
}

/** Never so late that an honest client looks abandoned; shortened at random (JITTER). */
function spread(interval: number, abandonAfterSeconds: number | null, random: () => number): number {
  const bounded = abandonAfterSeconds === null ? interval : Math.min(interval, (abandonAfterSeconds * 1000) / 3);
  return Math.round(bounded * (1 - JITTER * random()));
}

/** Seconds until admission at the observed rate (the configured one until there is an observation). */
export function etaSeconds(position: number, admitPerSecond: number): number {
  return Math.ceil(position / Math.max(admitPerSecond, 1e-6));
}

/**
 * Admissions per second over a sliding window of (time, admittedTotal) samples; null until the
 * window holds two samples at least a second apart.
 */
export class RateWindow {
  private samples: Array<{ at: number; total: number }> = [];

  constructor(private readonly windowMs = 10_000) {}

  add(at: number, total: number): void {
    const last = this.samples.at(-1);
    if (last && total < last.total) this.samples = []; // counters were reset (room state rebuilt)
    this.samples.push({ at, total });
    while (this.samples.length > 2 && this.samples[0]!.at < at - this.windowMs) this.samples.shift();
  }

  perSecond(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < 1_000) return null;
    return ((last.total - first.total) * 1000) / (last.at - first.at);
  }
}
