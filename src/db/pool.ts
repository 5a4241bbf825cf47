import pg from 'pg';

// BIGINT (int8) comes back as a string by default; our counters stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** A pool or one of its clients (inside a transaction): what a statement needs to run. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/**
 * A query that cannot get a connection within this time fails (503), instead of waiting for ever
 * behind a database that does not answer.
 */
const CONNECT_TIMEOUT_MS = 2_000;

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // An idle client losing its connection (database restart) must not crash the process:
  // the pool drops it and the next query opens a fresh one.
  pool.on('error', () => {});
  return pool;
}

/** Runs `work` in a transaction on one client: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let result: T;
  try {
    await client.query('BEGIN');
    result = await work(client);
    await client.query('COMMIT');
  } catch (err) {
    // A connection that cannot even roll back is broken: the pool must not hand it out again.
    const broken = await client.query('ROLLBACK').then(
      () => false,
      () => true,
    );
    client.release(broken);
    throw err;
  }
  client.release();
  return result;
}
