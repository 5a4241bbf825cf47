import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';

/** GET /metrics: refreshes the gauges that are cheaper to read at scrape time, then exposes all. */
export function metricsRoutes(app: FastifyInstance, ctx: Context): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    ctx.metrics.httpDuration.observe({ route, method: request.method, status_code: reply.statusCode }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    await refreshGauges(ctx);
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}

async function refreshGauges(ctx: Context): Promise<void> {
  const { metrics } = ctx;
  metrics.claimsPending.set(ctx.claims.writer.backlog);
  const [rooms, backlog] = await Promise.all([ctx.rooms.list().catch(() => []), ctx.outbox.backlog().catch(() => null)]);
  if (backlog !== null) metrics.outboxBacklog.set(backlog);
  await Promise.all(
    rooms.map(async ({ id }) => {
      const view = await ctx.waitingRoom.views.get(id, { fresh: true }).catch(() => null);
      if (!view) return;
      metrics.roomWaiting.set({ room: id }, Math.max(0, view.issued - view.served - view.leftWaiting));
      metrics.roomActive.set({ room: id }, view.active);
    }),
  );
}
