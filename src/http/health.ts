import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';

export interface Lifecycle {
  /** Set on SIGTERM: readiness fails so the load balancer stops sending, in-flight work finishes. */
  draining: boolean;
}

export function healthRoutes(app: FastifyInstance, ctx: Context, lifecycle: Lifecycle): void {
  app.get('/livez', { schema: { tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'] } }, async (_request, reply) => {
    if (lifecycle.draining) {
      const answer = ctx.errors.answer('unavailable', { reason: 'draining' });
      return reply.code(answer.status).send(answer.body);
    }
    const checks = await Promise.allSettled([ctx.infra.redis.ping(), ctx.infra.pool.query('SELECT 1')]);
    const [redis, postgres] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
    if (redis !== 'ok' || postgres !== 'ok') {
      const answer = ctx.errors.answer('unavailable', { checks: { redis, postgres } });
      return reply.code(answer.status).send(answer.body);
    }
    return { status: 'ok', checks: { redis, postgres } };
  });
}
