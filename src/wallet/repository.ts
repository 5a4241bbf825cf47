// The ledger's statements in PostgreSQL (schema: src/db/migrations/030_wallet.sql). A batch reads
// what it needs in three steps: immutable facts before its transaction (wallet ids, the
// partner's accounts, holds' and transactions' own rows: they never change once written), then,
// inside it, the wallets locked in id order with their open lots, then what may have changed
// (holds' status, earlier reversals). It writes everything in one statement and its answers last.
import type { Pool, PoolClient } from '../db/pool.js';
import {
  capturedPieces,
  type Effects,
  type Hold,
  type PartnerAccounts,
  type Reversible,
  type TransactionKind,
  type Wallet,
} from './domain/ledger.js';
import { type LotKind, type Piece, spendOrder } from './domain/lots.js';
import { byteaArray, integerArray, textArray } from './pg-arrays.js';

/** Epoch milliseconds of a timestamptz, as a bigint (parsed to a number by db/pool.ts). */
const ms = (column: string) => `(extract(epoch FROM ${column}) * 1000)::bigint`;
/** A timestamptz from epoch milliseconds, exactly. */
const fromMs = (param: string) => `(timestamptz 'epoch' + ${param} * interval '1 millisecond')`;

/** Wallet ids remembered per instance (they never change); beyond this many the memory starts afresh. */
const REMEMBERED_WALLETS = 250_000;

export const walletKey = (partnerId: string, userId: string) => `${partnerId}\n${userId}`;

/** What a reversal needs of its transaction that never changes. */
export type ReversibleFacts = Omit<Reversible, 'restored' | 'reversed'>;
/** What a hold settlement needs of its hold that never changes. */
export type HoldFacts = Omit<Hold, 'status' | 'captured'>;

/** A request's stored first answer. */
export interface StoredAnswer {
  partnerId: string;
  key: string;
  fingerprint: Buffer;
  refused: string | null;
  answer: string;
}

export interface AnswerRow extends StoredAnswer {
  transactionId: number | null;
}

// ── statements ──────────────────────────────────────────────────────────────────────────────────

// Lookups by (partner, user) go through LATERAL: one probe of the unique index per wallet (a join
// with unnest()'s rows, which the planner cannot count, scanned the whole table).
const ENSURE_WALLETS = `
WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[]) AS w(partner_id, user_id)),
created AS (
  INSERT INTO wallet_accounts (partner_id, kind, user_id)
  SELECT partner_id, 'user', user_id FROM wanted ORDER BY partner_id, user_id
  ON CONFLICT (partner_id, user_id) WHERE kind = 'user' DO NOTHING
  RETURNING id, partner_id, user_id
)
SELECT id, partner_id, user_id FROM created
UNION ALL
SELECT a.id, w.partner_id, w.user_id FROM wanted w
  CROSS JOIN LATERAL (SELECT id FROM wallet_accounts a WHERE a.partner_id = w.partner_id AND a.user_id = w.user_id AND a.kind = 'user') a`;

const FIND_WALLETS = `
SELECT a.id, w.partner_id, w.user_id
  FROM unnest($1::text[], $2::text[]) AS w(partner_id, user_id)
  CROSS JOIN LATERAL (SELECT id FROM wallet_accounts a WHERE a.partner_id = w.partner_id AND a.user_id = w.user_id AND a.kind = 'user') a`;

const ENSURE_PARTNER = `
INSERT INTO wallet_accounts (partner_id, kind) SELECT $1, kind FROM unnest(ARRAY['issuance', 'expired', 'held']) AS kind
ON CONFLICT (partner_id, kind) WHERE kind <> 'user' DO NOTHING`;

const HOLDS = `
SELECT id, partner_id, account_id, amount, ${ms('expires_at')} AS expires_at, captured FROM wallet_holds WHERE id = ANY($1::bigint[])`;

const TRANSACTIONS = `
SELECT t.id, t.partner_id, t.kind, t.account_id, t.amount, t.hold_id, l.id AS earn_lot_id
  FROM wallet_transactions t LEFT JOIN wallet_lots l ON t.kind = 'earn' AND l.transaction_id = t.id AND l.kind = 'earn'
 WHERE t.id = ANY($1::bigint[])`;

