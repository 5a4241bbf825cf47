import type { FastifyBaseLogger } from 'fastify';
import { Agent, request } from 'undici';
import type { Pool } from '../db/pool.js';
import { publicOnlyLookup } from './destination.js';

interface Message {
  id: number;
  url: string;
  idempotency_key: string;
  payload: unknown;
  attempts: number;
}

const BATCH = 50;
/** A message taken by an instance is not taken by another for this long (the delivery's timeout + margin). */
const LEASE_SECONDS = 30;
const TIMEOUT_MS = 10_000;
const MAX_BACKOFF_SECONDS = 300;

/** Backoff before attempt n+1 after n failures: 1 s, 2 s, 4 s … 5 min, with ±20% jitter. */
export function backoffSeconds(attempts: number, random = Math.random): number {
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(0, attempts - 1)) * (0.8 + 0.4 * random());
}

/**
 * Delivers outbox messages (webhooks), at least once, each with an Idempotency-Key header. Every
 * instance runs it; a message is leased (next_attempt_at pushed forward) in a short transaction
 * with SKIP LOCKED, so instances never hold a transaction open during a delivery and never send the
 * same message at the same time. Undelivered messages are retried with exponential backoff.
 */
export class OutboxSender {
  /** Deliveries connect only to public addresses unless private ones are allowed (outbox/destination.ts). */
  private readonly dispatcher: Agent;

  constructor(
    private readonly pool: Pool,
    private readonly log: FastifyBaseLogger,
    options: { allowPrivate: boolean },
  ) {
    this.dispatcher = new Agent(options.allowPrivate ? {} : { connect: { lookup: publicOnlyLookup() } });
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }

  /** Sends what is due; returns the number of messages delivered. */
  async sendDue(): Promise<number> {
    const { rows } = await this.pool.query<Message>(
      `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2)
        WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING id, url, idempotency_key, payload, attempts`,
      [BATCH, LEASE_SECONDS],
    );
    const results = await Promise.all(rows.map((m) => this.deliver(m)));
    return results.filter(Boolean).length;
  }

  private async deliver(message: Message): Promise<boolean> {
    let error: string;
    try {
      const res = await request(message.url, {
        dispatcher: this.dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': message.idempotency_key },
        body: JSON.stringify(message.payload),
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await this.pool.query('UPDATE outbox SET delivered_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1', [
          message.id,
        ]);
        return true;
      }
      error = `HTTP ${res.statusCode}`;
    } catch (err) {
      error = (err as Error).message;
    }
    const attempts = message.attempts + 1;
    await this.pool.query(
      'UPDATE outbox SET attempts = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1',
      [message.id, attempts, error.slice(0, 500), backoffSeconds(attempts)],
    );
    this.log.debug({ id: message.id, attempts, error }, 'webhook delivery failed; will retry');
    return false;
  }
}
