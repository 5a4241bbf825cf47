import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';
import { bearerToken } from '../tokens/admin-token.js';
import { PAGE_HEADERS } from '../web/routes.js';
import { confirmAnswer, holdAnswer } from './answers.js';
import { actorOf, type BuyerDeps, holder } from './buyer.js';
import type { KnownShow } from './directory.js';
import type { NewShowInput } from './domain/show-config.js';
import type { VenueInput } from './domain/venue-layout.js';
import type { ShowRecord, VenueRecord } from './repository.js';
import {
  bookingParams,
  bookingResponse,
  confirmHeaders,
  createShowBody,
  createVenueBody,
  extendResponse,
  holdBody,
  holdParams,
  holdResponse,
  showParams,
  showResponse,
  VENUE_BODY_LIMIT,
  venueParams,
  venueResponse,
} from './schemas.js';
import type { HoldSpec, SeatsService } from './service.js';

export interface SeatRouteDeps extends BuyerDeps {
  seats: SeatsService;
}

const SEAT_PAGE = readFileSync(new URL('../../web/seats.html', import.meta.url));

function venueBody(record: VenueRecord) {
  return { ...record, createdAt: record.createdAt.toISOString() };
}

function showBody(show: ShowRecord, capacity: number, categories: Record<string, { free: number; held: number; sold: number }> | null) {
  const total = (field: 'free' | 'held' | 'sold') => (categories ? Object.values(categories).reduce((n, c) => n + c[field], 0) : null);
  return {
    ...show,
    startsAt: show.startsAt.toISOString(),
    salesOpenAt: show.salesOpenAt?.toISOString() ?? null,
    salesCloseAt: show.salesCloseAt.toISOString(),
    createdAt: show.createdAt.toISOString(),
    capacity,
    free: total('free'),
    held: total('held'),
    sold: total('sold'),
    categories,
  };
}

