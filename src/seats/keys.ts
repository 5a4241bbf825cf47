/** Redis keys of one show, all under the hash tag {show:<id>} (one Cluster slot). See lua/seat-state.lib.lua. */
export function showKeys(prefix: string, showId: string) {
  const base = `${prefix}:{show:${showId}}`;
  return {
    /** readiness, configuration and counters (hash) */
    st: `${base}:st`,
    /** row number -> one status character per seat (hash) */
    rows: `${base}:rows`,
    /** each row's longest free run, per category (hash of byte strings) */
    runs: `${base}:runs`,
    /** rows' categories, category rows, accessible seats (hash, written once) */
    layout: `${base}:layout`,
    /** live holds (hash) */
    holds: `${base}:holds`,
    /** live holds by expiry (sorted set) */
    exp: `${base}:exp`,
    /** userId -> seats held + booked (hash) */
    users: `${base}:users`,
    /** expired and confirmed holds, for late and repeated confirms (hash) */
    gone: `${base}:gone`,
    /** `gone` records by age, for trimming (sorted set) */
    gonez: `${base}:gonez`,
    /** idempotency keys of confirms (hash) */
    idem: `${base}:idem`,
    /** live bookings' seats (hash) */
    bookings: `${base}:bookings`,
    /** accepted bookings and expiries awaiting persistence (stream) */
    log: `${base}:log`,
    /** held by the instance rebuilding the show's state (string, with expiry) */
    rebuild: `${base}:rebuild`,
  };
}

export type ShowKeys = ReturnType<typeof showKeys>;
