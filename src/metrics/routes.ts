import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import { DomainError } from '../errors.js';
import { bearerToken } from '../tokens/admin-token.js';

/** GET /metrics: refreshes each capability's gauges that are read at scrape time, then exposes all. */
export function metricsRoutes(app: FastifyInstance, ctx: Context): void {
  const { metrics } = ctx.infra;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    metrics.httpDuration.observe({ route, method: request.method, status_code: reply.statusCode }, reply.elapsedTime / 1000);
  });

  const token = ctx.infra.config.metricsToken ? Buffer.from(ctx.infra.config.metricsToken) : null;
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token) {
      const given = Buffer.from(bearerToken(request.headers.authorization) ?? '');
      if (given.length !== token.length || !timingSafeEqual(given, token)) throw new DomainError('invalid_metrics_token');
    }
    await Promise.allSettled(ctx.capabilities.map(({ capability }) => capability.gauges?.()));
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
