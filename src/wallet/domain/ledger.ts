// The wallet's rules, applied to a batch of operations against the wallets the batch has locked:
// pure (no I/O), so that what one batch decides is a function of the state it read and the
// operations, in order. The writer (../writer.ts) loads the state, calls applyBatch(), writes the
// effects and stores the results as the operations' answers.
//
// Double entry: every transaction is postings that sum to zero, between a user's wallet and the
// partner's issuance, expired and held accounts. A user's postings always name the lot they take
// points from or give points to; the partner's never do.
import {
  giveBack,
  insertSorted,
  type LotKind,
  type OpenLot,
  type Piece,
  splitPieces,
  sumPoints,
  takeExpired,
  takeSoonestFirst,
} from './lots.js';

/** The most points one operation may move. */
export const MAX_POINTS = 1_000_000_000;
/** The most points a wallet may hold (earns and transfers beyond it are refused). */
export const MAX_BALANCE = 1_000_000_000_000;

/** A user's wallet, locked for the batch: its spendable balance and its open lots in spending order. */
export interface Wallet {
  id: number;
  partnerId: string;
  userId: string;
  balance: number;
  lots: OpenLot[];
}

/** The partner's own accounts. */
export interface PartnerAccounts {
  issuance: number;
  expired: number;
  held: number;
}

export type HoldStatus = 'pending' | 'captured' | 'voided' | 'expired';

/** A hold as stored, with the pieces of lots it reserved (in spending order). Shared by every operation of a batch on it. */
export interface Hold {
  id: number;
  partnerId: string;
  accountId: number;
  amount: number;
  expiresAt: number;
  status: HoldStatus;
  captured: number;
  pieces: Piece[];
}

export type TransactionKind = 'earn' | 'spend' | 'transfer' | 'hold' | 'capture' | 'void' | 'hold_timeout' | 'reversal' | 'expiry';

/** A transaction someone asks to reverse, with what earlier reversals already took back or gave back. */
export interface Reversible {
  id: number;
  partnerId: string;
  kind: TransactionKind;
  accountId: number;
  amount: number;
  /** An earn's lot. */
  earnLotId: number | null;
  /** What a spend or a capture took from the lots, in the order it took them. */
  consumed: Piece[];
  /** Points already given back to each lot by reversals of this transaction. */
  restored: Map<number, number>;
  /** Points reversed so far. */
  reversed: number;
}

export type LedgerOp =
  | { type: 'earn'; partnerId: string; walletId: number; points: number; expiresAt: number | null; reason: string }
  | { type: 'spend'; partnerId: string; walletId: number | null; points: number; reason: string }
  | { type: 'transfer'; partnerId: string; fromId: number | null; toId: number; points: number; reason: string }
  | { type: 'hold'; partnerId: string; walletId: number | null; points: number; expiresAt: number; reason: string | null }
  | { type: 'capture'; partnerId: string; hold: Hold | null; points: number | null }
  | { type: 'void'; partnerId: string; hold: Hold | null }
  | { type: 'reverse'; partnerId: string; original: Reversible | null; points: number | null; reason: string | null }
  /** The system's: a hold whose time is up is voided (nothing happens if it was settled meanwhile). */
  | { type: 'hold_timeout'; hold: Hold }
  /** The system's: a wallet's lots past their expiry move to the partner's expired account. */
  | { type: 'expire'; walletId: number };

export type Refusal =
  | 'wallet_not_found'
  | 'insufficient_points'
  | 'balance_limit'
  | 'hold_not_found'
  | 'hold_not_pending'
  | 'exceeds_hold'
  | 'transaction_not_found'
  | 'not_reversible'
  | 'nothing_to_reverse'
  | 'exceeds_reversible';

