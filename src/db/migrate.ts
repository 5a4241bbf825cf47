import { readdir, readFile } from 'node:fs/promises';
import { SQL_CHECKS, SQL_PATTERNS } from '../input-rules.js';
import type { Pool } from './pool.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
// Any constant works; it only has to be the same for every instance so two migrators never interleave.
const MIGRATION_LOCK_ID = 4_242_001;

/** Applies every migrations/*.sql not yet applied, in file-name order, each in its own transaction. */
export async function migrate(pool: Pool): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS floodgate_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM floodgate_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = withInputRules(await readFile(new URL(file, MIGRATIONS_DIR), 'utf8'));
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO floodgate_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    client.release();
  }
  return applied;
}

/** Creates the database named in the URL when it does not exist (connecting to `postgres` to do so). */
export async function ensureDatabase(databaseUrl: string, createPool: (url: string) => Pool): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) return;
  url.pathname = '/postgres';
  const admin = createPool(url.toString());
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`).catch((err: { code?: string }) => {
        if (err.code !== '42P04') throw err; // created meanwhile by another process
      });
    }
  } finally {
    await admin.end();
  }
}

/**
 * The migrations' CHECKs name the shared input rules, as predicates on a column
 * ({{USER_ID_CHECK:user_id}}) or, in the first migrations, as patterns ({{ID_PATTERN}}): the SQL
 * enforces exactly what the API's schemas do (src/input-rules.ts).
 */
export function withInputRules(sql: string): string {
  return sql.replace(/\{\{([A-Z_]+)(?::([a-z_]+))?\}\}/g, (_, name: string, column: string | undefined) => {
    if (column !== undefined) {
      const check = SQL_CHECKS[name];
      if (check === undefined) throw new Error(`a migration names an unknown input rule {{${name}:${column}}}`);
      return check(column);
    }
    const pattern = SQL_PATTERNS[name];
    if (pattern === undefined) throw new Error(`a migration names an unknown input rule {{${name}}}`);
    return pattern.replaceAll("'", "''");
  });
}
