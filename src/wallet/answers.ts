// The bodies of the wallet's 201 answers, from what the ledger did (domain/ledger.ts). They are
// stored with the idempotency key as they are sent, so a replay is answered with the same body.

import type { OpResult } from './domain/ledger.js';
import type { Piece } from './domain/lots.js';
import type { WalletRequest } from './requests.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const lotsOf = (pieces: readonly Piece[]) => pieces.map((p) => ({ lotId: String(p.lotId), points: p.points, expiresAt: iso(p.expiresAt) }));

/** The 201 body of an applied request. */
export function appliedBody(request: WalletRequest, result: Extract<OpResult, { ok: true }>): Record<string, unknown> {
  switch (result.type) {
    case 'earn':
      return {
        transactionId: String(result.transactionId),
        userId: (request as { userId: string }).userId,
        points: result.points,
        balance: result.balance,
        lotId: String(result.lotId),
        expiresAt: iso(result.expiresAt),
      };
    case 'spend':
      return {
        transactionId: String(result.transactionId),
        userId: (request as { userId: string }).userId,
        points: result.points,
        balance: result.balance,
        lots: lotsOf(result.lots),
      };
    case 'transfer': {
      const { from, to } = request as { from: string; to: string };
      return {
        transactionId: String(result.transactionId),
        points: result.points,
        from: { userId: from, balance: result.fromBalance },
        to: { userId: to, balance: result.toBalance },
      };
    }
    case 'hold':
      return {
        holdId: String(result.holdId),
        userId: (request as { userId: string }).userId,
        points: result.points,
        expiresAt: iso(result.expiresAt),
        balance: result.balance,
      };
    case 'capture':
      return {
        transactionId: String(result.transactionId),
        holdId: String(result.holdId),
        userId: result.userId,
        captured: result.captured,
        released: result.released,
        balance: result.balance,
      };
    case 'void':
      return {
        transactionId: String(result.transactionId),
        holdId: String(result.holdId),
        userId: result.userId,
        released: result.released,
        balance: result.balance,
      };
    case 'reverse':
      return {
        transactionId: String(result.transactionId),
        reverses: String(result.reverses),
        kind: result.reversedKind,
        userId: result.userId,
        reversed: result.reversed,
        requested: result.requested,
        balance: result.balance,
        lots: lotsOf(result.lots),
      };
    case 'system':
      return { transactionId: result.transactionId === null ? null : String(result.transactionId) };
  }
}
