import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics/metrics.js';
import type { ErrorAnswer, ErrorTable } from './errors.js';

/** Which dependency an error says is unreachable, if any: a 503 to retry, not a 500 bug. */
export function unavailableDependency(error: { code?: unknown; message?: string; name?: string }): 'redis' | 'postgres' | null {
  const code = typeof error.code === 'string' ? error.code : '';
  const message = error.message ?? '';
  if (
    /Connection is closed|max retries per request|Command timed out|CLUSTERDOWN|ClusterAllFailedError|Failed to refresh slots cache|None of startup nodes is available|TRYAGAIN/i.test(
      message,
    )
  ) {
    return 'redis';
  }
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return 'redis';
  if (['57P01', '57P02', '57P03', '08006', '08001', '08003', '53300'].includes(code)) return 'postgres';
  if (/Connection terminated|timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message))
    return 'postgres';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code) || /connect ECONNREFUSED/i.test(message)) {
    // A bare socket error: ioredis reports its own as the above; pg's reach us as these.
    return 'postgres';
  }
  return null;
}

/**
 * The answer to an error no code path expected: 503 `dependency_unavailable` with Retry-After
 * when a dependency is down, else a 500. Counted and logged here (naming the dependency, never
 * its address or credentials); the client sees only the error code.
 */
export function unexpectedErrorAnswer(error: unknown, errors: ErrorTable, metrics: Metrics, log: FastifyBaseLogger): ErrorAnswer {
  const dependency = unavailableDependency((error ?? {}) as { code?: unknown; message?: string; name?: string });
  if (dependency) {
    metrics.dependencyErrors.inc({ dependency });
    log.warn({ dependency, reason: (error as Error | undefined)?.message }, 'dependency unavailable');
    return errors.answer('dependency_unavailable');
  }
  log.error({ err: error }, 'unhandled error');
  return errors.answer('internal_error');
}
