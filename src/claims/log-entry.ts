import type { ClaimIds } from './claim-ids.js';
import type { AcceptedClaim } from './repository.js';

/** Parses a claim log entry, as written by lua/claim-3.lua: "seq|userClaimNo|daySeq|day|at|userId". */
export function parseLogEntry(campaignId: string, value: string, ids: ClaimIds): AcceptedClaim {
  const parts = value.split('|');
  const [seq, userClaimNo, daySeq, day, at] = parts.slice(0, 5);
  return {
    campaignId,
    seq: Number(seq),
    userClaimNo: Number(userClaimNo),
    daySeq: Number(daySeq) > 0 ? Number(daySeq) : null,
    day: day ? day : null,
    claimedAt: Number(at),
    userId: parts.slice(5).join('|'), // user ids may contain "|"
    claimId: ids.for(campaignId, Number(seq)),
  };
}
