import type { ShortcutAnswer } from '../capability.js';
import { DomainError } from '../errors.js';
import type { ConfirmOutcome, HoldOutcome } from './service.js';

/**
 * A hold's and a confirm's outcomes as the API answers them, for the routes and the shortcut
 * alike: the success bodies, or the DomainError of a refusal (its status and message come from
 * the error table).
 */
export function holdAnswer(outcome: HoldOutcome): ShortcutAnswer {
  switch (outcome.kind) {
    case 'held': {
      const { kind: _, ...body } = outcome;
      return { status: 201, body };
    }
    case 'seats_unavailable':
      throw new DomainError('seats_unavailable', { seats: outcome.seats });
    case 'seat_limit':
      throw new DomainError('seat_limit', { limit: outcome.limit, seatsAlready: outcome.seatsAlready });
    case 'not_open':
      throw new DomainError('not_open', { opensAt: outcome.opensAt });
    case 'sold_out':
    case 'sales_closed':
    case 'rebuilding':
      throw new DomainError(outcome.kind);
  }
}

export function confirmAnswer(outcome: ConfirmOutcome): ShortcutAnswer {
  switch (outcome.kind) {
    case 'confirmed':
      return { status: 201, body: { ...outcome.booking, status: 'confirmed' } };
    case 'pending':
      // Accepted and logged, but PostgreSQL could not take it yet: it will (GET the booking to see when).
      return { status: 202, body: { ...outcome.booking, status: 'pending' } };
    case 'hold_expired':
      throw new DomainError('hold_expired', { seats: outcome.lost });
    case 'seat_limit':
      throw new DomainError('seat_limit', { limit: outcome.limit, seatsAlready: outcome.seatsAlready });
    case 'already_confirmed':
      throw new DomainError('already_confirmed', { bookingId: outcome.bookingId });
    case 'refused':
      throw new DomainError('booking_refused');
    case 'hold_not_found':
    case 'idempotency_key_reused':
    case 'booking_pending':
    case 'rebuilding':
      throw new DomainError(outcome.kind);
  }
}
