import { defineErrors } from '../errors.js';

/** The claims' error codes (statuses: src/http/errors.ts, by kind). */
export const CLAIM_ERRORS = defineErrors({
  campaign_not_found: { kind: 'not_found', message: 'No such campaign' },
  claim_not_found: { kind: 'not_found', message: 'No such claim' },
  campaign_exists: { kind: 'conflict', message: 'A campaign with this id already exists' },
  campaign_not_empty: { kind: 'conflict', message: 'The campaign holds claims, which are kept: archive it instead' },
  already_claimed: { kind: 'conflict', message: 'This user already holds the most claims allowed' },
  already_redeemed: { kind: 'conflict', message: 'This claim was already redeemed' },
  sold_out: { kind: 'gone', message: 'Sold out' },
  closed: { kind: 'gone', message: 'The campaign is closed' },
  not_open: { kind: 'too_early', message: 'Not open yet' },
  rebuilding: { kind: 'unavailable', message: 'Being restored; retry shortly', retryAfterSeconds: 2 },
});

export type ClaimErrorCode = keyof typeof CLAIM_ERRORS;
