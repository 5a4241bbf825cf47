/** Redis keys of one campaign, all under the hash tag {camp:<id>} (one Cluster slot). */
export function campaignKeys(prefix: string, campaignId: string) {
  const base = `${prefix}:{camp:${campaignId}}`;
  return {
    /** limits, counters and the `ready` flag (hash) */
    st: `${base}:st`,
    /** userId -> "seq,seq,..." of the user's claims (hash) */
    users: `${base}:users`,
    /** accepted claims not yet known to be in PostgreSQL (stream) */
    log: `${base}:log`,
    /** logged claims that collide with a different stored claim, parked for an operator (stream) */
    dead: `${base}:dead`,
    /** held by the instance rebuilding the campaign's state (string, with expiry) */
    rebuild: `${base}:rebuild`,
  };
}

export type CampaignKeys = ReturnType<typeof campaignKeys>;
