import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The wallet's metrics (no user ids, partner ids or keys as labels). */
export function walletMetrics(registry: Registry) {
  return {
    requests: new Counter({
      name: 'floodgate_wallet_requests_total',
      help: 'Wallet requests decided, by type (earn, spend, transfer, hold, capture, void, reverse, expire, hold_timeout) and outcome (applied or the refusal code)',
      labelNames: ['type', 'outcome'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'floodgate_wallet_batch_size',
      help: 'Requests per wallet batch (one transaction)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    commitWait: new Histogram({
      name: 'floodgate_wallet_commit_wait_seconds',
      help: 'Time from a wallet request reaching the writer to its batch being committed',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'floodgate_wallet_batch_retries_total',
      help: 'Wallet batches run again: key (a key stored first by another instance), lock (a deadlock or serialization failure: never expected)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    backlog: new Gauge({
      name: 'floodgate_wallet_backlog',
      help: 'Wallet requests waiting for a batch in this instance',
      registers: [registry],
    }),
  };
}
