// The room's Lua scripts, each with the decoder of its reply: callers get typed results with named
// codes. Each file's header documents its KEYS, ARGV and reply; the decoders follow it.
import { KeyedBatcher } from '../redis/batcher.js';
import type { RedisClient } from '../redis/client.js';
import { type Reply, Script } from '../redis/script.js';
import { roomKeys } from './keys.js';

const dir = new URL('./lua/', import.meta.url);

/** The room is not in Redis (lost, or never written): restore its configuration and try again. */
export const ROOM_MISSING = { kind: 'room_missing' } as const;
export type RoomMissing = typeof ROOM_MISSING;

// ── enter-6.lua ──────────────────────────────────────────────────────────────────────────────────

export interface Entry {
  /** A new ticket, or the user's live one (refresh, second tab). */
  created: boolean;
  ticketNo: number;
  /** The ticket's stored status ('' while waiting), see ticket-status.ts. */
  status: string;
}

export interface EntryBatch {
  kind: 'entered';
  entries: Entry[];
  served: number;
  opened: boolean;
  prequeueSize: number;
}

const enter = Script.load(dir, 'enter-6.lua', (reply: Reply): EntryBatch | RoomMissing => {
  if (reply.code() === -1) return ROOM_MISSING;
  const [entries, served, opened, prequeueSize] = reply.list();
  return {
    kind: 'entered',
    entries: entries!.list().map((e) => {
      const code = e.at(0).int();
      if (code !== 1 && code !== 2) e.unknownCode();
      return { created: code === 1, ticketNo: e.at(1).int(), status: e.at(2).str() };
    }),
    served: served!.int(),
    opened: opened!.int() === 1,
    prequeueSize: prequeueSize!.int(),
  };
});

/** One user's entry: the ticket and the room's counters as the script saw them. */
export type EntryResult = { kind: 'entered'; batch: EntryBatch; entry: Entry } | RoomMissing;

// ── admit-7.lua ──────────────────────────────────────────────────────────────────────────────────

export interface AdmissionStep {
  kind: 'stepped';
  admitted: number;
  abandoned: number;
  expired: number;
  /** Nobody waits and no session is active: until someone enters there is nothing to do. */
  idle: boolean;
}

const admit = Script.load(dir, 'admit-7.lua', (reply: Reply): AdmissionStep | RoomMissing => {
  if (reply.code() === -1) return ROOM_MISSING;
  const [admitted, abandoned, expired, , active, waiting] = reply.list().map((r) => r.int());
  return { kind: 'stepped', admitted: admitted!, abandoned: abandoned!, expired: expired!, idle: active === 0 && waiting === 0 };
});

// ── session-4.lua ────────────────────────────────────────────────────────────────────────────────

export type SessionLookup =
  | { kind: 'unknown' }
  | { kind: 'waiting'; userId: string }
  | { kind: 'session'; userId: string; issuedAt: number; expiresAt: number; extensions: number }
  | { kind: 'left' | 'expired' | 'completed'; userId: string };

const ENDED = { 2: 'left', 3: 'expired', 4: 'completed' } as const;

function decodeSession(reply: Reply): SessionLookup {
  switch (reply.code()) {
    case -1:
      return { kind: 'unknown' };
    case 0:
      return { kind: 'waiting', userId: reply.at(1).str() };
    case 1:
      return {
        kind: 'session',
        userId: reply.at(1).str(),
        issuedAt: reply.at(2).int(),
        expiresAt: reply.at(3).int(),
        extensions: reply.at(4).int(),
      };
    case 2:
    case 3:
    case 4:
      return { kind: ENDED[reply.code() as keyof typeof ENDED], userId: reply.at(1).str() };
    default:
      return reply.unknownCode();
  }
}

const session = Script.load(dir, 'session-4.lua', (reply: Reply) => reply.list().map(decodeSession));

// ── extend-3.lua ─────────────────────────────────────────────────────────────────────────────────

