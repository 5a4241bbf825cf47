import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics/metrics.js';
import { errorBody } from './errors.js';
import type { JsonAnswer } from './shortcuts.js';

/** PostgreSQL or Redis unreachable: a 503 to retry, not a 500 bug. */
export function isDependencyDown(error: { code?: unknown; message?: string }): boolean {
  const code = typeof error.code === 'string' ? error.code : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003'].includes(code) ||
    /Connection terminated|connect ECONNREFUSED|Connection is closed|max retries per request/i.test(error.message ?? '')
  );
}

/**
 * The answer to an error no code path expected: a 503 with Retry-After when a dependency is down,
 * else a 500. Counted and logged here; the client sees only the error code.
 */
export function unexpectedErrorAnswer(error: unknown, metrics: Metrics, log: FastifyBaseLogger): JsonAnswer {
  const err = (error ?? {}) as { code?: unknown; message?: string };
  if (isDependencyDown(err)) {
    metrics.dependencyErrors.inc({ dependency: /redis|Connection is closed|max retries/i.test(err.message ?? '') ? 'redis' : 'postgres' });
    log.warn({ err: error }, 'dependency unavailable');
    return { status: 503, body: errorBody('unavailable', 'A dependency is unavailable; retry shortly'), headers: { 'retry-after': '1' } };
  }
  log.error({ err: error }, 'unhandled error');
  return { status: 500, body: errorBody('internal_error', 'Something went wrong on our side'), headers: {} };
}