export type OpResult =
  | { ok: false; code: Refusal; details?: Readonly<Record<string, unknown>> }
  | { ok: true; type: 'earn'; transactionId: number; lotId: number; points: number; expiresAt: number | null; balance: number }
  | { ok: true; type: 'spend'; transactionId: number; points: number; balance: number; lots: Piece[] }
  | { ok: true; type: 'transfer'; transactionId: number; points: number; fromBalance: number; toBalance: number }
  | { ok: true; type: 'hold'; holdId: number; points: number; expiresAt: number; balance: number }
  | {
      ok: true;
      type: 'capture';
      transactionId: number;
      holdId: number;
      userId: string;
      captured: number;
      released: number;
      balance: number;
    }
  | { ok: true; type: 'void'; transactionId: number; holdId: number; userId: string; released: number; balance: number }
  | {
      ok: true;
      type: 'reverse';
      transactionId: number;
      reverses: number;
      userId: string;
      reversedKind: TransactionKind;
      reversed: number;
      requested: number;
      balance: number;
      lots: Piece[];
    }
  | { ok: true; type: 'system'; transactionId: number | null };

export interface NewTransaction {
  id: number;
  partnerId: string;
  kind: TransactionKind;
  accountId: number;
  counterAccountId: number | null;
  amount: number;
  reason: string | null;
  reverses: number | null;
  holdId: number | null;
  createdAt: number;
}

export interface NewPosting {
  transactionId: number;
  accountId: number;
  lotId: number | null;
  points: number;
}

export interface NewLot {
  id: number;
  accountId: number;
  kind: LotKind;
  expiresAt: number | null;
  transactionId: number;
  /** Its points once the whole batch is applied (it is written with them: see the migration's trigger). */
  remaining: number;
}

export interface NewHold {
  id: number;
  partnerId: string;
  accountId: number;
  amount: number;
  expiresAt: number;
  createdAt: number;
}

export interface HoldSettlement {
  id: number;
  status: Exclude<HoldStatus, 'pending'>;
  captured: number;
  settledBy: number;
}

/** What a batch writes. Ids below zero are made in the batch and drawn afterwards (resolveIds). */
export interface Effects {
  transactions: NewTransaction[];
  postings: NewPosting[];
  lots: NewLot[];
  holds: NewHold[];
  settlements: HoldSettlement[];
  /** How many ids the batch made (-1 … -count). */
  madeIds: number;
}

export interface BatchState {
  wallets: ReadonlyMap<number, Wallet>;
  partners: ReadonlyMap<string, PartnerAccounts>;
  /** The batch's time (epoch ms): expiries and hold timeouts are judged against it. */
  now: number;
}

/**
 * Applies `ops` in order to the locked wallets (which it updates in place) and returns the
 * effects to write and each operation's result. First, every wallet's lots already past their
 * expiry are expired, so that nothing expired is ever spent, held or sent. A refused operation
 * changes nothing; it is a result like any other.
 */
export function applyBatch(state: BatchState, ops: readonly LedgerOp[]): { effects: Effects; results: OpResult[] } {
  const ledger = new BatchLedger(state);
  for (const wallet of state.wallets.values()) ledger.expireDue(wallet);
  const results = ops.map((op) => ledger.apply(op));
  // The lots made in this batch, as they are at its end (0: taken again within it).
  for (const lot of ledger.effects.lots) {
    lot.remaining = state.wallets.get(lot.accountId)!.lots.find((open) => open.id === lot.id)?.remaining ?? 0;
  }
  return { effects: ledger.effects, results };
}

const refuse = (code: Refusal, details?: Record<string, unknown>): OpResult => ({ ok: false, code, ...(details ? { details } : {}) });

class BatchLedger {
  readonly effects: Effects = { transactions: [], postings: [], lots: [], holds: [], settlements: [], madeIds: 0 };

  constructor(private readonly state: BatchState) {}

  apply(op: LedgerOp): OpResult {
    switch (op.type) {
      case 'earn':
        return this.earn(op);
      case 'spend':
        return this.spend(op);
      case 'transfer':
        return this.transfer(op);
      case 'hold':
        return this.hold(op);
      case 'capture':
        return this.capture(op);
      case 'void':
        return this.void(op);
      case 'reverse':
        return this.reverse(op);
      case 'hold_timeout': {
        const timedOut = this.timeOut(op.hold);
        return { ok: true, type: 'system', transactionId: timedOut };
      }
      case 'expire':
        return { ok: true, type: 'system', transactionId: this.expireDue(this.wallet(op.walletId)) };
    }
  }

