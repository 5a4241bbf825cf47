import pg from 'pg';

// BIGINT (int8) comes back as a string by default; our counters stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

export type Pool = pg.Pool;

export function createPool(databaseUrl: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection (database restart) must not crash the process:
  // the pool drops it and the next query opens a fresh one.
  pool.on('error', () => {});
  return pool;
}
