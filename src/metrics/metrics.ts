import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every metric an instance exports, on a registry of its own (several instances may share a
 * process in tests). Prometheus conventions: base units (seconds), `_total` counters, and no user
 * ids, tickets or tokens as labels: rooms and campaigns are operator-defined, hence bounded.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'floodgate_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly roomWaiting = new Gauge({
    name: 'floodgate_room_waiting',
    help: 'Tickets waiting in the room queue',
    labelNames: ['room'] as const,
    registers: [this.registry],
  });

  readonly roomActive = new Gauge({
    name: 'floodgate_room_active',
    help: 'Admitted tickets and sessions holding a slot',
    labelNames: ['room'] as const,
    registers: [this.registry],
  });

  readonly admitted = new Counter({
    name: 'floodgate_admitted_total',
    help: 'Tickets admitted by this instance (sum over instances for the room)',
    labelNames: ['room'] as const,
    registers: [this.registry],
  });

  readonly claims = new Counter({
    name: 'floodgate_claims_total',
    help: 'Claims decided, by result: confirmed, pending, already_claimed, sold_out, not_open, closed, rebuilding',
    labelNames: ['campaign', 'result'] as const,
    registers: [this.registry],
  });

  readonly persistenceLag = new Histogram({
    name: 'floodgate_claim_persistence_lag_seconds',
    help: 'Time from a claim being accepted in Redis to its commit in PostgreSQL',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    registers: [this.registry],
  });

  readonly batchSize = new Histogram({
    name: 'floodgate_claim_batch_size',
    help: 'Claims per group-commit statement',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  readonly claimsPending = new Gauge({
    name: 'floodgate_claims_pending',
    help: 'Accepted claims this instance holds until PostgreSQL takes them',
    registers: [this.registry],
  });

  readonly scriptDuration = new Histogram({
    name: 'floodgate_lua_script_duration_seconds',
    help: 'Round trip of a Lua script call, by script',
    labelNames: ['script'] as const,
    buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
    registers: [this.registry],
  });

  readonly dependencyErrors = new Counter({
    name: 'floodgate_dependency_errors_total',
    help: 'Failed calls to Redis or PostgreSQL',
    labelNames: ['dependency'] as const,
    registers: [this.registry],
  });

  readonly outboxBacklog = new Gauge({
    name: 'floodgate_outbox_backlog',
    help: 'Webhook notifications not delivered yet',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'floodgate_' });
  }
}
