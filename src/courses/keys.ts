/** Redis keys of one term, all under the hash tag {term:<id>} (one Cluster slot). */
export function termKeys(prefix: string, termId: string) {
  const base = `${prefix}:{term:${termId}}`;
  return {
    /** the arrival counter `seq`, the published `decided` and the `ready` flag (hash) */
    st: `${base}:st`,
    /** accepted requests not yet known to be in PostgreSQL (stream) */
    log: `${base}:log`,
    /** seq -> decided results, as JSON, for the polls (hash) */
    res: `${base}:res`,
    /** held by the instance restoring the term's counters (string, with expiry) */
    rebuild: `${base}:rebuild`,
  };
}

export type TermKeys = ReturnType<typeof termKeys>;
