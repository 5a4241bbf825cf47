import { defineCapability } from '../capability.js';
import { WalletActivity } from './activity.js';
import { WALLET_ERRORS } from './errors.js';
import { walletLoops } from './loops.js';
import { walletMetrics } from './metrics.js';
import { LedgerStore } from './repository.js';
import { walletRoutes } from './routes.js';
import { WalletService } from './service.js';
import { walletShortcuts } from './shortcuts.js';
import { WalletViews } from './views.js';
import { LedgerWriter } from './writer.js';

/**
 * Partners' points wallets: a double-entry ledger with lots (each earn with its own expiry,
 * spent soonest-expiring first), holds, reversals and expiry, in PostgreSQL only. Every write is
 * applied once per Idempotency-Key, by this instance's group-commit writer, and answered once
 * committed. No Redis: every decision needs the wallet's durable state, and a cache in front of
 * it could only be stale (docs/wallet.md).
 */
export const wallet = defineCapability({
  name: 'wallet',
  errors: WALLET_ERRORS,
  async create(infra) {
    const metrics = walletMetrics(infra.metrics.registry);
    const store = new LedgerStore(infra.pool);
    const writer = new LedgerWriter({ pool: infra.pool, store, clock: infra.clock, log: infra.log });
    const activity = new WalletActivity();
    writer.observer = {
      batch(size, waitsMs) {
        metrics.batchSize.observe(size);
        for (const ms of waitsMs) metrics.commitWait.observe(ms / 1000);
      },
      retry: (reason) => metrics.retries.inc({ reason }),
      outcome: (type, outcome) => metrics.requests.inc({ type, outcome }),
      committed: (transactions) => activity.add(transactions),
    };
    const service = new WalletService(writer, new WalletViews(infra.pool, infra.clock), infra.clock);
    return {
      service,
      writer,
      store,
      routes: (app) => walletRoutes(app, { wallet: service, partners: infra.partners, admin: infra.admin }),
      shortcuts: walletShortcuts(service, infra.partners),
      loops: walletLoops(infra.pool, writer, infra.clock),
      async gauges() {
        metrics.backlog.set(writer.backlog);
      },
      // The dashboard's history (src/history/): points moved per partner by this instance (summed
      // over instances by the history). No shared figures: a partner's outstanding points would be
      // a sum over every lot in PostgreSQL each second; the lookup reads one wallet instead.
      async samples() {
        return activity.samples();
      },
      async close() {
        await writer.flush();
      },
    };
  },
});
