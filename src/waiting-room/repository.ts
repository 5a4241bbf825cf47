import type { Pool } from '../db/pool.js';
import type { RateRule } from '../limits/client-limiter.js';
import type { RoomConfig } from './domain/room-config.js';

/** What PATCH /v1/rooms/:roomId may change (null: clear). */
export interface RoomChanges {
  admitPerSecond?: number;
  maxActive?: number;
  paused?: boolean;
  targetUrl?: string | null;
  clientRate?: RateRule | null;
}

/** A room as recorded in PostgreSQL. */
export interface RoomRecord extends RoomConfig {
  shuffleSeed: string;
  /** Verifies the identity tokens a site signs for its users (HS256); never shown but at creation and rotation. */
  identitySecret: string;
  /** When the room was archived (closed for good); null while in use. */
  archivedAt: Date | null;
  createdAt: Date;
}

interface RoomRow {
  id: string;
  admit_per_second: number;
  max_active: number;
  session_seconds: number;
  max_extensions: number;
  arrival_seconds: number;
  abandon_after_seconds: number | null;
  opens_at: Date | null;
  prequeue: 'fifo' | 'shuffle';
  shuffle_seed: string;
  target_url: string | null;
  paused: boolean;
  identity_secret: string;
  client_rate_per_second: number | null;
  client_burst: number | null;
  archived_at: Date | null;
  created_at: Date;
}

function fromRow(row: RoomRow): RoomRecord {
  return {
    id: row.id,
    admitPerSecond: row.admit_per_second,
    maxActive: row.max_active,
    sessionSeconds: row.session_seconds,
    maxExtensions: row.max_extensions,
    arrivalSeconds: row.arrival_seconds,
    abandonAfterSeconds: row.abandon_after_seconds,
    opensAt: row.opens_at,
    prequeue: row.prequeue,
    shuffleSeed: row.shuffle_seed,
    targetUrl: row.target_url,
    paused: row.paused,
    identitySecret: row.identity_secret,
    archivedAt: row.archived_at,
    clientRate: row.client_rate_per_second === null ? null : { perSecond: row.client_rate_per_second, burst: row.client_burst! },
    createdAt: row.created_at,
  };
}

export class RoomRepository {
  constructor(private readonly pool: Pool) {}

  /** Inserts the room; null when one with the same id exists. */
  async insert(room: RoomConfig, secrets: { shuffleSeed: string; identitySecret: string }): Promise<RoomRecord | null> {
    const result = await this.pool.query<RoomRow>(
      `INSERT INTO rooms (id, admit_per_second, max_active, session_seconds, max_extensions, arrival_seconds,
                          abandon_after_seconds, opens_at, prequeue, shuffle_seed, target_url, identity_secret,
                          client_rate_per_second, client_burst)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (id) DO NOTHING
       RETURNING *`,
      [
        room.id,
        room.admitPerSecond,
        room.maxActive,
        room.sessionSeconds,
        room.maxExtensions,
        room.arrivalSeconds,
        room.abandonAfterSeconds,
        room.opensAt,
        room.prequeue,
        secrets.shuffleSeed,
        room.targetUrl,
        secrets.identitySecret,
        room.clientRate?.perSecond ?? null,
        room.clientRate?.burst ?? null,
      ],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  async get(id: string): Promise<RoomRecord | null> {
    const result = await this.pool.query<RoomRow>('SELECT * FROM rooms WHERE id = $1', [id]);
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  /** The rooms in use (archived: the archived ones instead). */
  async list(options: { archived?: boolean } = {}): Promise<RoomRecord[]> {
    const result = await this.pool.query<RoomRow>(`SELECT * FROM rooms WHERE (archived_at IS NOT NULL) = $1 ORDER BY created_at, id`, [
      options.archived ?? false,
    ]);
    return result.rows.map(fromRow);
  }

  /** Closes the room for good (no new entries, no admission) and hides it from the default list. */
  async archive(id: string): Promise<RoomRecord | null> {
    const result = await this.pool.query<RoomRow>(
      'UPDATE rooms SET archived_at = coalesce(archived_at, now()), updated_at = now() WHERE id = $1 RETURNING *',
      [id],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  /** Deletes the room's record: 'in_use' while something refers to it (a campaign, a show, a term). */
  async delete(id: string): Promise<'deleted' | 'missing' | 'in_use'> {
    try {
      const result = await this.pool.query('DELETE FROM rooms WHERE id = $1', [id]);
      return result.rowCount === 1 ? 'deleted' : 'missing';
    } catch (err) {
      if ((err as { code?: unknown }).code === '23503') return 'in_use';
      throw err;
    }
  }

  async update(id: string, changes: RoomChanges): Promise<RoomRecord | null> {
    const result = await this.pool.query<RoomRow>(
      `UPDATE rooms SET admit_per_second = COALESCE($2, admit_per_second),
                        max_active = COALESCE($3, max_active),
                        paused = COALESCE($4, paused),
                        target_url = CASE WHEN $5 THEN $6 ELSE target_url END,
                        client_rate_per_second = CASE WHEN $7 THEN $8::integer ELSE client_rate_per_second END,
                        client_burst = CASE WHEN $7 THEN $9::integer ELSE client_burst END,
                        updated_at = now()
        WHERE id = $1 RETURNING *`,
      [
        id,
        changes.admitPerSecond ?? null,
        changes.maxActive ?? null,
        changes.paused ?? null,
        changes.targetUrl !== undefined,
        changes.targetUrl ?? null,
        changes.clientRate !== undefined,
        changes.clientRate?.perSecond ?? null,
        changes.clientRate?.burst ?? null,
      ],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  /** A new identity secret: tokens signed with the old one stop being accepted. */
  async rotateIdentitySecret(id: string, identitySecret: string): Promise<RoomRecord | null> {
    const result = await this.pool.query<RoomRow>('UPDATE rooms SET identity_secret = $2, updated_at = now() WHERE id = $1 RETURNING *', [
      id,
      identitySecret,
    ]);
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }
}
