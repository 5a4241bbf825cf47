import type { FastifyBaseLogger } from 'fastify';

/**
 * Periodic background steps of an instance. Each step runs again `everyMs` after the previous run
 * ended (never overlapping itself), with ±20% jitter so instances do not align. A failing step is
 * logged and retried on the next tick: a loop never dies of one error (seed 004's scheduler did).
 */
export class Loops {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly log: FastifyBaseLogger) {}

  every(name: string, everyMs: number, step: () => Promise<unknown>): void {
    const arm = (delayMs: number) => {
      const timer = setTimeout(async () => {
        this.timers.delete(timer);
        const run = step().catch((err: unknown) => this.log.warn({ err, loop: name }, 'background step failed; retrying'));
        this.running.add(run);
        await run;
        this.running.delete(run);
        if (!this.stopped) arm(everyMs * (0.8 + Math.random() * 0.4));
      }, delayMs);
      timer.unref();
      this.timers.add(timer);
    };
    arm(Math.random() * everyMs);
  }

  /** Stops scheduling and waits for the steps in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.running]);
  }
}
