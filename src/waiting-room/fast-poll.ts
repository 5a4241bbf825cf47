import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteFallback } from '../http/shortcuts.js';
import type { Metrics } from '../metrics/metrics.js';
import type { TicketView, WaitingRoomService } from './service.js';

const ROUTE = '/v1/rooms/:roomId/tickets/:ticketId';

const POLL_PATH = /^\/v1\/rooms\/([A-Za-z0-9_-]{1,64})\/tickets\/([A-Za-z0-9._-]{3,64})$/;

/** How many polls the shortcut answered itself, from memory or through the service (for tests). */
export const pollShortcut = { fromCache: 0, throughService: 0 };

/**
 * Answers `GET /v1/rooms/:roomId/tickets/:ticketId` straight from the node:http request, before
 * Fastify's routing, hooks and serialisers.
 *
 * Why this shortcut exists: during a surge nearly all traffic is waiting users polling, and such a
 * poll needs no I/O at all (position = place - served, from counters cached in memory). Measured on
 * the 2-core machine, the framework's per-request work was ~15% of the cost of such a poll
 * (docs/BENCHMARKS.md). A ticket at or past the front (admitted: its token; ended) takes the
 * service's full poll, still without the framework: every admitted person makes that poll once.
 * Polling is idempotent (a session is opened once however often it is polled), so whatever fails
 * here (unknown or forged ids, Redis down) is handed to the Fastify route, which stays the single
 * definition of the endpoint and answers the error; test/waiting-room/fast-poll.test.ts checks that
 * both answer alike.
 */
export function answerPollDirectly(
  service: WaitingRoomService,
  metrics: Metrics,
  fallback: RouteFallback,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (req.method !== 'GET' || !req.url) return false;
  const started = performance.now();
  const match = POLL_PATH.exec(req.url);
  if (!match) return false;
  const cached = service.pollFromCache(match[1]!, match[2]!);
  if (cached) {
    send(res, cached, metrics, started);
    pollShortcut.fromCache++;
    return true;
  }
  service.poll(match[1]!, match[2]!).then(
    (ticket) => {
      send(res, ticket, metrics, started);
      pollShortcut.throughService++;
    },
    () => fallback(req, res, ''),
  );
  return true;
}

function send(res: ServerResponse, ticket: TicketView, metrics: Metrics, started: number): void {
  const body = JSON.stringify(ticket);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
  metrics.httpDuration.observe({ route: ROUTE, method: 'GET', status_code: 200 }, (performance.now() - started) / 1000);
}