  private earn(op: Extract<LedgerOp, { type: 'earn' }>): OpResult {
    const wallet = this.wallet(op.walletId);
    if (wallet.balance + op.points > MAX_BALANCE) return refuse('balance_limit', { balance: wallet.balance, limit: MAX_BALANCE });
    const transactionId = this.transaction(op.partnerId, 'earn', wallet.id, op.points, op.reason);
    const lotId = this.newId();
    this.effects.lots.push({ id: lotId, accountId: wallet.id, kind: 'earn', expiresAt: op.expiresAt, transactionId, remaining: 0 });
    this.post(transactionId, wallet.id, lotId, op.points);
    this.post(transactionId, this.partner(op.partnerId).issuance, null, -op.points);
    insertSorted(wallet.lots, { id: lotId, kind: 'earn', expiresAt: op.expiresAt, remaining: op.points });
    wallet.balance += op.points;
    this.expireDue(wallet); // an expiry that passed while the request waited
    return { ok: true, type: 'earn', transactionId, lotId, points: op.points, expiresAt: op.expiresAt, balance: wallet.balance };
  }

  private spend(op: Extract<LedgerOp, { type: 'spend' }>): OpResult {
    if (op.walletId === null) return refuse('wallet_not_found');
    const wallet = this.wallet(op.walletId);
    if (wallet.balance < op.points) return refuse('insufficient_points', { balance: wallet.balance, requested: op.points });
    const transactionId = this.transaction(op.partnerId, 'spend', wallet.id, op.points, op.reason);
    const pieces = this.take(wallet, transactionId, op.points);
    this.post(transactionId, this.partner(op.partnerId).issuance, null, op.points);
    return { ok: true, type: 'spend', transactionId, points: op.points, balance: wallet.balance, lots: pieces };
  }

  private transfer(op: Extract<LedgerOp, { type: 'transfer' }>): OpResult {
    if (op.fromId === null) return refuse('wallet_not_found');
    const from = this.wallet(op.fromId);
    const to = this.wallet(op.toId);
    if (from.balance < op.points) return refuse('insufficient_points', { balance: from.balance, requested: op.points });
    if (to.balance + op.points > MAX_BALANCE) return refuse('balance_limit', { balance: to.balance, limit: MAX_BALANCE });
    const transactionId = this.transaction(op.partnerId, 'transfer', from.id, op.points, op.reason, { counterAccountId: to.id });
    // The points keep their expiry: each piece goes to the receiver's open 'received' lot of the
    // same expiry, or to a new one.
    const credits = new Map<number, number>();
    for (const piece of this.take(from, transactionId, op.points)) {
      let lot = to.lots.find((l) => l.kind === 'received' && l.expiresAt === piece.expiresAt);
      if (!lot) {
        lot = { id: this.newId(), kind: 'received', expiresAt: piece.expiresAt, remaining: 0 };
        this.effects.lots.push({ id: lot.id, accountId: to.id, kind: 'received', expiresAt: piece.expiresAt, transactionId, remaining: 0 });
        insertSorted(to.lots, lot);
      }
      lot.remaining += piece.points;
      credits.set(lot.id, (credits.get(lot.id) ?? 0) + piece.points);
    }
    for (const [lotId, points] of credits) this.post(transactionId, to.id, lotId, points);
    to.balance += op.points;
    return { ok: true, type: 'transfer', transactionId, points: op.points, fromBalance: from.balance, toBalance: to.balance };
  }

