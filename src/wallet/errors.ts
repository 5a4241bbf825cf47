import { defineErrors } from '../errors.js';

/** The wallet's error codes (statuses: src/http/errors.ts, by kind). */
export const WALLET_ERRORS = defineErrors({
  wallet_not_found: { kind: 'not_found', message: 'No such wallet' },
  hold_not_found: { kind: 'not_found', message: 'No such hold' },
  transaction_not_found: { kind: 'not_found', message: 'No such transaction' },
  insufficient_points: { kind: 'conflict', message: 'The wallet does not hold enough points' },
  balance_limit: { kind: 'conflict', message: 'The wallet would hold more points than allowed' },
  hold_not_pending: { kind: 'conflict', message: 'The hold was already captured, voided or timed out' },
  exceeds_hold: { kind: 'conflict', message: 'More points than the hold holds' },
  not_reversible: { kind: 'conflict', message: 'Only earns, spends and captures can be reversed' },
  nothing_to_reverse: { kind: 'conflict', message: 'Nothing of this transaction is left to reverse' },
  exceeds_reversible: { kind: 'conflict', message: 'More points than are left to reverse' },
  idempotency_conflict: { kind: 'conflict', message: 'This Idempotency-Key was used with a different request' },
});

export type WalletErrorCode = keyof typeof WALLET_ERRORS;
