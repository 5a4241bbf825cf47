import { defineErrors } from '../errors.js';

/** The seats' error codes (statuses: src/http/errors.ts, by kind). */
export const SEAT_ERRORS = defineErrors({
  venue_not_found: { kind: 'not_found', message: 'No such venue' },
  venue_exists: { kind: 'conflict', message: 'A venue with this id already exists' },
  show_not_found: { kind: 'not_found', message: 'No such show' },
  show_exists: { kind: 'conflict', message: 'A show with this id already exists' },
  hold_not_found: { kind: 'not_found', message: 'No such hold' },
  booking_not_found: { kind: 'not_found', message: 'No such booking' },
  seats_unavailable: { kind: 'conflict', message: 'Some of these seats are not free' },
  seat_limit: { kind: 'conflict', message: 'This would exceed the seats one person may hold and book for this show' },
  extension_limit: { kind: 'conflict', message: 'No more extensions are allowed' },
  hold_expired: { kind: 'conflict', message: 'The hold expired and some of its seats were taken since' },
  already_confirmed: { kind: 'conflict', message: 'This hold was confirmed already' },
  idempotency_key_reused: { kind: 'conflict', message: 'This Idempotency-Key was used for another hold' },
  booking_refused: { kind: 'conflict', message: 'The booking could not be recorded' },
  sold_out: { kind: 'gone', message: 'Sold out' },
  sales_closed: { kind: 'gone', message: 'Sales for this show are closed' },
  not_open: { kind: 'too_early', message: 'Not open yet' },
  rebuilding: { kind: 'unavailable', message: 'Being restored; retry shortly', retryAfterSeconds: 2 },
  booking_pending: { kind: 'unavailable', message: 'The booking is being recorded; retry shortly', retryAfterSeconds: 1 },
});

export type SeatErrorCode = keyof typeof SEAT_ERRORS;
