import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The claims' metrics (campaigns are operator-defined, hence bounded labels). */
export function claimMetrics(registry: Registry) {
  return {
    claims: new Counter({
      name: 'floodgate_claims_total',
      help: 'Claims decided, by result: confirmed, pending, already_claimed, sold_out, not_open, closed, rebuilding',
      labelNames: ['campaign', 'result'] as const,
      registers: [registry],
    }),
    persistenceLag: new Histogram({
      name: 'floodgate_claim_persistence_lag_seconds',
      help: 'Time from a claim being accepted in Redis to its commit in PostgreSQL',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'floodgate_claim_batch_size',
      help: 'Claims per group-commit statement',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'floodgate_claims_pending',
      help: 'Accepted claims this instance holds until PostgreSQL takes them',
      registers: [registry],
    }),
  };
}
