import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { type ClientInfo, clientOf, type ShortcutAnswer } from '../capability.js';
import { DomainError } from '../errors.js';
import { archivedQuery } from '../input-rules.js';
import { type AdminAuth, bearerToken } from '../tokens/admin-token.js';
import type { NewRoomInput } from './domain/room-config.js';
import type { EntryClaims } from './identity.js';
import type { RoomChanges, RoomRecord } from './repository.js';
import type { RoomView } from './room-view.js';
import {
  createRoomBody,
  enterBody,
  roomParams,
  roomResponse,
  sessionResponse,
  ticketParams,
  ticketResponse,
  updateRoomBody,
  verifyBody,
} from './schemas.js';
import { type RoomStats, WaitingRoomService } from './service.js';

function roomBody(record: RoomRecord, view: RoomView | null, stats: RoomStats | null) {
  const { shuffleSeed: _secret, identitySecret: _identitySecret, ...config } = record;
  return {
    ...config,
    opensAt: record.opensAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    archivedAt: record.archivedAt?.toISOString() ?? null,
    ...(stats ? { stats } : {}),
    shuffle: view ? WaitingRoomService.shuffleInfo(record, view) : null,
  };
}

/** An entry's answer, for the route and its shortcut alike: the ticket, and the visitor's cookie when one was made. */
export async function enterAnswer(
  service: WaitingRoomService,
  roomId: string,
  headers: IncomingHttpHeaders,
  claims: EntryClaims,
  client: ClientInfo,
): Promise<ShortcutAnswer> {
  const entrant = await service.entrant(roomId, headers, claims, client);
  const { created, ticket } = await service.enter(roomId, entrant.userId);
  return { status: created ? 201 : 200, body: ticket, ...(entrant.setCookie ? { headers: { 'set-cookie': entrant.setCookie } } : {}) };
}

export function waitingRoomRoutes(app: FastifyInstance, service: WaitingRoomService, { guard: admin }: AdminAuth) {
  const tags = ['waiting room'];

  app.post<{ Body: NewRoomInput }>(
    '/v1/rooms',
    { onRequest: admin, schema: { tags, body: createRoomBody, response: { 201: roomResponse } } },
    async (request, reply) => {
      const record = await service.createRoom(request.body);
      const { view, stats } = await service.describeRoom(record.id);
      // The identity secret is shown once, here (and on rotation): sites sign their users' identity tokens with it.
      return reply.code(201).send({ ...roomBody(record, view, stats), identitySecret: record.identitySecret });
    },
  );

  app.get<{ Querystring: { archived?: 'true' | 'false' } }>(
    '/v1/rooms',
    {
      onRequest: admin,
      schema: {
        tags,
        querystring: archivedQuery,
        response: { 200: { type: 'object', properties: { rooms: { type: 'array', items: roomResponse } } } },
      },
    },
    async (request) => {
      const records = await service.listRooms({ archived: request.query.archived === 'true' });
      const rooms = await Promise.all(
        records.map(async (r) => {
          const { record, view, stats } = await service.describeRecord(r);
          return roomBody(record, view, stats);
        }),
      );
      return { rooms };
    },
  );

  app.post<{ Params: { roomId: string } }>(
    '/v1/rooms/:roomId/archive',
    { onRequest: admin, schema: { tags, params: roomParams, response: { 200: roomResponse } } },
    async (request) => {
      const record = await service.archiveRoom(request.params.roomId);
      const { view, stats } = await service.describeRecord(record);
      return roomBody(record, view, stats);
    },
  );

  app.delete<{ Params: { roomId: string } }>(
    '/v1/rooms/:roomId',
    { onRequest: admin, schema: { tags, params: roomParams } },
    async (request, reply) => {
      await service.deleteRoom(request.params.roomId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { roomId: string } }>(
    '/v1/rooms/:roomId',
    { onRequest: admin, schema: { tags, params: roomParams, response: { 200: roomResponse } } },
    async (request) => {
      const { record, view, stats } = await service.describeRoom(request.params.roomId);
      return roomBody(record, view, stats);
    },
  );

  app.patch<{ Params: { roomId: string }; Body: RoomChanges }>(
    '/v1/rooms/:roomId',
    {
      onRequest: admin,
      schema: { tags, params: roomParams, body: updateRoomBody, response: { 200: roomResponse } },
    },
    async (request) => {
      await service.updateRoom(request.params.roomId, request.body);
      const { record, view, stats } = await service.describeRoom(request.params.roomId);
      return roomBody(record, view, stats);
    },
  );

  app.post<{ Params: { roomId: string }; Body: EntryClaims | undefined }>(
    '/v1/rooms/:roomId/tickets',
    {
      schema: {
        tags,
        params: roomParams,
        body: enterBody,
        response: { 200: ticketResponse, 201: ticketResponse },
      },
    },
    async (request, reply) => {
      const answer = await enterAnswer(service, request.params.roomId, request.headers, request.body ?? {}, clientOf(request));
      return reply
        .code(answer.status)
        .headers(answer.headers ?? {})
        .send(answer.body);
    },
  );

  app.post<{ Params: { roomId: string } }>(
    '/v1/rooms/:roomId/identity-secret',
    {
      onRequest: admin,
      schema: {
        tags,
        params: roomParams,
        response: { 200: { type: 'object', properties: { roomId: { type: 'string' }, identitySecret: { type: 'string' } } } },
      },
    },
    async (request) => {
      const record = await service.rotateIdentitySecret(request.params.roomId);
      return { roomId: record.id, identitySecret: record.identitySecret };
    },
  );

  app.get<{ Params: { roomId: string; ticketId: string } }>(
    '/v1/rooms/:roomId/tickets/:ticketId',
    { schema: { tags, params: ticketParams, response: { 200: ticketResponse } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return service.poll(request.params.roomId, request.params.ticketId);
    },
  );

  app.delete<{ Params: { roomId: string; ticketId: string } }>(
    '/v1/rooms/:roomId/tickets/:ticketId',
    { schema: { tags, params: ticketParams } },
    async (request, reply) => {
      await service.leave(request.params.roomId, request.params.ticketId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { roomId: string } }>(
    '/v1/rooms/:roomId/sessions/extend',
    { schema: { tags, params: roomParams, response: { 200: sessionResponse } } },
    async (request) => service.extend(request.params.roomId, bearerToken(request.headers.authorization)),
  );

  app.post<{ Params: { roomId: string } }>(
    '/v1/rooms/:roomId/sessions/complete',
    { schema: { tags, params: roomParams } },
    async (request, reply) => {
      await service.complete(request.params.roomId, bearerToken(request.headers.authorization));
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { token: string } }>(
    '/v1/tokens/verify',
    {
      schema: {
        tags: ['tokens'],
        body: verifyBody,
        response: {
          200: {
            type: 'object',
            properties: { valid: { type: 'boolean' }, claims: { type: 'object', additionalProperties: true } },
          },
        },
      },
    },
    async (request) => {
      const claims = await service.verify(request.body.token);
      if (!claims) throw new DomainError('invalid_token');
      return {
        valid: true,
        claims: { ...claims, issuedAt: new Date(claims.issuedAt).toISOString(), expiresAt: new Date(claims.expiresAt).toISOString() },
      };
    },
  );
}