export type Extension =
  | { kind: 'extended'; issuedAt: number; expiresAt: number; extensions: number }
  | { kind: 'not_active' }
  | { kind: 'superseded' }
  | { kind: 'limit_reached' };

const extend = Script.load(dir, 'extend-3.lua', (reply: Reply): Extension => {
  switch (reply.code()) {
    case 1:
      return { kind: 'extended', issuedAt: reply.at(1).int(), expiresAt: reply.at(2).int(), extensions: reply.at(3).int() };
    case -1:
      return { kind: 'not_active' };
    case -2:
      return { kind: 'superseded' };
    case -3:
      return { kind: 'limit_reached' };
    default:
      return reply.unknownCode();
  }
});

// ── finish-5.lua ─────────────────────────────────────────────────────────────────────────────────

/** How a ticket ends: left the queue, or completed its session. */
export interface Ending {
  ticketNo: number;
  final: 'left' | 'completed';
  /** Only a ticket in session may end this way (complete). */
  onlySession: boolean;
}

export type EndingResult = 'ended' | 'already_ended' | 'not_in_session';

const finish = Script.load(dir, 'finish-5.lua', (reply: Reply) =>
  reply.list().map((r): EndingResult => {
    switch (r.int()) {
      case 1:
        return 'ended';
      case 0:
        return 'already_ended';
      case -1:
        return 'not_in_session';
      default:
        return r.unknownCode();
    }
  }),
);

// ── the room's script calls ──────────────────────────────────────────────────────────────────────

/**
 * The scripts of one room bound to a client. Entries, polls of admitted tickets and endings that
 * arrive in the same event-loop turn for one room share one script run (redis/batcher.ts): at
 * 1,000 admissions a second that is a few hundred runs instead of thousands.
 */
export class RoomScripts {
  readonly enter: KeyedBatcher<string, string, EntryResult>;
  private readonly sessions: KeyedBatcher<string, number, SessionLookup>;
  private readonly endings: KeyedBatcher<string, Ending, EndingResult>;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    this.enter = new KeyedBatcher<string, string, EntryResult>(async (roomId, userIds) => {
      const k = roomKeys(prefix, roomId);
      const batch = await enter.run(redis, [k.cfg, k.st, k.users, k.tickets, k.status, k.seen], userIds);
      if (batch.kind === 'room_missing') return userIds.map(() => ROOM_MISSING);
      return batch.entries.map((entry) => ({ kind: 'entered' as const, batch, entry }));
    });
    this.sessions = new KeyedBatcher(async (roomId, ticketNos) => {
      const k = roomKeys(prefix, roomId);
      return session.run(redis, [k.cfg, k.tickets, k.status, k.active], ticketNos);
    });
    this.endings = new KeyedBatcher(async (roomId, endings) => {
      const k = roomKeys(prefix, roomId);
      const args = endings.flatMap((e) => [e.ticketNo, e.final === 'left' ? 'L' : 'C', e.onlySession ? '1' : '0']);
      return finish.run(redis, [k.st, k.status, k.active, k.seen, k.left], args);
    });
  }

  /** Reads (and on first sight opens) the session of a ticket past the front. */
  session(roomId: string, ticketNo: number): Promise<SessionLookup> {
    return this.sessions.add(roomId, ticketNo);
  }

  end(roomId: string, ending: Ending): Promise<EndingResult> {
    return this.endings.add(roomId, ending);
  }

  extend(roomId: string, ticketNo: number, extensions: number): Promise<Extension> {
    const k = roomKeys(this.prefix, roomId);
    return extend.run(this.redis, [k.cfg, k.status, k.active], [ticketNo, extensions]);
  }

  /** One admission step; `maxExamined` bounds the script's run time. */
  admit(roomId: string, maxExamined: number): Promise<AdmissionStep | RoomMissing> {
    const k = roomKeys(this.prefix, roomId);
    return admit.run(this.redis, [k.cfg, k.st, k.tickets, k.status, k.active, k.seen, k.left], [maxExamined]);
  }
}
