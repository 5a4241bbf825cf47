import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';
import { textSchema } from '../input-rules.js';
import type { AdminAuth } from '../tokens/admin-token.js';
import type { ApiKeys } from './api-keys.js';

const partner = {
  type: 'object',
  properties: {
    partnerId: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export function partnerRoutes(app: FastifyInstance, apiKeys: ApiKeys, admin: AdminAuth): void {
  const tags = ['partners'];

  app.post<{ Body: { name: string } }>(
    '/v1/partners',
    {
      onRequest: admin.guard,
      schema: {
        tags,
        body: { type: 'object', properties: { name: textSchema(128, 1) }, required: ['name'], additionalProperties: false },
        response: {
          201: { type: 'object', properties: { partnerId: { type: 'string' }, apiKey: { type: 'string' }, name: { type: 'string' } } },
        },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(request.body.name);
      // The key is shown once: only its hash is stored.
      return reply.code(201).send({ ...created, name: request.body.name });
    },
  );

  app.get(
    '/v1/partners',
    {
      onRequest: admin.guard,
      schema: { tags, response: { 200: { type: 'object', properties: { partners: { type: 'array', items: partner } } } } },
    },
    async () => ({
      partners: (await apiKeys.list()).map((p) => ({
        ...p,
        createdAt: p.createdAt.toISOString(),
        revokedAt: p.revokedAt?.toISOString() ?? null,
      })),
    }),
  );

  app.delete<{ Params: { partnerId: string } }>(
    '/v1/partners/:partnerId',
    {
      onRequest: admin.guard,
      schema: { tags, params: { type: 'object', properties: { partnerId: { type: 'string', maxLength: 64 } }, required: ['partnerId'] } },
    },
    async (request, reply) => {
      if (!(await apiKeys.revoke(request.params.partnerId))) throw new DomainError('partner_not_found');
      return reply.code(204).send();
    },
  );
}