  private hold(op: Extract<LedgerOp, { type: 'hold' }>): OpResult {
    if (op.walletId === null) return refuse('wallet_not_found');
    const wallet = this.wallet(op.walletId);
    if (wallet.balance < op.points) return refuse('insufficient_points', { balance: wallet.balance, requested: op.points });
    const holdId = this.transaction(op.partnerId, 'hold', wallet.id, op.points, op.reason);
    this.take(wallet, holdId, op.points);
    this.post(holdId, this.partner(op.partnerId).held, null, op.points);
    const createdAt = this.state.now;
    this.effects.holds.push({
      id: holdId,
      partnerId: op.partnerId,
      accountId: wallet.id,
      amount: op.points,
      expiresAt: op.expiresAt,
      createdAt,
    });
    return { ok: true, type: 'hold', holdId, points: op.points, expiresAt: op.expiresAt, balance: wallet.balance };
  }

  private capture(op: Extract<LedgerOp, { type: 'capture' }>): OpResult {
    const { hold } = op;
    if (!hold || hold.partnerId !== op.partnerId) return refuse('hold_not_found');
    // A hold whose time is up was voided at that time, whether or not the timeout step has run:
    // it is voided now (that stays, as it would have anyway) and the capture is refused.
    this.timeOut(hold);
    if (hold.status !== 'pending') return refuse('hold_not_pending', { status: hold.status });
    const points = op.points ?? hold.amount;
    if (points > hold.amount) return refuse('exceeds_hold', { held: hold.amount, requested: points });
    const wallet = this.wallet(hold.accountId);
    const partner = this.partner(hold.partnerId);
    const transactionId = this.transaction(hold.partnerId, 'capture', wallet.id, points, null, { holdId: hold.id });
    this.post(transactionId, partner.held, null, -hold.amount);
    this.post(transactionId, partner.issuance, null, points);
    this.giveBack(wallet, transactionId, splitPieces(hold.pieces, points).rest);
    this.settle(hold, 'captured', points, transactionId);
    this.expireDue(wallet); // points given back to lots that expired while they were held
    return {
      ok: true,
      type: 'capture',
      transactionId,
      holdId: hold.id,
      userId: wallet.userId,
      captured: points,
      released: hold.amount - points,
      balance: wallet.balance,
    };
  }

  private void(op: Extract<LedgerOp, { type: 'void' }>): OpResult {
    const { hold } = op;
    if (!hold || hold.partnerId !== op.partnerId) return refuse('hold_not_found');
    this.timeOut(hold);
    if (hold.status !== 'pending') return refuse('hold_not_pending', { status: hold.status });
    const transactionId = this.release(hold, 'void', 'voided');
    const wallet = this.wallet(hold.accountId);
    return {
      ok: true,
      type: 'void',
      transactionId,
      holdId: hold.id,
      userId: wallet.userId,
      released: hold.amount,
      balance: wallet.balance,
    };
  }

  /** Voids a pending hold whose time is up (status 'expired'); returns the transaction, or null. */
  private timeOut(hold: Hold): number | null {
    if (hold.status !== 'pending' || this.state.now < hold.expiresAt) return null;
    return this.release(hold, 'hold_timeout', 'expired');
  }

  /** Gives a pending hold's points back to their lots. */
  private release(hold: Hold, kind: 'void' | 'hold_timeout', status: 'voided' | 'expired'): number {
    const wallet = this.wallet(hold.accountId);
    const transactionId = this.transaction(hold.partnerId, kind, wallet.id, hold.amount, null, { holdId: hold.id });
    this.post(transactionId, this.partner(hold.partnerId).held, null, -hold.amount);
    this.giveBack(wallet, transactionId, hold.pieces);
    this.settle(hold, status, 0, transactionId);
    this.expireDue(wallet);
    return transactionId;
  }

  private settle(hold: Hold, status: Exclude<HoldStatus, 'pending'>, captured: number, settledBy: number): void {
    if (hold.id < 0) throw new Error('a hold is settled in the batch that made it');
    hold.status = status;
    hold.captured = captured;
    this.effects.settlements.push({ id: hold.id, status, captured, settledBy });
  }

