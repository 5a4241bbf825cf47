/** Redis keys of one campaign, all under the hash tag {camp:<id>} (one Cluster slot). */
export function campaignKeys(prefix: string, campaignId: string) {
  const base = `${prefix}:{camp:${campaignId}}`;
  return {
    /** limits, counters and the `ready` flag (hash) */
    st: `${base}:st`,
    /** userId -> the user's claims, "seq:claimNo,..." (hash; user-claims.ts) */
    users: `${base}:users`,
    /** seqs held by no surviving record, sold again first (zset; see lua/claim-4.lua) */
    holes: `${base}:holes`,
    /** accepted claims not yet known to be in PostgreSQL (stream) */
    log: `${base}:log`,
    /** held by the instance rebuilding the campaign's state (string, with expiry) */
    rebuild: `${base}:rebuild`,
  };
}

export type CampaignKeys = ReturnType<typeof campaignKeys>;
