import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The metrics every capability shares, and the registry each capability registers its own on
 * (several instances may share a process in tests). Prometheus conventions: base units (seconds), `_total` counters, and no user
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'floodgate_' });
  }
}