/** The lots a transaction took points from (its negative postings on its own wallet). */
const TAKEN_PIECES = `
SELECT p.transaction_id, p.lot_id, -p.points AS points, l.kind, ${ms('l.expires_at')} AS expires_at
  FROM wallet_transactions t
  JOIN wallet_postings p ON p.account_id = t.account_id AND p.transaction_id = t.id
  JOIN wallet_lots l ON l.id = p.lot_id
 WHERE t.id = ANY($1::bigint[]) AND p.points < 0`;

const STORED_ANSWERS = `
SELECT r.partner_id, r.idempotency_key, r.fingerprint, r.refused, r.answer
  FROM unnest($1::text[], $2::text[]) AS k(partner_id, idempotency_key)
  CROSS JOIN LATERAL (SELECT * FROM wallet_requests r WHERE r.partner_id = k.partner_id AND r.idempotency_key = k.idempotency_key) r`;

// The batch's reads answer with one row holding JSON (parsed natively) rather than a row per
// wallet or lot (the driver builds an object for each: thousands per batch).

/** The batch's wallets, locked in id order: the one lock order every batch of every instance follows. */
const LOCK_WALLETS = `
SELECT coalesce(json_agg(json_build_array(id, partner_id, user_id)), '[]') AS wallets
  FROM (SELECT id, partner_id, user_id FROM wallet_accounts WHERE id = ANY($1::bigint[]) AND kind = 'user' ORDER BY id FOR UPDATE) w`;

const OPEN_LOTS = `
SELECT coalesce(json_agg(json_build_array(account_id, id, kind, remaining, ${ms('expires_at')}) ORDER BY account_id, expires_at, id), '[]') AS lots
  FROM wallet_lots WHERE account_id = ANY($1::bigint[]) AND open`;

const HOLD_STATES = 'SELECT id, status, captured FROM wallet_holds WHERE id = ANY($1::bigint[])';

/** Per reversed transaction: points reversed so far, and points given back to each lot. */
const REVERSALS = `
SELECT r.reverses, sum(r.amount)::bigint AS reversed, NULL::bigint AS lot_id, NULL::bigint AS restored
  FROM wallet_transactions r WHERE r.reverses = ANY($1::bigint[]) GROUP BY r.reverses
UNION ALL
SELECT r.reverses, NULL, p.lot_id, sum(p.points)::bigint
  FROM wallet_transactions r JOIN wallet_postings p ON p.account_id = r.account_id AND p.transaction_id = r.id
 WHERE r.reverses = ANY($1::bigint[]) AND p.points > 0 GROUP BY r.reverses, p.lot_id`;

const DRAW_IDS = "SELECT string_agg(nextval('wallet_ids')::text, ',') AS ids FROM generate_series(1, $1::int)";

/** Everything a batch applied, in one statement; the postings' trigger moves the lots. */
const WRITE_EFFECTS = `
WITH transactions AS (
  INSERT INTO wallet_transactions (id, partner_id, kind, account_id, counter_account_id, amount, reason, reverses, hold_id, created_at)
  SELECT id, partner_id, kind, account_id, counter_account_id, amount, reason, reverses, hold_id, ${fromMs('$10')}
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::bigint[], $9::bigint[])
      AS t(id, partner_id, kind, account_id, counter_account_id, amount, reason, reverses, hold_id)
), lots AS (
  INSERT INTO wallet_lots (id, account_id, kind, expires_at, transaction_id, remaining, open)
  SELECT id, account_id, kind, ${fromMs('expires_ms')}, transaction_id, remaining, remaining > 0
    FROM unnest($11::bigint[], $12::bigint[], $13::text[], $14::bigint[], $15::bigint[], $29::bigint[])
      AS l(id, account_id, kind, expires_ms, transaction_id, remaining)
), holds AS (
  INSERT INTO wallet_holds (id, partner_id, account_id, amount, status, expires_at, created_at)
  SELECT id, partner_id, account_id, amount, 'pending', ${fromMs('expires_ms')}, ${fromMs('$10')}
    FROM unnest($16::bigint[], $17::text[], $18::bigint[], $19::bigint[], $20::bigint[]) AS h(id, partner_id, account_id, amount, expires_ms)
), settled AS (
  UPDATE wallet_holds h SET status = s.status, captured = s.captured, settled_by = s.settled_by
    FROM unnest($21::bigint[], $22::text[], $23::bigint[], $24::bigint[]) AS s(id, status, captured, settled_by)
   WHERE h.id = s.id AND h.status = 'pending'
  RETURNING h.id
), posted AS (
  INSERT INTO wallet_postings (transaction_id, account_id, lot_id, points)
  SELECT * FROM unnest($25::bigint[], $26::bigint[], $27::bigint[], $28::bigint[])
  RETURNING 1
)
SELECT (SELECT count(*) FROM settled)::int AS settled, (SELECT count(*) FROM posted)::int AS posted`;

