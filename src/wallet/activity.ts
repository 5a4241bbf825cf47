import type { EntitySample } from '../capability.js';
import type { NewTransaction, TransactionKind } from './domain/ledger.js';

/** Partners whose totals are kept; beyond it, new partners are left out (partners are created by the operator: far fewer). */
const MAX_PARTNERS = 10_000;

/**
 * Points moved by this instance's committed transactions, per partner and kind, since it started:
 * the dashboard's issuance, spend and expiry over time (src/history/ keeps their increase per
 * second, summed over instances). Counted from what the batch wrote, not from the requests: an
 * expiry found on the way of a spend, or a partial reversal, counts what actually moved. In
 * memory, not in Prometheus: the wallet's metrics carry no partner id (src/wallet/metrics.ts).
 */
export class WalletActivity {
  private readonly totals = new Map<string, Map<TransactionKind, { points: number; transactions: number }>>();

  add(transactions: readonly NewTransaction[]): void {
    for (const t of transactions) {
      let byKind = this.totals.get(t.partnerId);
      if (!byKind) {
        if (this.totals.size >= MAX_PARTNERS) continue;
        byKind = new Map();
        this.totals.set(t.partnerId, byKind);
      }
      const total = byKind.get(t.kind) ?? { points: 0, transactions: 0 };
      total.points += t.amount;
      total.transactions++;
      byKind.set(t.kind, total);
    }
  }

  /** `points.<kind>` and `transactions.<kind>` of each partner (kind `wallet-partner`, entity its id). */
  samples(): EntitySample[] {
    return [...this.totals].map(([partnerId, byKind]) => {
      const counts: Record<string, number> = {};
      for (const [kind, total] of byKind) {
        counts[`points.${kind}`] = total.points;
        counts[`transactions.${kind}`] = total.transactions;
      }
      return { kind: 'wallet-partner', entity: partnerId, counts };
    });
  }
}