  private reverse(op: Extract<LedgerOp, { type: 'reverse' }>): OpResult {
    const { original } = op;
    if (!original || original.partnerId !== op.partnerId) return refuse('transaction_not_found');
    const wallet = this.wallet(original.accountId);
    const issuance = this.partner(original.partnerId).issuance;
    if (original.kind === 'earn') {
      // Only what is still unspent (and not held) in the earn's lot can be taken back.
      const left = original.amount - original.reversed;
      const lot = wallet.lots.find((l) => l.id === original.earnLotId);
      const reversible = Math.min(left, lot?.remaining ?? 0);
      if (reversible === 0 || !lot) return refuse('nothing_to_reverse', { reversible: 0 });
      const requested = op.points ?? left;
      const points = Math.min(requested, reversible);
      const transactionId = this.transaction(original.partnerId, 'reversal', wallet.id, points, op.reason, { reverses: original.id });
      const piece: Piece = { lotId: lot.id, kind: lot.kind, expiresAt: lot.expiresAt, points };
      this.post(transactionId, wallet.id, lot.id, -points);
      this.post(transactionId, issuance, null, points);
      lot.remaining -= points;
      if (lot.remaining === 0) wallet.lots.splice(wallet.lots.indexOf(lot), 1);
      wallet.balance -= points;
      original.reversed += points;
      return {
        ok: true,
        type: 'reverse',
        transactionId,
        reverses: original.id,
        userId: wallet.userId,
        reversedKind: 'earn',
        reversed: points,
        requested,
        balance: wallet.balance,
        lots: [piece],
      };
    }
    if (original.kind !== 'spend' && original.kind !== 'capture') return refuse('not_reversible', { kind: original.kind });
    // A spend (or a capture) gives its points back to the very lots it took them from, the last
    // taken first (a partial reversal returns the latest-expiring points first).
    const open = [...original.consumed]
      .reverse()
      .map((piece) => ({ ...piece, points: piece.points - (original.restored.get(piece.lotId) ?? 0) }))
      .filter((piece) => piece.points > 0);
    const reversible = sumPoints(open);
    if (reversible === 0) return refuse('nothing_to_reverse', { reversible: 0 });
    const requested = op.points ?? reversible;
    if (requested > reversible) return refuse('exceeds_reversible', { reversible, requested });
    if (wallet.balance + requested > MAX_BALANCE) return refuse('balance_limit', { balance: wallet.balance, limit: MAX_BALANCE });
    const pieces = splitPieces(open, requested).taken;
    const transactionId = this.transaction(original.partnerId, 'reversal', wallet.id, requested, op.reason, { reverses: original.id });
    this.post(transactionId, issuance, null, -requested);
    this.giveBack(wallet, transactionId, pieces);
    for (const piece of pieces) original.restored.set(piece.lotId, (original.restored.get(piece.lotId) ?? 0) + piece.points);
    original.reversed += requested;
    this.expireDue(wallet); // given back to lots already past their expiry: they expire now
    return {
      ok: true,
      type: 'reverse',
      transactionId,
      reverses: original.id,
      userId: wallet.userId,
      reversedKind: original.kind,
      reversed: requested,
      requested,
      balance: wallet.balance,
      lots: pieces,
    };
  }

  /** Moves the wallet's lots past their expiry to the partner's expired account: one transaction, or none. */
  expireDue(wallet: Wallet): number | null {
    const expired = takeExpired(wallet.lots, this.state.now);
    if (expired.length === 0) return null;
    const points = sumPoints(expired);
    const transactionId = this.transaction(wallet.partnerId, 'expiry', wallet.id, points, null);
    for (const piece of expired) this.post(transactionId, wallet.id, piece.lotId, -piece.points);
    this.post(transactionId, this.partner(wallet.partnerId).expired, null, points);
    wallet.balance -= points;
    return transactionId;
  }

  /** Takes points from the wallet's lots, soonest-expiring first, posting each piece. */
  private take(wallet: Wallet, transactionId: number, points: number): Piece[] {
    const pieces = takeSoonestFirst(wallet.lots, points);
    for (const piece of pieces) this.post(transactionId, wallet.id, piece.lotId, -piece.points);
    wallet.balance -= points;
    return pieces;
  }

