import type { ClaimIds } from './claim-ids.js';
import type { AcceptedClaim } from './repository.js';

// A claim's entry in its campaign's log stream (field "c"), as lua/claim-4.lua writes it:
// "seq|userClaimNo|daySeq|day|at|userId" (daySeq 0 and day '' without a daily quota; the user id
// last, since it may contain "|"). Its one encoder and decoder on the TypeScript side.

export const CLAIM_LOG_FIELD = 'c';

export function decodeLogEntry(campaignId: string, value: string, ids: ClaimIds): AcceptedClaim {
  const parts = value.split('|');
  if (parts.length < 6) throw new Error('a claim log entry has six fields');
  const [seq, userClaimNo, daySeq, day, at] = parts.slice(0, 5).map((p) => p!);
  const numbers = [Number(seq), Number(userClaimNo), Number(daySeq), Number(at)];
  if (!numbers.every(Number.isSafeInteger)) throw new Error('a claim log entry has integer seq, userClaimNo, daySeq and time');
  return {
    campaignId,
    seq: numbers[0]!,
    userClaimNo: numbers[1]!,
    daySeq: numbers[2]! > 0 ? numbers[2]! : null,
    day: day ? day : null,
    claimedAt: numbers[3]!,
    userId: parts.slice(5).join('|'),
    claimId: ids.for(campaignId, numbers[0]!),
  };
}

export function encodeLogEntry(claim: AcceptedClaim): string {
  return `${claim.seq}|${claim.userClaimNo}|${claim.daySeq ?? 0}|${claim.day ?? ''}|${claim.claimedAt}|${claim.userId}`;
}
