// A user's claims as the campaign's `users` hash holds them (lua/claim-4.lua writes them):
// "seq:claimNo,seq:claimNo,..."; the older form "seq,seq,..." means claim numbers 1, 2, ... in
// order. Its one encoder and decoder on the TypeScript side.

export interface UserClaim {
  seq: number;
  claimNo: number;
}

export function decodeUserClaims(value: string | null | undefined): UserClaim[] {
  if (!value) return [];
  return value.split(',').map((item, i) => {
    const [seq, claimNo] = item.split(':');
    return { seq: Number(seq), claimNo: claimNo === undefined ? i + 1 : Number(claimNo) };
  });
}

export function encodeUserClaims(claims: readonly UserClaim[]): string {
  return claims.map((c) => `${c.seq}:${c.claimNo}`).join(',');
}
