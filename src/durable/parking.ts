import type { Pool } from '../db/pool.js';

export interface ParkedEntry {
  /** The capability and entity whose log held it (e.g. "claims", the campaign id). */
  capability: string;
  entity: string;
  logId: string;
  /** The log entry as it was written, byte for byte (it may hold what PostgreSQL refuses as text). */
  entry: string;
  reason: string;
}

/**
 * Entries that must never be confirmed nor retried (they collide with a stored record, or the
 * database refuses their data) are parked here for an operator, with their reason, and taken out
 * of the log: they stop costing a retry every second and stop blocking nothing else.
 * `SELECT * FROM parked_entries` is where an operator finds them.
 */
export class Parking {
  constructor(private readonly pool: Pool) {}

  async park(entries: readonly ParkedEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO parked_entries (capability, entity_id, log_id, entry, reason)
       SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::bytea[], $5::text[])
       ON CONFLICT (capability, entity_id, log_id) DO NOTHING`,
      [
        entries.map((e) => e.capability),
        // Entity ids and entries are stored as bytes: they may be what made PostgreSQL refuse the row.
        entries.map((e) => Buffer.from(e.entity, 'utf8')),
        entries.map((e) => e.logId),
        entries.map((e) => Buffer.from(e.entry, 'utf8')),
        entries.map((e) => e.reason.replaceAll('\u0000', '\\0')),
      ],
    );
  }

  /** What is parked for one entity (for operators and tests). */
  async list(capability: string, entity: string): Promise<Array<{ logId: string; entry: string; reason: string }>> {
    const { rows } = await this.pool.query<{ log_id: string; entry: Buffer; reason: string }>(
      'SELECT log_id, entry, reason FROM parked_entries WHERE capability = $1 AND entity_id = $2 ORDER BY id',
      [capability, Buffer.from(entity, 'utf8')],
    );
    return rows.map((r) => ({ logId: r.log_id, entry: r.entry.toString('utf8'), reason: r.reason }));
  }
}
