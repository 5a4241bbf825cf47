// What partners (and operators) read of a wallet: its balance, holds and lots, and its history.
// Read from PostgreSQL each time, in one statement each (one snapshot): never from a cache.
import type { Clock } from '../clock.js';
import type { Pool } from '../db/pool.js';
import type { LotKind } from './domain/lots.js';

const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint`;

/** Open lots listed in a wallet's view at most (the soonest to expire). */
const LISTED_LOTS = 100;

const WALLET = `
SELECT (SELECT coalesce(sum(l.remaining), 0) FROM wallet_lots l WHERE l.account_id = a.id AND l.open)::bigint AS balance,
       (SELECT coalesce(sum(h.amount), 0) FROM wallet_holds h WHERE h.account_id = a.id AND h.status = 'pending')::bigint AS held,
       (SELECT coalesce(json_agg(json_build_array(l.id, l.kind, l.remaining, ${ms('l.expires_at')}) ORDER BY l.expires_at, l.id), '[]')
          FROM (SELECT * FROM wallet_lots WHERE account_id = a.id AND open ORDER BY expires_at, id LIMIT ${LISTED_LOTS}) l) AS lots,
       (SELECT coalesce(sum(l.remaining), 0) FROM wallet_lots l
         WHERE l.account_id = a.id AND l.open AND l.expires_at <= timestamptz 'epoch' + $3 * interval '1 millisecond')::bigint AS due
  FROM wallet_accounts a
 WHERE a.partner_id = $1 AND a.user_id = $2 AND a.kind = 'user'`;

/** A page of a wallet's history: its transactions, newest first, each with what it did to this wallet. */
const HISTORY = `
WITH wallet AS (SELECT id FROM wallet_accounts WHERE partner_id = $1 AND user_id = $2 AND kind = 'user'),
page AS (
  SELECT p.transaction_id, sum(p.points)::bigint AS points
    FROM wallet_postings p, wallet
   WHERE p.account_id = wallet.id AND p.transaction_id < $3
   GROUP BY p.transaction_id
   ORDER BY p.transaction_id DESC
   LIMIT $4
)
SELECT pg.transaction_id AS id, pg.points, t.kind, t.amount, t.reason, ${ms('t.created_at')} AS created_at, t.reverses, t.hold_id,
       cp.user_id AS counterparty, h.status AS hold_status, h.captured AS hold_captured, ${ms('h.expires_at')} AS hold_expires_at
  FROM page pg
  JOIN wallet_transactions t ON t.id = pg.transaction_id
  CROSS JOIN wallet
  LEFT JOIN wallet_accounts cp ON t.kind = 'transfer'
       AND cp.id = CASE WHEN t.account_id = wallet.id THEN t.counter_account_id ELSE t.account_id END
  LEFT JOIN wallet_holds h ON t.kind = 'hold' AND h.id = t.id
 ORDER BY pg.transaction_id DESC`;

export interface WalletView {
  userId: string;
  balance: number;
  held: number;
  expiring: Array<{ points: number; expiresAt: string }>;
  lots: Array<{ lotId: string; kind: LotKind; remaining: number; expiresAt: string | null }>;
}

export interface HistoryEntry {
  transactionId: string;
  kind: string;
  /** What it did to this wallet's balance (signed). */
  points: number;
  /** The transaction's amount (earned, spent, sent, held, captured, given back, expired, reversed). */
  amount: number;
  reason: string | null;
  createdAt: string;
  counterparty?: string;
  reverses?: string;
  holdId?: string;
  hold?: { status: string; captured: number; expiresAt: string };
}

const iso = (ms: number) => new Date(ms).toISOString();

export class WalletViews {
  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
  ) {}

  /**
   * A wallet now, or null when it does not exist. Lots past their expiry that the expiry step has
   * not moved yet are counted as expired already: the balance is what a spend could take.
   */
  async wallet(partnerId: string, userId: string): Promise<WalletView | null> {
    const now = this.clock.now();
    const { rows } = await this.pool.query<{
      balance: number;
      held: number;
      lots: Array<[number, LotKind, number, number | null]>;
      due: number;
    }>({ name: 'wallet-view', text: WALLET, values: [partnerId, userId, now] });
    const row = rows[0];
    if (!row) return null;
    const expiring = new Map<number, number>();
    const lots: WalletView['lots'] = [];
    for (const [id, kind, remaining, expiresAt] of row.lots) {
      if (expiresAt !== null && expiresAt <= now) continue;
      lots.push({ lotId: String(id), kind, remaining, expiresAt: expiresAt === null ? null : iso(expiresAt) });
      if (expiresAt !== null) expiring.set(expiresAt, (expiring.get(expiresAt) ?? 0) + remaining);
    }
    return {
      userId,
      balance: row.balance - row.due,
      held: row.held,
      expiring: [...expiring].map(([expiresAt, points]) => ({ points, expiresAt: iso(expiresAt) })),
      lots,
    };
  }

  /** A page of history (newest first) before `cursor` (a transaction id); null when the wallet does not exist. */
  async history(
    partnerId: string,
    userId: string,
    cursor: number | null,
    limit: number,
  ): Promise<{ transactions: HistoryEntry[]; nextCursor: string | null } | null> {
    const { rows } = await this.pool.query<{
      id: number;
      points: number;
      kind: string;
      amount: number;
      reason: string | null;
      created_at: number;
      reverses: number | null;
      hold_id: number | null;
      counterparty: string | null;
      hold_status: string | null;
      hold_captured: number | null;
      hold_expires_at: number | null;
    }>({ name: 'wallet-history', text: HISTORY, values: [partnerId, userId, cursor ?? Number.MAX_SAFE_INTEGER, limit] });
    if (rows.length === 0 && !(await this.exists(partnerId, userId))) return null;
    const transactions = rows.map((r): HistoryEntry => {
      const entry: HistoryEntry = {
        transactionId: String(r.id),
        kind: r.kind,
        points: r.points,
        amount: r.amount,
        reason: r.reason,
        createdAt: iso(r.created_at),
      };
      if (r.counterparty !== null) entry.counterparty = r.counterparty;
      if (r.reverses !== null) entry.reverses = String(r.reverses);
      if (r.hold_id !== null) entry.holdId = String(r.hold_id);
      if (r.hold_status !== null)
        entry.hold = { status: r.hold_status, captured: r.hold_captured ?? 0, expiresAt: iso(r.hold_expires_at!) };
      return entry;
    });
    return { transactions, nextCursor: rows.length === limit ? String(rows.at(-1)!.id) : null };
  }

  private async exists(partnerId: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query("SELECT 1 FROM wallet_accounts WHERE partner_id = $1 AND user_id = $2 AND kind = 'user'", [
      partnerId,
      userId,
    ]);
    return rowCount === 1;
  }
}
