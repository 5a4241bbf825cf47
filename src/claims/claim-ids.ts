import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Public claim ids: `cl_<seq>_<MAC>`, the MAC over (campaign, seq) with a secret. Every instance
 * (and the recovery sweeper) computes the same id for the same claim, ids cannot be guessed, and
 * an id leads straight to its row by primary key (campaign, seq), with no index of its own.
 */
export class ClaimIds {
  constructor(private readonly secret: Buffer) {}

  private mac(campaignId: string, seq: number): Buffer {
    return createHmac('sha256', this.secret).update(`${campaignId}\n${seq}`).digest().subarray(0, 9);
  }

  for(campaignId: string, seq: number): string {
    return `cl_${seq}_${this.mac(campaignId, seq).toString('base64url')}`;
  }

  /** The seq of a genuine id of this campaign, else null. */
  seqOf(campaignId: string, claimId: string): number | null {
    const match = /^cl_(\d{1,10})_([A-Za-z0-9_-]{12})$/.exec(claimId);
    if (!match) return null;
    const seq = Number(match[1]);
    const given = Buffer.from(match[2]!, 'base64url');
    const expected = this.mac(campaignId, seq);
    return given.length === expected.length && timingSafeEqual(given, expected) ? seq : null;
  }
}