  private giveBack(wallet: Wallet, transactionId: number, pieces: readonly Piece[]): void {
    for (const piece of pieces) this.post(transactionId, wallet.id, piece.lotId, piece.points);
    giveBack(wallet.lots, pieces);
    wallet.balance += sumPoints(pieces);
  }

  private transaction(
    partnerId: string,
    kind: TransactionKind,
    accountId: number,
    amount: number,
    reason: string | null,
    links: { counterAccountId?: number; reverses?: number; holdId?: number } = {},
  ): number {
    const id = this.newId();
    this.effects.transactions.push({
      id,
      partnerId,
      kind,
      accountId,
      counterAccountId: links.counterAccountId ?? null,
      amount,
      reason,
      reverses: links.reverses ?? null,
      holdId: links.holdId ?? null,
      createdAt: this.state.now,
    });
    return id;
  }

  private post(transactionId: number, accountId: number, lotId: number | null, points: number): void {
    this.effects.postings.push({ transactionId, accountId, lotId, points });
  }

  private newId(): number {
    return -++this.effects.madeIds;
  }

  private wallet(id: number): Wallet {
    const wallet = this.state.wallets.get(id);
    if (!wallet) throw new Error(`wallet ${id} is not locked by this batch`);
    return wallet;
  }

  private partner(partnerId: string): PartnerAccounts {
    const accounts = this.state.partners.get(partnerId);
    if (!accounts) throw new Error(`the accounts of partner ${partnerId} are not loaded`);
    return accounts;
  }
}

/** What a capture took from the lots: the first `captured` points of its hold's pieces. */
export function capturedPieces(holdPieces: readonly Piece[], captured: number): Piece[] {
  return splitPieces(holdPieces, captured).taken;
}

/**
 * Replaces the ids made in the batch (-1 … -n) by the ids drawn for them, everywhere: effects,
 * results, and the wallets' open lots (for a caller that keeps them for the next batch).
 */
export function resolveIds(effects: Effects, results: OpResult[], drawn: readonly number[], wallets: Iterable<Wallet> = []): void {
  if (drawn.length !== effects.madeIds) throw new Error(`drew ${drawn.length} ids for ${effects.madeIds}`);
  const real = (id: number) => (id < 0 ? drawn[-id - 1]! : id);
  const realOrNull = (id: number | null) => (id === null ? null : real(id));
  for (const t of effects.transactions) t.id = real(t.id);
  for (const p of effects.postings) {
    p.transactionId = real(p.transactionId);
    p.lotId = realOrNull(p.lotId);
  }
  for (const l of effects.lots) {
    l.id = real(l.id);
    l.transactionId = real(l.transactionId);
  }
  for (const h of effects.holds) h.id = real(h.id);
  for (const s of effects.settlements) s.settledBy = real(s.settledBy);
  for (const wallet of wallets) for (const lot of wallet.lots) lot.id = real(lot.id);
  const pieces = (list: Piece[]) => list.map((piece) => ({ ...piece, lotId: real(piece.lotId) }));
  results.forEach((result, i) => {
    if (!result.ok) return;
    switch (result.type) {
      case 'earn':
        results[i] = { ...result, transactionId: real(result.transactionId), lotId: real(result.lotId) };
        break;
      case 'spend':
        results[i] = { ...result, transactionId: real(result.transactionId), lots: pieces(result.lots) };
        break;
      case 'hold':
        results[i] = { ...result, holdId: real(result.holdId) };
        break;
      case 'reverse':
        results[i] = { ...result, transactionId: real(result.transactionId), lots: pieces(result.lots) };
        break;
      case 'system':
        results[i] = { ...result, transactionId: realOrNull(result.transactionId) };
        break;
      default:
        results[i] = { ...result, transactionId: real(result.transactionId) };
    }
  });
}
