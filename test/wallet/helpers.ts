import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Pool } from '../../src/db/pool.js';
import { admin } from '../helpers.js';

export async function createPartner(app: FastifyInstance, name = 'shop'): Promise<{ partnerId: string; apiKey: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/partners', headers: admin, payload: { name } });
  if (res.statusCode !== 201) throw new Error(`partner creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export const newKey = () => `k-${randomBytes(8).toString('hex')}`;

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** A partner's calls to the wallet API, injected into one instance. */
export function walletClient(app: FastifyInstance, apiKey: string) {
  const headers = (key: string | null = null) => ({ 'x-api-key': apiKey, ...(key !== null ? { 'idempotency-key': key } : {}) });
  /** `key` null: no Idempotency-Key header. */
  const post = async (url: string, payload: object | undefined, key: string | null = newKey()): Promise<Answer> => {
    const res = await app.inject({ method: 'POST', url, headers: headers(key), ...(payload !== undefined ? { payload } : {}) });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  };
  const path = (userId: string) => `/v1/wallets/${encodeURIComponent(userId)}`;
  return {
    post,
    earn: (userId: string, body: object, key?: string) => post(`${path(userId)}/earn`, { reason: 'test', ...body }, key),
    spend: (userId: string, points: number, key?: string) => post(`${path(userId)}/spend`, { points, reason: 'test' }, key),
    transfer: (from: string, to: string, points: number, key?: string) =>
      post('/v1/wallets/transfers', { from, to, points, reason: 'test' }, key),
    hold: (userId: string, points: number, expiresInSeconds = 60, key?: string) =>
      post(`${path(userId)}/holds`, { points, expiresInSeconds }, key),
    capture: (holdId: string, points?: number, key?: string) =>
      post(`/v1/wallets/holds/${holdId}/capture`, points === undefined ? {} : { points }, key),
    void: (holdId: string, key?: string) => post(`/v1/wallets/holds/${holdId}/void`, {}, key),
    reverse: (transactionId: string, points?: number, key?: string) =>
      post(`/v1/wallets/transactions/${transactionId}/reverse`, points === undefined ? {} : { points }, key),
    async get(userId: string): Promise<Answer> {
      const res = await app.inject({ url: path(userId), headers: headers() });
      return { status: res.statusCode, body: res.json(), headers: res.headers };
    },
    async history(userId: string, query = ''): Promise<Answer> {
      const res = await app.inject({ url: `${path(userId)}/history${query}`, headers: headers() });
      return { status: res.statusCode, body: res.json(), headers: res.headers };
    },
  };
}

export type WalletClient = ReturnType<typeof walletClient>;

/** Whole-database deadlock count (pg_stat_database): compared before and after a test. */
export async function deadlocks(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ deadlocks: number }>('SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()');
  return rows[0]!.deadlocks;
}

/**
 * The ledger's invariants, over every wallet of the database (or of one partner): each
 * transaction sums to zero (so all accounts together do), every lot is exactly the sum of its
 * postings and never negative (so every balance, the sum of a wallet's lots, is the sum of its
 * postings and never negative), and the partner's held account holds exactly its pending holds.
 */
export async function assertLedgerHolds(pool: Pool, partnerId?: string): Promise<void> {
  const scope = partnerId ? 'AND a.partner_id = $1' : '';
  const values = partnerId ? [partnerId] : [];
  const q = async (sql: string) => (await pool.query(sql, values)).rows;

  assert.deepEqual(
    await q(`SELECT p.transaction_id FROM wallet_postings p JOIN wallet_accounts a ON a.id = p.account_id WHERE true ${scope}
             GROUP BY p.transaction_id HAVING sum(p.points) <> 0`),
    [],
    'every transaction sums to zero',
  );
  const [total] = await q(
    `SELECT coalesce(sum(p.points), 0)::bigint AS sum FROM wallet_postings p JOIN wallet_accounts a ON a.id = p.account_id WHERE true ${scope}`,
  );
  assert.equal(Number(total.sum), 0, 'the sum over all accounts is zero');
  assert.deepEqual(
    await q(`SELECT l.id, l.remaining, coalesce(sum(p.points), 0)::bigint AS posted
               FROM wallet_lots l JOIN wallet_accounts a ON a.id = l.account_id LEFT JOIN wallet_postings p ON p.lot_id = l.id
              WHERE true ${scope} GROUP BY l.id HAVING l.remaining <> coalesce(sum(p.points), 0) OR l.remaining < 0`),
    [],
    'every lot is the sum of its postings, and not negative',
  );
  assert.deepEqual(
    await q(`SELECT a.account_id, a.balance FROM wallet_balances a
              WHERE true ${scope}
                AND (a.balance < 0 OR a.balance <> (SELECT coalesce(sum(points), 0) FROM wallet_postings p WHERE p.account_id = a.account_id))`),
    [],
    'every balance is the sum of its postings, and not negative',
  );
  assert.deepEqual(
    await q(`SELECT a.partner_id FROM wallet_accounts a
              WHERE a.kind = 'held' ${scope}
                AND (SELECT coalesce(sum(points), 0) FROM wallet_postings p WHERE p.account_id = a.id)
                 <> (SELECT coalesce(sum(amount), 0) FROM wallet_holds h WHERE h.partner_id = a.partner_id AND h.status = 'pending')`),
    [],
    "the partner's held account holds exactly its pending holds",
  );
}

/** A wallet's balance as stored (after the writer answered). */
export async function storedBalance(pool: Pool, partnerId: string, userId: string): Promise<number | null> {
  const { rows } = await pool.query<{ balance: number }>('SELECT balance FROM wallet_balances WHERE partner_id = $1 AND user_id = $2', [
    partnerId,
    userId,
  ]);
  return rows[0]?.balance ?? null;
}
