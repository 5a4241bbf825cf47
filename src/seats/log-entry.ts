// A show's log entries (field "e" of its stream), as lua/confirm-12.lua and lua/expire-10.lua
// write them: JSON. Their one decoder and encoder on the TypeScript side.
import type { SeatRef } from './domain/venue-layout.js';
import { formatSeatRefs, parseSeatRefs } from './scripts.js';

export const SEAT_LOG_FIELD = 'e';

/** A hold confirmed as a booking in Redis, awaiting PostgreSQL. */
export interface AcceptedBooking {
  kind: 'booking';
  showId: string;
  bookingId: string;
  holdId: string;
  userId: string;
  /** '' for a room token's user or an operator. */
  partnerId: string;
  /** The Idempotency-Key's scope: "u:<userId>", "p:<partnerId>" or "a:" (who confirmed). */
  confirmedBy: string;
  idempotencyKey: string;
  seats: SeatRef[];
  /** ms since the epoch */
  confirmedAt: number;
  late: boolean;
}

/** A hold that expired, for its webhook. */
export interface ExpiredHold {
  kind: 'expiry';
  showId: string;
  holdId: string;
  userId: string;
  partnerId: string;
  seats: SeatRef[];
  expiredAt: number;
}

export type SeatLogEntry = AcceptedBooking | ExpiredHold;

const text = (v: unknown, name: string): string => {
  if (typeof v !== 'string') throw new Error(`"${name}" is not a string`);
  return v;
};
const integer = (v: unknown, name: string): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`"${name}" is not an integer`);
  return v;
};

export function decodeLogEntry(showId: string, value: string): SeatLogEntry {
  const e = JSON.parse(value) as Record<string, unknown>;
  const common = {
    showId,
    holdId: text(e.h, 'h'),
    userId: text(e.u, 'u'),
    partnerId: text(e.p, 'p'),
    seats: parseSeatRefs(text(e.s, 's')),
  };
  if (e.t === 'b') {
    return {
      kind: 'booking',
      ...common,
      bookingId: text(e.b, 'b'),
      confirmedBy: text(e.c, 'c'),
      idempotencyKey: text(e.k, 'k'),
      confirmedAt: integer(e.at, 'at'),
      late: integer(e.l, 'l') === 1,
    };
  }
  if (e.t === 'e') return { kind: 'expiry', ...common, expiredAt: integer(e.at, 'at') };
  throw new Error(`unknown entry type ${JSON.stringify(e.t)}`);
}

export function encodeLogEntry(entry: SeatLogEntry): string {
  const common = { h: entry.holdId, u: entry.userId, p: entry.partnerId, s: formatSeatRefs(entry.seats) };
  if (entry.kind === 'booking') {
    return JSON.stringify({
      t: 'b',
      b: entry.bookingId,
      ...common,
      c: entry.confirmedBy,
      k: entry.idempotencyKey,
      at: entry.confirmedAt,
      l: entry.late ? 1 : 0,
    });
  }
  return JSON.stringify({ t: 'e', ...common, at: entry.expiredAt });
}
