import { errorBody } from '../http/errors.js';
import type { JsonAnswer } from '../http/shortcuts.js';
import type { ClaimOutcome } from './service.js';

/** The HTTP answer to a claim's outcome: one definition for the route and its shortcut. */
export function claimAnswer(outcome: ClaimOutcome): JsonAnswer {
  switch (outcome.kind) {
    case 'confirmed':
      return { status: 201, body: { ...outcome.claim, status: 'confirmed' }, headers: {} };
    case 'pending':
      // Accepted and logged, but PostgreSQL could not take it yet: it will, and the status says when.
      return { status: 202, body: { ...outcome.claim, status: 'pending' }, headers: {} };
    case 'already_claimed':
      return {
        status: 409,
        body: errorBody('already_claimed', 'This user already holds the most claims allowed', { claims: outcome.claims }),
        headers: {},
      };
    case 'sold_out':
      return {
        status: 410,
        body: errorBody('sold_out', outcome.scope === 'day' ? "Today's quota is used up" : 'Sold out', {
          scope: outcome.scope,
          ...(outcome.nextOpening ? { nextOpening: outcome.nextOpening } : {}),
        }),
        headers: {},
      };
    case 'not_open':
      return { status: 425, body: errorBody('not_open', 'The campaign is not open yet', { opensAt: outcome.opensAt }), headers: {} };
    case 'closed':
      return { status: 410, body: errorBody('closed', 'The campaign is closed'), headers: {} };
    case 'rebuilding':
      return {
        status: 503,
        body: errorBody('rebuilding', 'The campaign is being restored; retry shortly'),
        headers: { 'retry-after': '2' },
      };
  }
}
