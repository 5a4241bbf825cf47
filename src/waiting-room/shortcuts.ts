import { PASS, type Shortcut, type ShortcutAnswer } from '../capability.js';
import { bearerToken } from '../tokens/admin-token.js';
import type { EntryClaims } from './identity.js';
import { enterAnswer } from './routes.js';
import { enterBody } from './schemas.js';
import type { TicketView, WaitingRoomService } from './service.js';

const ticketAnswer = (ticket: TicketView): ShortcutAnswer => ({ status: 200, body: ticket, headers: { 'cache-control': 'no-store' } });

/**
 * The waiting room's surge requests, answered before Fastify routes them (http/shortcuts.ts).
 *
 * Why: during a surge nearly all traffic is waiting people polling, and such a poll needs no I/O
 * at all (position = place - served, from counters cached in memory): the framework's
 * per-request work was ~15% of its cost (git log -p docs/BENCHMARKS.md). Entry is the other request every
 * visitor makes, and every admitted person completes once. Polling and entering are idempotent,
 * so whatever fails there is run again by the route, which answers; completing is not (a second
 * completion is a 409), so its shortcut answers its own errors.
 */
export function roomShortcuts(service: WaitingRoomService): Shortcut[] {
  return [
    {
      method: 'GET',
      route: '/v1/rooms/:roomId/tickets/:ticketId',
      idempotent: true,
      handle({ params }) {
        const cached = service.pollFromCache(params.roomId!, params.ticketId!);
        if (cached) return ticketAnswer(cached);
        return service.poll(params.roomId!, params.ticketId!).then(ticketAnswer);
      },
    },
    {
      method: 'POST',
      route: '/v1/rooms/:roomId/tickets',
      idempotent: true,
      bodySchema: enterBody,
      handle: ({ params, headers, body, client }) => enterAnswer(service, params.roomId!, headers, body as EntryClaims, client),
    },
    {
      method: 'POST',
      route: '/v1/rooms/:roomId/sessions/complete',
      idempotent: false,
      async handle({ params, headers }) {
        const token = bearerToken(headers.authorization);
        if (token === null) return PASS;
        await service.complete(params.roomId!, token);
        return { status: 204 };
      },
    },
  ];
}
