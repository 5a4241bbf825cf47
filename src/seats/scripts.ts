// The show's Lua scripts, each with the decoder of its reply (its header documents it). Every
// script is its file with lua/seat-state.lib.lua (the shared seat state) in front of it.
import { readFileSync } from 'node:fs';
import type { RedisClient } from '../redis/client.js';
import { type Reply, Script } from '../redis/script.js';
import type { SeatRef } from './domain/venue-layout.js';
import { type ShowKeys, showKeys } from './keys.js';

const dir = new URL('./lua/', import.meta.url);
const library = readFileSync(new URL('seat-state.lib.lua', dir), 'utf8');

function load<Result>(file: string, decode: (reply: Reply) => Result): Script<Result> {
  const script = Script.load(dir, file, decode);
  return new Script(script.name, `${library}\n${script.lua}`, script.numberOfKeys, decode);
}

/** "r:p,r:p" as the scripts write seats. */
export function parseSeatRefs(text: string): SeatRef[] {
  if (text === '') return [];
  return text.split(',').map((pair) => {
    const [row, pos] = pair.split(':').map(Number);
    if (!Number.isSafeInteger(row) || !Number.isSafeInteger(pos)) throw new Error(`malformed seat "${pair}"`);
    return { row: row!, pos: pos! };
  });
}

export function formatSeatRefs(seats: readonly SeatRef[]): string {
  return seats.map((s) => `${s.row}:${s.pos}`).join(',');
}

/** The show's state is not in Redis (lost): rebuild it first; nothing was decided. */
export const STATE_MISSING = { kind: 'state_missing' } as const;
export type StateMissing = typeof STATE_MISSING;

export type HoldDecision =
  | { kind: 'held'; expiresAt: number; seats: SeatRef[] }
  | { kind: 'seats_unavailable'; seats: SeatRef[] }
  | { kind: 'seat_limit'; seatsAlready: number }
  | { kind: 'sold_out' };

export type HoldRequest = { holdId: string; userId: string; partnerId: string } & (
  | { mode: 'chosen'; seats: readonly SeatRef[] }
  | { mode: 'best'; count: number; category: string | null; accessible: boolean }
);

function decodeHold(reply: Reply): HoldDecision {
  switch (reply.code()) {
    case 1:
      return { kind: 'held', expiresAt: reply.at(1).int(), seats: parseSeatRefs(reply.at(2).str()) };
    case -2:
      return { kind: 'seats_unavailable', seats: parseSeatRefs(reply.at(1).str()) };
    case -3:
      return { kind: 'seat_limit', seatsAlready: reply.at(1).int() };
    case -4:
      return { kind: 'sold_out' };
    default:
      return reply.unknownCode();
  }
}

const hold = load('hold-7.lua', (reply): StateMissing | { kind: 'decided'; decisions: HoldDecision[] } => {
  if (reply.code() === -1) return STATE_MISSING;
  return { kind: 'decided', decisions: reply.list().map(decodeHold) };
});

export type ExtendResult =
  | StateMissing
  | { kind: 'extended'; expiresAt: number; extensions: number }
  | { kind: 'extension_limit' }
  | { kind: 'hold_not_found' }
  | { kind: 'hold_expired' };

const extend = load('extend-4.lua', (reply): ExtendResult => {
  switch (reply.code()) {
    case -1:
      return STATE_MISSING;
    case 1:
      return { kind: 'extended', expiresAt: reply.at(1).int(), extensions: reply.at(2).int() };
    case -4:
      return { kind: 'extension_limit' };
    case -5:
      return { kind: 'hold_not_found' };
    case -6:
      return { kind: 'hold_expired' };
    default:
      return reply.unknownCode();
  }
});

export type ReleaseResult = StateMissing | { kind: 'released' } | { kind: 'hold_not_found' };

const release = load('release-7.lua', (reply): ReleaseResult => {
  switch (reply.code()) {
    case -1:
      return STATE_MISSING;
    case 1:
      return { kind: 'released' };
    case -5:
      return { kind: 'hold_not_found' };
    default:
      return reply.unknownCode();
  }
});

export type ConfirmDecision =
  | StateMissing
  | { kind: 'booked'; bookingId: string; seats: SeatRef[]; logId: string; userId: string; late: boolean; partnerId: string }
  | { kind: 'replayed'; bookingId: string }
  | { kind: 'seat_limit'; seatsAlready: number }
  | { kind: 'hold_not_found' }
  | { kind: 'hold_expired'; lost: SeatRef[] }
  | { kind: 'already_confirmed'; bookingId: string }
  | { kind: 'idempotency_key_reused' };

