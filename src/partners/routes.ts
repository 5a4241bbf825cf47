import type { FastifyInstance } from 'fastify';
import { adminAuth } from '../http/admin-auth.js';
import { AppError, errorResponses } from '../http/errors.js';
import type { ApiKeys } from './api-keys.js';

export function partnerRoutes(app: FastifyInstance, apiKeys: ApiKeys, adminToken: string | undefined): void {
  const admin = adminAuth(adminToken);
  const tags = ['partners'];

  app.post<{ Body: { name: string } }>(
    '/v1/partners',
    {
      onRequest: admin,
      schema: {
        tags,
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 128 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', properties: { partnerId: { type: 'string' }, apiKey: { type: 'string' }, name: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const created = await apiKeys.create(request.body.name);
      // The key is shown once: only its hash is stored.
      return reply.code(201).send({ ...created, name: request.body.name });
    },
  );

  app.delete<{ Params: { partnerId: string } }>(
    '/v1/partners/:partnerId',
    {
      onRequest: admin,
      schema: {
        tags,
        params: {
          type: 'object',
          properties: { partnerId: { type: 'string', maxLength: 64 } },
          required: ['partnerId'],
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      if (!(await apiKeys.revoke(request.params.partnerId))) throw new AppError('not_found', 'No such partner');
      return reply.code(204).send();
    },
  );
}
