// Lots: each earn is one, with its own expiry (or none); spends take the soonest-expiring first.
// Pure functions over a wallet's open lots, kept sorted in the order they are spent.

export type LotKind = 'earn' | 'received';

/** An open lot (remaining > 0) of a wallet, as the ledger holds it while a batch is applied. */
export interface OpenLot {
  /** Positive: stored; negative: created in this batch, its id drawn once the batch is applied. */
  id: number;
  kind: LotKind;
  /** Epoch ms; null: never expires. */
  expiresAt: number | null;
  remaining: number;
}

/** Points taken from (or given back to) one lot. */
export interface Piece {
  lotId: number;
  kind: LotKind;
  expiresAt: number | null;
  points: number;
}

/** Lots made in this batch (negative ids) come after every stored one, in the order they were made. */
const creationRank = (id: number) => (id > 0 ? id : 2 ** 52 - id);

/** Spending order: soonest expiry first (never-expiring last), then oldest first. */
export function spendOrder(a: { id: number; expiresAt: number | null }, b: { id: number; expiresAt: number | null }): number {
  if (a.expiresAt !== b.expiresAt) {
    if (a.expiresAt === null) return 1;
    if (b.expiresAt === null) return -1;
    return a.expiresAt - b.expiresAt;
  }
  return creationRank(a.id) - creationRank(b.id);
}

/**
 * Takes `points` from the lots, soonest-expiring first (the last one taken may be taken in part).
 * The caller has checked that the lots hold enough. Exhausted lots leave the list.
 */
export function takeSoonestFirst(lots: OpenLot[], points: number): Piece[] {
  const pieces: Piece[] = [];
  let left = points;
  while (left > 0) {
    const lot = lots[0];
    if (!lot) throw new Error(`the lots hold ${points - left} points, not ${points}`);
    const take = Math.min(lot.remaining, left);
    pieces.push({ lotId: lot.id, kind: lot.kind, expiresAt: lot.expiresAt, points: take });
    lot.remaining -= take;
    left -= take;
    if (lot.remaining === 0) lots.shift();
  }
  return pieces;
}

/** Gives pieces back to their own lots (reopening an exhausted one at its place in the order). */
export function giveBack(lots: OpenLot[], pieces: readonly Piece[]): void {
  for (const piece of pieces) {
    const open = lots.find((lot) => lot.id === piece.lotId);
    if (open) open.remaining += piece.points;
    else insertSorted(lots, { id: piece.lotId, kind: piece.kind, expiresAt: piece.expiresAt, remaining: piece.points });
  }
}

export function insertSorted(lots: OpenLot[], lot: OpenLot): void {
  let i = lots.length;
  while (i > 0 && spendOrder(lots[i - 1]!, lot) > 0) i--;
  lots.splice(i, 0, lot);
}

/** Takes the lots past their expiry (at `now`) out of the list; returns what they held. */
export function takeExpired(lots: OpenLot[], now: number): Piece[] {
  const expired: Piece[] = [];
  for (let i = 0; i < lots.length; ) {
    const lot = lots[i]!;
    if (lot.expiresAt !== null && lot.expiresAt <= now) {
      expired.push({ lotId: lot.id, kind: lot.kind, expiresAt: lot.expiresAt, points: lot.remaining });
      lots.splice(i, 1);
    } else i++;
  }
  return expired;
}

/**
 * The first `points` of `pieces` (in their order) and the rest: a hold's pieces split into what a
 * capture takes (soonest-expiring first, as a spend would) and what it gives back.
 */
export function splitPieces(pieces: readonly Piece[], points: number): { taken: Piece[]; rest: Piece[] } {
  const taken: Piece[] = [];
  const rest: Piece[] = [];
  let left = points;
  for (const piece of pieces) {
    const take = Math.min(piece.points, left);
    if (take > 0) taken.push({ ...piece, points: take });
    if (piece.points > take) rest.push({ ...piece, points: piece.points - take });
    left -= take;
  }
  return { taken, rest };
}

export const sumPoints = (pieces: ReadonlyArray<{ points: number }>) => pieces.reduce((sum, p) => sum + p.points, 0);
