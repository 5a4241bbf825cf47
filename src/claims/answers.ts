import type { ShortcutAnswer } from '../capability.js';
import { DomainError } from '../errors.js';
import type { ClaimOutcome } from './service.js';

/**
 * A claim's outcome as the API answers it, for the route and its shortcut alike: the success
 * bodies, or the DomainError of a refusal (its status and message come from the error table).
 */
export function claimAnswer(outcome: ClaimOutcome): ShortcutAnswer {
  switch (outcome.kind) {
    case 'confirmed':
      return { status: 201, body: { ...outcome.claim, status: 'confirmed' } };
    case 'pending':
      // Accepted and logged, but PostgreSQL could not take it yet: it will, and the status says when.
      return { status: 202, body: { ...outcome.claim, status: 'pending' } };
    case 'already_claimed':
      throw new DomainError('already_claimed', { claims: outcome.claims });
    case 'sold_out':
      throw new DomainError('sold_out', { scope: outcome.scope, ...(outcome.nextOpening ? { nextOpening: outcome.nextOpening } : {}) });
    case 'not_open':
      throw new DomainError('not_open', { opensAt: outcome.opensAt });
    case 'closed':
      throw new DomainError('closed');
    case 'rebuilding':
      throw new DomainError('rebuilding');
  }
}
