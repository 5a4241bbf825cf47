import type { Pool, Queryable } from '../db/pool.js';

/** A webhook to deliver: at least once, with its idempotency key as the Idempotency-Key header. */
export interface OutboxMessage {
  topic: string;
  url: string;
  idempotencyKey: string;
  payload: Record<string, unknown>;
}

/**
 * The outbox as capabilities see it: messages are written with the caller's own connection, in
 * the transaction that records what they announce, so a fact and its webhook commit together.
 * Delivery is the outbox capability's loop (outbox/sender.ts).
 */
export interface OutboxPort {
  /** Writes the messages in `db`'s transaction; a message whose idempotency key exists is skipped. */
  enqueue(db: Queryable, messages: readonly OutboxMessage[]): Promise<void>;
  /** Messages not delivered yet. */
  backlog(): Promise<number>;
}

export class Outbox implements OutboxPort {
  constructor(private readonly pool: Pool) {}

  async enqueue(db: Queryable, messages: readonly OutboxMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await db.query(
      `INSERT INTO outbox (topic, url, idempotency_key, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[])
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        messages.map((m) => m.topic),
        messages.map((m) => m.url),
        messages.map((m) => m.idempotencyKey),
        messages.map((m) => JSON.stringify(m.payload)),
      ],
    );
  }

  async backlog(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox WHERE delivered_at IS NULL');
    return rows[0]!.n;
  }
}
