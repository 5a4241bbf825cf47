import type { RedisClient } from '../redis/client.js';
import { execPipeline } from '../redis/pipeline.js';
import { roomKeys } from './keys.js';

const CHUNK = 500;

/**
 * Remembers when each waiting ticket last polled, and writes those times to Redis in a few large
 * commands every flush instead of one write per poll. The time stored is the poll's own, not the
 * flush's: a ticket is passed over once it has really not polled for abandonAfterSeconds, however
 * late the batch that carried its last poll was written.
 *
 * An honest client's recorded poll is at most one poll interval plus one flush interval old when
 * admission reads it; abandonAfterSeconds is at least 3 s and pollAfterMs at most a third of it, so
 * with a flush every 500 ms that leaves it about 1.5 s of slack against delays.
 */
export class SeenTracker {
  private pending = new Map<string, Map<number, number>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  mark(roomId: string, ticketNo: number, at: number = Date.now()): void {
    let tickets = this.pending.get(roomId);
    if (!tickets) this.pending.set(roomId, (tickets = new Map()));
    tickets.set(ticketNo, at);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    // One pipeline per room: its keys share one hash tag, so on a cluster each pipeline goes to
    // one node; rooms are written concurrently, and a failure keeps only that room's times.
    const failures = await Promise.all(
      [...batch].map(([roomId, tickets]) =>
        this.write(roomId, tickets).then(
          () => null,
          (err: unknown) => ({ roomId, tickets, err }),
        ),
      ),
    );
    const failed = failures.filter((f) => f !== null);
    for (const { roomId, tickets } of failed) {
      // Redis did not take them: keep the times for the next flush (ZADD GT makes a retry of the
      // part that did land harmless), or honest pollers would look abandoned.
      for (const [ticketNo, at] of tickets) {
        const later = this.pending.get(roomId)?.get(ticketNo);
        if (later === undefined || later < at) this.mark(roomId, ticketNo, at);
      }
    }
    if (failed.length > 0) throw failed[0]!.err;
  }

  private async write(roomId: string, tickets: Map<number, number>): Promise<void> {
    const key = roomKeys(this.prefix, roomId).seen;
    const pipeline = this.redis.pipeline();
    let args: Array<string | number> = [];
    for (const [ticketNo, at] of tickets) {
      args.push(at, ticketNo);
      if (args.length === 2 * CHUNK) {
        pipeline.zadd(key, 'GT', ...args);
        args = [];
      }
    }
    // GT: never move a time back (another instance may have written a later poll). A ticket
    // admitted since its poll may be re-added here; the admission script forgets such stale
    // entries (see admit-7.lua).
    if (args.length > 0) pipeline.zadd(key, 'GT', ...args);
    await execPipeline(pipeline);
  }
}
