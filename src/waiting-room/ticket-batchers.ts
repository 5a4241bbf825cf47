import type { Redis } from 'ioredis';
import { KeyedBatcher } from '../redis/batcher.js';
import { roomKeys } from './keys.js';
import { roomScripts } from './scripts.js';

/** One ticket's reply from lua/session-4.lua: [code, userId?, issuedAt?, expiresAt?, extensions?]. */
export type SessionReply = [number, string?, number?, number?, number?];

/** How a ticket ends (lua/finish-4.lua): left the queue, or completed its session. */
export interface Ending {
  ticketNo: number;
  final: 'L' | 'C';
  /** Only a ticket in session may end this way (complete). */
  onlySession: boolean;
}

/**
 * The polls of one room's tickets past the front, gathered per event-loop turn into one run of
 * lua/session-4.lua. After admission every admitted person polls once for a token: at 1,000
 * admissions a second that was one script call each, as many as all entries' batched calls.
 */
export function sessionBatcher(redis: Redis, prefix: string): KeyedBatcher<string, number, SessionReply> {
  return new KeyedBatcher<string, number, SessionReply>(async (roomId, ticketNos) => {
    const keys = roomKeys(prefix, roomId);
    return (await roomScripts.session.run(redis, [keys.cfg, keys.tickets, keys.status, keys.active], ticketNos)) as SessionReply[];
  });
}

/** Leaves and completions of one room, gathered per event-loop turn into one run of lua/finish-4.lua. */
export function finishBatcher(redis: Redis, prefix: string): KeyedBatcher<string, Ending, number> {
  return new KeyedBatcher<string, Ending, number>(async (roomId, endings) => {
    const keys = roomKeys(prefix, roomId);
    const args = endings.flatMap((e) => [e.ticketNo, e.final, e.onlySession ? '1' : '0']);
    return (await roomScripts.finish.run(redis, [keys.st, keys.status, keys.active, keys.seen], args)) as number[];
  });
}
