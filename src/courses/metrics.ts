import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Course registration's metrics (terms are operator-defined, hence bounded labels). */
export function courseMetrics(registry: Registry) {
  return {
    accepted: new Counter({
      name: 'floodgate_course_requests_total',
      help: 'Entries offered to a term (requests, course changes), by outcome: queued, rebuilding, not_durable, refused',
      labelNames: ['term', 'outcome'] as const,
      registers: [registry],
    }),
    decidedActions: new Counter({
      name: 'floodgate_course_actions_decided_total',
      help: 'Actions decided and committed by the deciders of this instance',
      labelNames: ['term'] as const,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'floodgate_course_decision_batch_size',
      help: 'Entries per decision batch (one transaction)',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2000],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'floodgate_course_decision_batch_seconds',
      help: 'Time to decide and commit one batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    deciders: new Gauge({
      name: 'floodgate_course_deciders',
      help: 'Terms this instance decides (holds the lease of)',
      registers: [registry],
    }),
    pending: new Gauge({
      name: 'floodgate_course_requests_pending',
      help: 'Accepted entries this instance holds until PostgreSQL takes them',
      registers: [registry],
    }),
  };
}
