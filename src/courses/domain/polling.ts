/**
 * When a client should ask again about a queued request: about when its decision is expected
 * (its position at the rate the term is decided, assumed no slower than `floorPerSecond`), never
 * sooner than 250 ms nor later than 5 s, drawn from 80-100% of that so that a crowd spreads out.
 */
export function pollAfterMs(position: number, decidedPerSecond: number, random: number, floorPerSecond = 500): number {
  const expected = (Math.max(0, position) / Math.max(decidedPerSecond, floorPerSecond)) * 1000 + 200;
  const interval = Math.min(5_000, Math.max(250, expected));
  return Math.round(interval * (0.8 + 0.2 * random));
}