/** Inserted in key order, last in the batch: a key another batch holds is waited for after every wallet lock. */
const STORE_ANSWERS = `
WITH stored AS (
  INSERT INTO wallet_requests (partner_id, idempotency_key, fingerprint, refused, answer, transaction_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::text[], $6::bigint[])
  ON CONFLICT (partner_id, idempotency_key) DO NOTHING
  RETURNING 1
)
SELECT count(*)::int AS stored FROM stored`;

// ── the store ───────────────────────────────────────────────────────────────────────────────────

export class LedgerStore {
  private readonly walletIds = new Map<string, number>();
  private readonly partnerAccounts = new Map<string, PartnerAccounts>();

  constructor(private readonly pool: Pool) {}

  /** The partners' own accounts, created on first use. */
  async partners(partnerIds: Iterable<string>): Promise<Map<string, PartnerAccounts>> {
    const found = new Map<string, PartnerAccounts>();
    for (const partnerId of new Set(partnerIds)) {
      let accounts = this.partnerAccounts.get(partnerId);
      if (!accounts) {
        await this.pool.query({ name: 'wallet-ensure-partner', text: ENSURE_PARTNER, values: [partnerId] });
        const { rows } = await this.pool.query<{ id: number; kind: keyof PartnerAccounts }>(
          "SELECT id, kind FROM wallet_accounts WHERE partner_id = $1 AND kind <> 'user'",
          [partnerId],
        );
        const byKind = Object.fromEntries(rows.map((r) => [r.kind, r.id])) as Partial<PartnerAccounts>;
        if (byKind.issuance === undefined || byKind.expired === undefined || byKind.held === undefined) {
          throw new Error(`the accounts of partner ${partnerId} are missing`);
        }
        accounts = { issuance: byKind.issuance, expired: byKind.expired, held: byKind.held };
        this.partnerAccounts.set(partnerId, accounts);
      }
      found.set(partnerId, accounts);
    }
    return found;
  }