export function seatRoutes(app: FastifyInstance, deps: SeatRouteDeps): void {
  const { seats, admin, partners, access } = deps;
  const tags = ['seats'];

  async function showOr404(showId: string): Promise<KnownShow> {
    return seats.show(showId);
  }

  /** Operators and partners' backends read any show. */
  const operatorOrPartner = async (headers: IncomingHttpHeaders) => {
    if (!admin.isAdmin(headers)) await partners.require(headers);
  };

  app.post<{ Body: VenueInput }>(
    '/v1/venues',
    { onRequest: admin.guard, bodyLimit: VENUE_BODY_LIMIT, schema: { tags, body: createVenueBody, response: { 201: venueResponse } } },
    async (request, reply) => reply.code(201).send(venueBody(await seats.createVenue(request.body))),
  );

  app.get<{ Params: { venueId: string } }>(
    '/v1/venues/:venueId',
    { onRequest: admin.guard, schema: { tags, params: venueParams, response: { 200: venueResponse } } },
    async (request) => venueBody(await seats.getVenue(request.params.venueId)),
  );

  app.post<{ Body: NewShowInput }>(
    '/v1/shows',
    { onRequest: admin.guard, schema: { tags, body: createShowBody, response: { 201: showResponse } } },
    async (request, reply) => {
      const show = await seats.createShow(request.body);
      const known = await showOr404(show.id);
      return reply.code(201).send(showBody(show, known.layout.capacity, await seats.counts(known)));
    },
  );

  app.get(
    '/v1/shows',
    {
      onRequest: admin.guard,
      schema: { tags, response: { 200: { type: 'object', properties: { shows: { type: 'array', items: showResponse } } } } },
    },
    async () => {
      const shows = await seats.listShows();
      return {
        shows: await Promise.all(
          shows.map(async (show) => {
            const known = await seats.directory.get(show.id);
            return showBody(show, known?.layout.capacity ?? 0, known ? await seats.counts(known) : null);
          }),
        ),
      };
    },
  );

  app.get<{ Params: { showId: string } }>(
    '/v1/shows/:showId',
    {
      onRequest: (request) => operatorOrPartner(request.headers),
      schema: { tags, params: showParams, response: { 200: showResponse } },
    },
    async (request) => {
      const known = await showOr404(request.params.showId);
      const counts = await seats.counts(known);
      if (!counts) throw new DomainError('rebuilding');
      return showBody(known.show, known.layout.capacity, counts);
    },
  );

  // The seat map: public (a seat's status, never who holds it), the same for everyone, cached ≤ 1 s.
  app.get<{ Params: { showId: string } }>('/v1/shows/:showId/seats', { schema: { tags, params: showParams } }, async (request, reply) => {
    const body = await seats.maps.get(await showOr404(request.params.showId));
    return reply.type('application/json; charset=utf-8').header('cache-control', 'public, max-age=1').send(body);
  });

  app.post<{ Params: { showId: string }; Body: HoldSpec & { userId?: string } }>(
    '/v1/shows/:showId/holds',
    { schema: { tags, params: showParams, body: holdBody, response: { 201: holdResponse } } },
    async (request, reply) => {
      const known = await showOr404(request.params.showId);
      const buyer = await holder(deps, request.headers, known.show, request.body.userId);
      const answer = holdAnswer(await seats.hold(known, buyer, request.body));
      return reply.code(answer.status).send(answer.body);
    },
  );

  app.post<{ Params: { showId: string; holdId: string } }>(
    '/v1/shows/:showId/holds/:holdId/extend',
    { schema: { tags, params: holdParams, response: { 200: extendResponse } } },
    async (request) => {
      const known = await showOr404(request.params.showId);
      return seats.extend(known, request.params.holdId, await actorOf(deps, request.headers, known.show));
    },
  );

  app.delete<{ Params: { showId: string; holdId: string } }>(
    '/v1/shows/:showId/holds/:holdId',
    { schema: { tags, params: holdParams } },
    async (request, reply) => {
      const known = await showOr404(request.params.showId);
      await seats.release(known, request.params.holdId, await actorOf(deps, request.headers, known.show));
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { showId: string; holdId: string } }>(
    '/v1/shows/:showId/holds/:holdId/confirm',
    { schema: { tags, params: holdParams, headers: confirmHeaders, response: { 201: bookingResponse, 202: bookingResponse } } },
    async (request, reply) => {
      const known = await showOr404(request.params.showId);
      const actor = await actorOf(deps, request.headers, known.show);
      const key = request.headers['idempotency-key'] as string;
      const answer = confirmAnswer(await seats.confirm(known, request.params.holdId, actor, key));
      return reply.code(answer.status).send(answer.body);
    },
  );

  app.get<{ Params: { showId: string; bookingId: string } }>(
    '/v1/shows/:showId/bookings/:bookingId',
    { schema: { tags, params: bookingParams, response: { 200: bookingResponse } } },
    async (request) => {
      const known = await showOr404(request.params.showId);
      const booking = await seats.booking(known, request.params.bookingId);
      // Its buyer with their room token, the partner that booked it, or an operator; anyone else hears "no such booking".
      let allowed = admin.isAdmin(request.headers);
      if (!allowed && known.show.roomId && bearerToken(request.headers.authorization)) {
        const claims = await access.admit(request.headers, known.show.roomId);
        allowed = booking !== null && booking.partnerId === null && booking.userId === claims.userId;
      } else if (!allowed) {
        const partnerId = await partners.require(request.headers);
        allowed = booking !== null && booking.partnerId === partnerId;
      }
      if (!booking || !allowed) throw new DomainError('booking_not_found');
      return {
        ...booking,
        confirmedAt: booking.status === 'pending' ? null : booking.confirmedAt.toISOString(),
        cancelledAt: booking.cancelledAt?.toISOString() ?? null,
      };
    },
  );

  app.delete<{ Params: { showId: string; bookingId: string } }>(
    '/v1/shows/:showId/bookings/:bookingId',
    { schema: { tags, params: bookingParams } },
    async (request, reply) => {
      const known = await showOr404(request.params.showId);
      // An operator, or the partner that booked it.
      const partnerId = admin.isAdmin(request.headers) ? null : await partners.require(request.headers);
      await seats.cancel(known, request.params.bookingId, partnerId);
      return reply.code(204).send();
    },
  );

  // The seat-selection page (web/seats.html): a room's targetUrl may point here.
  app.get('/s/:showId', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').headers(PAGE_HEADERS).header('cache-control', 'public, max-age=60').send(SEAT_PAGE),
  );
}
