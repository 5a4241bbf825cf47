/** Where the application reads the time, so tests can move it (daily windows, day boundaries). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
