import type { FastifyInstance } from 'fastify';
import type { AdminAuth } from '../tokens/admin-token.js';
import type { History } from './history.js';
import { ENTITY_PATTERN, HISTORY_SECONDS, KIND_PATTERN } from './keys.js';

// Query strings are not coerced (http/app.ts: coerceTypes off), so `seconds` is matched as text: 1 to 900.
const SECONDS_PATTERN = '^([1-9]|[1-9][0-9]|[1-8][0-9]{2}|900)$';

export const historyQuery = {
  type: 'object',
  properties: {
    kind: { type: 'string', pattern: KIND_PATTERN, description: 'room, campaign, route (or a kind another capability samples)' },
    entity: {
      type: 'string',
      pattern: ENTITY_PATTERN,
      description: 'the room or campaign id; for a route, its method and template: "GET /v1/rooms/:roomId/tickets/:ticketId"',
    },
    seconds: { type: 'string', pattern: SECONDS_PATTERN, description: `how many seconds back, 1 to ${HISTORY_SECONDS} (default)` },
  },
  required: ['kind', 'entity'],
  additionalProperties: false,
} as const;

const point = { type: ['number', 'null'] } as const;

export const historyResponse = {
  type: 'object',
  properties: {
    kind: { type: 'string' },
    entity: { type: 'string' },
    from: { type: 'integer', description: 'epoch seconds of the first point' },
    to: { type: 'integer', description: 'epoch seconds of the last point (the second that just ended)' },
    timestamps: { type: 'array', items: { type: 'integer' } },
    series: {
      type: 'object',
      description:
        'one array per figure, aligned with timestamps, null where nothing was recorded: shared values (waiting, claimed…), per-second counts summed over instances (admitted, confirmed, status.201…), and percentiles of distributions merged over instances (duration.p99, in seconds)',
      additionalProperties: { type: 'array', items: point },
    },
  },
  required: ['kind', 'entity', 'from', 'to', 'timestamps', 'series'],
} as const;

/** GET /v1/history: an entity's last 15 minutes at one point per second, merged across instances (admin). */
export function historyRoutes(app: FastifyInstance, history: History, admin: AdminAuth): void {
  app.get<{ Querystring: { kind: string; entity: string; seconds?: string } }>(
    '/v1/history',
    {
      onRequest: admin.guard,
      schema: { tags: ['history'], querystring: historyQuery, response: { 200: historyResponse } },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const { kind, entity, seconds } = request.query;
      return history.read(kind, entity, seconds === undefined ? HISTORY_SECONDS : Number(seconds));
    },
  );
}