const confirm = load('confirm-12.lua', (reply): ConfirmDecision => {
  switch (reply.code()) {
    case -1:
      return STATE_MISSING;
    case 1:
      return {
        kind: 'booked',
        bookingId: reply.at(1).str(),
        seats: parseSeatRefs(reply.at(2).str()),
        logId: reply.at(3).str(),
        userId: reply.at(4).str(),
        late: reply.at(5).int() === 1,
        partnerId: reply.at(6).str(),
      };
    case 2:
      return { kind: 'replayed', bookingId: reply.at(1).str() };
    case -3:
      return { kind: 'seat_limit', seatsAlready: reply.at(1).int() };
    case -5:
      return { kind: 'hold_not_found' };
    case -6:
      return { kind: 'hold_expired', lost: parseSeatRefs(reply.at(1).str()) };
    case -7:
      return { kind: 'already_confirmed', bookingId: reply.at(1).str() };
    case -8:
      return { kind: 'idempotency_key_reused' };
    default:
      return reply.unknownCode();
  }
});

export type ExpireResult =
  | StateMissing
  | { kind: 'swept'; expired: number; nextExpiry: number | null; logged: Array<{ logId: string; value: string }> };

const expire = load('expire-10.lua', (reply): ExpireResult => {
  if (reply.code() === -1) return STATE_MISSING;
  const items = reply.list();
  if (items.length < 2) return reply.unknownCode();
  const next = items[1]!.int();
  const logged: Array<{ logId: string; value: string }> = [];
  for (let i = 2; i + 1 < items.length; i += 2) logged.push({ logId: items[i]!.str(), value: items[i + 1]!.str() });
  return { kind: 'swept', expired: items[0]!.int(), nextExpiry: next >= 0 ? next : null, logged };
});

export type CancelResult = StateMissing | { kind: 'freed'; seats: number } | { kind: 'unknown' };

const cancel = load('cancel-6.lua', (reply): CancelResult => {
  switch (reply.code()) {
    case -1:
      return STATE_MISSING;
    case 1:
      return { kind: 'freed', seats: reply.at(1).int() };
    case 0:
      return { kind: 'unknown' };
    default:
      return reply.unknownCode();
  }
});

const restore = load('restore-2.lua', (reply) => {
  const code = reply.int();
  if (code !== 0 && code !== 1) reply.unknownCode();
  return code === 1;
});

export type Actor = { kind: 'user'; userId: string } | { kind: 'partner'; partnerId: string } | { kind: 'admin' };

function actorArgs(actor: Actor): [string, string] {
  switch (actor.kind) {
    case 'user':
      return ['u', actor.userId];
    case 'partner':
      return ['p', actor.partnerId];
    case 'admin':
      return ['a', ''];
  }
}

/** The show scripts bound to a client. */
export class ShowScripts {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  keys(showId: string): ShowKeys {
    return showKeys(this.prefix, showId);
  }

  /** Decides holds on one show, in order. */
  hold(showId: string, now: number, requests: readonly HoldRequest[]) {
    const k = this.keys(showId);
    const args: Array<string | number> = [now];
    for (const r of requests) {
      const spec = r.mode === 'chosen' ? formatSeatRefs(r.seats) : `${r.count}|${r.category ?? ''}|${r.accessible ? '1' : '0'}`;
      args.push(r.holdId, r.userId, r.partnerId, r.mode === 'chosen' ? 'c' : 'b', spec);
    }
    return hold.run(this.redis, [k.st, k.rows, k.runs, k.layout, k.holds, k.exp, k.users], args);
  }

  extend(showId: string, now: number, holdId: string, actor: Actor) {
    const k = this.keys(showId);
    return extend.run(this.redis, [k.st, k.holds, k.exp, k.gone], [now, holdId, ...actorArgs(actor)]);
  }

  release(showId: string, holdId: string, actor: Actor) {
    const k = this.keys(showId);
    return release.run(this.redis, [k.st, k.rows, k.runs, k.layout, k.holds, k.exp, k.users], [holdId, ...actorArgs(actor)]);
  }

  confirm(showId: string, now: number, holdId: string, actor: Actor, idempotencyKey: string, bookingId: string) {
    const k = this.keys(showId);
    return confirm.run(
      this.redis,
      [k.st, k.rows, k.runs, k.layout, k.holds, k.exp, k.users, k.gone, k.gonez, k.idem, k.bookings, k.log],
      [now, holdId, ...actorArgs(actor), idempotencyKey, bookingId],
    );
  }

  expire(showId: string, now: number, limit: number, retentionMs: number) {
    const k = this.keys(showId);
    return expire.run(
      this.redis,
      [k.st, k.rows, k.runs, k.layout, k.holds, k.exp, k.users, k.gone, k.gonez, k.log],
      [now, limit, retentionMs],
    );
  }

  cancel(showId: string, bookingId: string) {
    const k = this.keys(showId);
    return cancel.run(this.redis, [k.st, k.rows, k.runs, k.layout, k.users, k.bookings], [bookingId]);
  }

  /** Writes the configuration and counters and marks the state ready (if `leaseToken`, '' at creation, still holds the lease). */
  restore(showId: string, leaseToken: string, fields: Record<string, string | number>) {
    const k = this.keys(showId);
    return restore.run(this.redis, [k.st, k.rebuild], [leaseToken, ...Object.entries(fields).flat()]);
  }
}
