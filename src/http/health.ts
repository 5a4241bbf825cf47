import type { FastifyInstance } from 'fastify';
import type { Context } from '../context.js';
import { errorBody } from './errors.js';

export interface Lifecycle {
  /** Set on SIGTERM: readiness fails so the load balancer stops sending, in-flight work finishes. */
  draining: boolean;
}

export function healthRoutes(app: FastifyInstance, ctx: Context, lifecycle: Lifecycle): void {
  app.get('/livez', { schema: { tags: ['health'] } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { tags: ['health'] } }, async (_request, reply) => {
    if (lifecycle.draining) return reply.code(503).send(errorBody('unavailable', 'Draining: shutting down'));
    const checks = await Promise.allSettled([ctx.redis.ping(), ctx.pool.query('SELECT 1')]);
    const [redis, postgres] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
    if (redis !== 'ok' || postgres !== 'ok') {
      return reply.code(503).send({ ...errorBody('unavailable', 'A dependency is down'), checks: { redis, postgres } });
    }
    return { status: 'ok', checks: { redis, postgres } };
  });
}
