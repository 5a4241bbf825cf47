import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';

/** GET /metrics: refreshes each capability's gauges that are read at scrape time, then exposes all. */
export function metricsRoutes(app: FastifyInstance, ctx: Context): void {
  const { metrics } = ctx.infra;
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    metrics.httpDuration.observe({ route, method: request.method, status_code: reply.statusCode }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    await Promise.allSettled(ctx.capabilities.map(({ capability }) => capability.gauges?.()));
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