  /**
   * The ids of the named wallets (keys: walletKey()); those in `create` are created when missing
   * (a wallet starts with its first credit), in their own statement before the batch's
   * transaction, so a batch never waits for another's new row. A wallet that does not exist and
   * is not to be created is absent from the answer.
   */
  async wallets(wanted: ReadonlyMap<string, { partnerId: string; userId: string; create: boolean }>): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    const toCreate: Array<{ partnerId: string; userId: string }> = [];
    const toFind: Array<{ partnerId: string; userId: string }> = [];
    for (const [key, w] of wanted) {
      const id = this.walletIds.get(key);
      if (id !== undefined) ids.set(key, id);
      else (w.create ? toCreate : toFind).push(w);
    }
    const remember = (rows: Array<{ id: number; partner_id: string; user_id: string }>) => {
      if (this.walletIds.size + rows.length > REMEMBERED_WALLETS) this.walletIds.clear();
      for (const r of rows) {
        const key = walletKey(r.partner_id, r.user_id);
        ids.set(key, r.id);
        this.walletIds.set(key, r.id);
      }
    };
    if (toCreate.length > 0) {
      toCreate.sort((a, b) => compare(a.partnerId, b.partnerId) || compare(a.userId, b.userId));
      const columns = [toCreate.map((w) => w.partnerId), toCreate.map((w) => w.userId)];
      remember((await this.pool.query({ name: 'wallet-ensure-wallets', text: ENSURE_WALLETS, values: columns })).rows);
      // One created by another instance while this statement ran is not in its snapshot: read it now.
      const missing = toCreate.filter((w) => !ids.has(walletKey(w.partnerId, w.userId)));
      toFind.push(...missing);
    }
    if (toFind.length > 0) {
      const columns = [toFind.map((w) => w.partnerId), toFind.map((w) => w.userId)];
      remember((await this.pool.query({ name: 'wallet-find-wallets', text: FIND_WALLETS, values: columns })).rows);
    }
    return ids;
  }

  /** Holds' immutable facts, with the pieces of lots they reserved (in spending order). */
  async holdFacts(holdIds: readonly number[]): Promise<Map<number, HoldFacts>> {
    return new Map([...(await this.holdRows(holdIds)).entries()].map(([id, { captured: _, ...facts }]) => [id, facts]));
  }

  private async holdRows(holdIds: readonly number[]): Promise<Map<number, HoldFacts & { captured: number }>> {
    const facts = new Map<number, HoldFacts & { captured: number }>();
    if (holdIds.length === 0) return facts;
    const [holds, pieces] = await Promise.all([
      this.pool.query<{ id: number; partner_id: string; account_id: number; amount: number; expires_at: number; captured: number }>({
        name: 'wallet-holds',
        text: HOLDS,
        values: [holdIds],
      }),
      this.takenPieces(holdIds),
    ]);
    for (const h of holds.rows) {
      facts.set(h.id, {
        id: h.id,
        partnerId: h.partner_id,
        accountId: h.account_id,
        amount: h.amount,
        expiresAt: h.expires_at,
        pieces: pieces.get(h.id) ?? [],
        captured: h.captured,
      });
    }
    return facts;
  }

  /** Transactions' immutable facts, for reversals: kind, wallet, amount, an earn's lot, what a spend or capture took. */
  async reversibleFacts(transactionIds: readonly number[]): Promise<Map<number, ReversibleFacts>> {
    const facts = new Map<number, ReversibleFacts>();
    if (transactionIds.length === 0) return facts;
    const { rows } = await this.pool.query<{
      id: number;
      partner_id: string;
      kind: TransactionKind;
      account_id: number;
      amount: number;
      hold_id: number | null;
      earn_lot_id: number | null;
    }>({ name: 'wallet-transactions', text: TRANSACTIONS, values: [transactionIds] });
    const spends = rows.filter((r) => r.kind === 'spend').map((r) => r.id);
    // A capture's hold is settled for good: what it captured no longer changes.
    const captureHolds = rows.filter((r) => r.kind === 'capture' && r.hold_id !== null).map((r) => r.hold_id!);
    const [spent, holds] = await Promise.all([this.takenPieces(spends), this.holdRows(captureHolds)]);
    for (const r of rows) {
      let consumed: Piece[] = [];
      if (r.kind === 'spend') consumed = spent.get(r.id) ?? [];
      const hold = r.kind === 'capture' && r.hold_id !== null ? holds.get(r.hold_id) : undefined;
      if (hold) consumed = capturedPieces(hold.pieces, hold.captured);
      facts.set(r.id, {
        id: r.id,
        partnerId: r.partner_id,
        kind: r.kind,
        accountId: r.account_id,
        amount: r.amount,
        earnLotId: r.earn_lot_id,
        consumed,
      });
    }
    return facts;
  }

  private async takenPieces(transactionIds: readonly number[]): Promise<Map<number, Piece[]>> {
    const byTransaction = new Map<number, Piece[]>();
    if (transactionIds.length === 0) return byTransaction;
    const { rows } = await this.pool.query<{
      transaction_id: number;
      lot_id: number;
      points: number;
      kind: LotKind;
      expires_at: number | null;
    }>({
      name: 'wallet-taken-pieces',
      text: TAKEN_PIECES,
      values: [transactionIds],
    });
    for (const r of rows) {
      const list = byTransaction.get(r.transaction_id) ?? [];
      byTransaction.set(r.transaction_id, list);
      list.push({ lotId: r.lot_id, kind: r.kind, expiresAt: r.expires_at, points: r.points });
    }
    // They were taken in spending order: sorted the same way, they are in the order taken.
    for (const list of byTransaction.values())
      list.sort((a, b) => spendOrder({ id: a.lotId, expiresAt: a.expiresAt }, { id: b.lotId, expiresAt: b.expiresAt }));
    return byTransaction;
  }

  // ── inside the batch's transaction ─────────────────────────────────────────────────────────────

  async storedAnswers(client: PoolClient, keys: ReadonlyArray<{ partnerId: string; key: string }>): Promise<StoredAnswer[]> {
    if (keys.length === 0) return [];
    const { rows } = await client.query<{
      partner_id: string;
      idempotency_key: string;
      fingerprint: Buffer;
      refused: string | null;
      answer: string;
    }>({
      name: 'wallet-stored-answers',
      text: STORED_ANSWERS,
      values: [textArray(keys.map((k) => k.partnerId)), textArray(keys.map((k) => k.key))],
    });
    return rows.map((r) => ({
      partnerId: r.partner_id,
      key: r.idempotency_key,
      fingerprint: r.fingerprint,
      refused: r.refused,
      answer: r.answer,
    }));
  }

  /** Locks the wallets in id order and reads them with their open lots (in spending order): a balance is the sum of its lots. */
  async lockWallets(client: PoolClient, walletIds: readonly number[]): Promise<Map<number, Wallet>> {
    const wallets = new Map<number, Wallet>();
    if (walletIds.length === 0) return wallets;
    const ids = integerArray(walletIds);
    const locked = await client.query<{ wallets: Array<[number, string, string]> }>({
      name: 'wallet-lock',
      text: LOCK_WALLETS,
      values: [ids],
    });
    for (const [id, partnerId, userId] of locked.rows[0]!.wallets) wallets.set(id, { id, partnerId, userId, balance: 0, lots: [] });
    const lots = await client.query<{ lots: Array<[number, number, LotKind, number, number | null]> }>({
      name: 'wallet-open-lots',
      text: OPEN_LOTS,
      values: [ids],
    });
    for (const [accountId, id, kind, remaining, expiresAt] of lots.rows[0]!.lots) {
      const wallet = wallets.get(accountId);
      if (!wallet) continue;
      wallet.lots.push({ id, kind, expiresAt, remaining });
      wallet.balance += remaining;
    }
    return wallets;
  }

  /** Holds as they are now (read after their wallets are locked: only a batch holding the lock changes them). */
  async holds(client: PoolClient, facts: ReadonlyMap<number, HoldFacts>): Promise<Map<number, Hold>> {
    const holds = new Map<number, Hold>();
    if (facts.size === 0) return holds;
    const { rows } = await client.query<{ id: number; status: Hold['status']; captured: number }>({
      name: 'wallet-hold-states',
      text: HOLD_STATES,
      values: [[...facts.keys()]],
    });
    for (const r of rows) holds.set(r.id, { ...facts.get(r.id)!, status: r.status, captured: r.captured });
    return holds;
  }

  /** Reversible transactions with what earlier reversals did (read after their wallets are locked). */
  async reversibles(client: PoolClient, facts: ReadonlyMap<number, ReversibleFacts>): Promise<Map<number, Reversible>> {
    const reversibles = new Map<number, Reversible>();
    if (facts.size === 0) return reversibles;
    for (const [id, f] of facts) reversibles.set(id, { ...f, consumed: [...f.consumed], restored: new Map(), reversed: 0 });
    const { rows } = await client.query<{ reverses: number; reversed: number | null; lot_id: number | null; restored: number | null }>({
      name: 'wallet-reversals',
      text: REVERSALS,
      values: [[...facts.keys()]],
    });
    for (const r of rows) {
      const target = reversibles.get(r.reverses)!;
      if (r.reversed !== null) target.reversed = r.reversed;
      if (r.lot_id !== null && r.restored !== null) target.restored.set(r.lot_id, r.restored);
    }
    return reversibles;
  }

  /** Draws `count` ids, ascending (after the batch's locks: see the migration on wallet_ids). */
  async drawIds(client: PoolClient, count: number): Promise<number[]> {
    if (count === 0) return [];
    const { rows } = await client.query<{ ids: string }>({ name: 'wallet-draw-ids', text: DRAW_IDS, values: [count] });
    return rows[0]!.ids
      .split(',')
      .map(Number)
      .sort((a, b) => a - b);
  }

  async write(client: PoolClient, effects: Effects, now: number): Promise<void> {
    if (effects.postings.length === 0 && effects.settlements.length === 0) return;
    const { transactions: t, lots: l, holds: h, settlements: s, postings: p } = effects;
    const { rows } = await client.query<{ settled: number; posted: number }>({
      name: 'wallet-write',
      text: WRITE_EFFECTS,
      values: [
        integerArray(t.map((x) => x.id)),
        textArray(t.map((x) => x.partnerId)),
        textArray(t.map((x) => x.kind)),
        integerArray(t.map((x) => x.accountId)),
        integerArray(t.map((x) => x.counterAccountId)),
        integerArray(t.map((x) => x.amount)),
        textArray(t.map((x) => x.reason)),
        integerArray(t.map((x) => x.reverses)),
        integerArray(t.map((x) => x.holdId)),
        now,
        integerArray(l.map((x) => x.id)),
        integerArray(l.map((x) => x.accountId)),
        textArray(l.map((x) => x.kind)),
        integerArray(l.map((x) => x.expiresAt)),
        integerArray(l.map((x) => x.transactionId)),
        integerArray(h.map((x) => x.id)),
        textArray(h.map((x) => x.partnerId)),
        integerArray(h.map((x) => x.accountId)),
        integerArray(h.map((x) => x.amount)),
        integerArray(h.map((x) => x.expiresAt)),
        integerArray(s.map((x) => x.id)),
        textArray(s.map((x) => x.status)),
        integerArray(s.map((x) => x.captured)),
        integerArray(s.map((x) => x.settledBy)),
        integerArray(p.map((x) => x.transactionId)),
        integerArray(p.map((x) => x.accountId)),
        integerArray(p.map((x) => x.lotId)),
        integerArray(p.map((x) => x.points)),
        integerArray(l.map((x) => x.remaining)),
      ],
    });
    // Every settlement found its hold pending (the wallet lock guarantees it; this proves it).
    const written = rows[0]!;
    if (written.settled !== s.length || written.posted !== p.length) {
      throw new Error(`wrote ${written.settled} of ${s.length} settlements, ${written.posted} of ${p.length} postings`);
    }
  }

  /** Stores the answers (sorted by key); returns how many keys another batch stored first (none, unless a key is sent to two instances at once). */
  async storeAnswers(client: PoolClient, answers: readonly AnswerRow[]): Promise<number> {
    if (answers.length === 0) return 0;
    const sorted = [...answers].sort((a, b) => compare(a.partnerId, b.partnerId) || compare(a.key, b.key));
    const { rows } = await client.query<{ stored: number }>({
      name: 'wallet-store-answers',
      text: STORE_ANSWERS,
      values: [
        textArray(sorted.map((a) => a.partnerId)),
        textArray(sorted.map((a) => a.key)),
        byteaArray(sorted.map((a) => a.fingerprint)),
        textArray(sorted.map((a) => a.refused)),
        textArray(sorted.map((a) => a.answer)),
        integerArray(sorted.map((a) => a.transactionId)),
      ],
    });
    return sorted.length - rows[0]!.stored;
  }
}

/** Byte order (UTF-16 code units), the same in every instance: the order keys are inserted in. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
