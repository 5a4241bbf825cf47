import type { Redis } from 'ioredis';
import { roomKeys } from './keys.js';

const CHUNK = 500;

/**
 * Remembers which waiting tickets polled, and writes "last seen" to Redis once a second in a few
 * large commands instead of one write per poll. Abandonment is judged on these times, so
 * abandonAfterSeconds must stay above the flush interval plus a poll interval (it is at least 3 s,
 * and pollAfterMs never exceeds a third of it).
 */
export class SeenTracker {
  private pending = new Map<string, Set<number>>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  mark(roomId: string, ticketNo: number): void {
    let tickets = this.pending.get(roomId);
    if (!tickets) this.pending.set(roomId, (tickets = new Set()));
    tickets.add(ticketNo);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const now = Date.now();
    const pipeline = this.redis.pipeline();
    for (const [roomId, tickets] of batch) {
      const key = roomKeys(this.prefix, roomId).seen;
      const members = [...tickets];
      for (let i = 0; i < members.length; i += CHUNK) {
        // GT: never move a time back. A ticket admitted since its poll may be re-added here; the
        // admission script forgets such stale entries (see admit-6.lua).
        const args: Array<string | number> = [];
        for (const ticketNo of members.slice(i, i + CHUNK)) args.push(now, ticketNo);
        pipeline.zadd(key, 'GT', ...args);
      }
    }
    await pipeline.exec();
  }
}
