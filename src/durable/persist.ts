// Persisting what a capability's scripts accepted and logged, a batch at a time, so that one bad
// entry never holds the others back.

/** What the store says of each entry of a batch it committed. */
export type StoreVerdict = 'stored' | 'conflict';

/**
 * A capability's persistence: writes a batch in one transaction, idempotently (an entry already
 * stored exactly as given is 'stored' again), and says for each entry whether it is stored or
 * collides with a different stored record ('conflict': it must never be confirmed). Throws when
 * the batch could not be committed at all.
 */
export interface DurableStore<Entry> {
  persist(entries: readonly Entry[]): Promise<StoreVerdict[]>;
}

/** The outcome of one entry: stored, colliding, or refused by the database for its own data. */
export type Outcome = { kind: 'stored' } | { kind: 'conflict' } | { kind: 'rejected'; reason: string };

/**
 * Whether PostgreSQL refused a statement for the data it carries (SQLSTATE classes 22, data
 * exception, and 23, integrity constraint violation): retrying the same data fails the same way.
 * Anything else (connection lost, server shutting down, too many connections) may pass later.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return `${typeof e.code === 'string' ? `${e.code}: ` : ''}${String(e.message ?? err)}`.slice(0, 500);
}

/**
 * Persists `entries`; when the database refuses the batch for its data, the batch is split in
 * halves until the entries that cause it stand alone: they are 'rejected' with the reason, every
 * other entry is committed. Costs O(k log n) statements for k bad entries among n. Throws when
 * the database cannot be reached (nothing is decided then).
 */
export async function persistIsolating<Entry>(store: DurableStore<Entry>, entries: readonly Entry[]): Promise<Outcome[]> {
  if (entries.length === 0) return [];
  try {
    return (await store.persist(entries)).map((verdict) => ({ kind: verdict }));
  } catch (err) {
    if (!isDataError(err)) throw err;
    if (entries.length === 1) return [{ kind: 'rejected', reason: describe(err) }];
    const half = Math.ceil(entries.length / 2);
    const first = await persistIsolating(store, entries.slice(0, half));
    const second = await persistIsolating(store, entries.slice(half));
    return [...first, ...second];
  }
}
