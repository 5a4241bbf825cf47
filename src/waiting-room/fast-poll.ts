import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import type { WaitingRoomService } from './service.js';

const ROUTE = '/v1/rooms/:roomId/tickets/:ticketId';

const POLL_PATH = /^\/v1\/rooms\/([A-Za-z0-9_-]{1,64})\/tickets\/([A-Za-z0-9._-]{3,64})$/;

/**
 * Answers `GET /v1/rooms/:roomId/tickets/:ticketId` for a waiting ticket straight from the
 * node:http request, before Fastify's routing, hooks and serialisers.
 *
 * Why this shortcut exists: during a surge nearly all traffic is waiting users polling, and such a
 * poll needs no I/O at all (position = place - served, from counters cached in memory). Measured on
 * the 2-core machine, the framework's per-request work was ~15% of the cost of such a poll
 * (docs/BENCHMARKS.md). Everything that is not a plain waiting answer (stale counters, unknown or
 * forged ids, tickets at the front, errors) returns false and goes through the Fastify route, which
 * stays the single definition of the endpoint; test/waiting-room/fast-poll.test.ts checks that both
 * answer the same.
 */
export function answerPollFromCache(service: WaitingRoomService, metrics: Metrics, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' || !req.url) return false;
  const started = performance.now();
  const match = POLL_PATH.exec(req.url);
  if (!match) return false;
  const ticket = service.pollFromCache(match[1]!, match[2]!);
  if (!ticket) return false;
  const body = JSON.stringify(ticket);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
  metrics.httpDuration.observe({ route: ROUTE, method: 'GET', status_code: 200 }, (performance.now() - started) / 1000);
  return true;
}
