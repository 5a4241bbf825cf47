import type { Redis } from 'ioredis';
import { KeyedBatcher } from '../redis/batcher.js';
import { roomKeys } from './keys.js';
import { roomScripts } from './scripts.js';

export interface EntryReply {
  created: boolean;
  ticketNo: number;
  /** '' while waiting, else the ticket's stored state (see lua/admit-6.lua). */
  status: string;
  served: number;
  opened: boolean;
  prequeueSize: number;
}

/** Group entry: the entries to one room in the same event-loop turn are one run of lua/enter-6.lua. */
export function entryBatcher(redis: Redis, prefix: string): KeyedBatcher<string, string, EntryReply | null> {
  return new KeyedBatcher<string, string, EntryReply | null>(async (roomId, userIds) => {
    const keys = roomKeys(prefix, roomId);
    const reply = (await roomScripts.enter.run(redis, [keys.cfg, keys.st, keys.users, keys.tickets, keys.status, keys.seen], userIds)) as
      | [Array<[number, number, string]>, number, number, number]
      | [-1];
    if (reply[0] === -1) return userIds.map(() => null); // the room is not in Redis
    const [entries, served, opened, prequeueSize] = reply as [Array<[number, number, string]>, number, number, number];
    return entries.map(([code, ticketNo, status]) => ({
      created: code === 1,
      ticketNo,
      status,
      served,
      opened: opened === 1,
      prequeueSize,
    }));
  });
}
