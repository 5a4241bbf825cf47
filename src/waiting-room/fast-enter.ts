import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSmallJsonPost, plainUserId, type RouteFallback, readBody, sendJson } from '../http/shortcuts.js';
import type { Metrics } from '../metrics/metrics.js';
import type { WaitingRoomService } from './service.js';

const ROUTE = '/v1/rooms/:roomId/tickets';
const ENTER_PATH = /^\/v1\/rooms\/([A-Za-z0-9_-]{1,64})\/tickets$/;

/** How many entries the shortcut answered itself (for tests and debugging). */
export const entryShortcut = { answered: 0 };

/**
 * Answers a plain `POST /v1/rooms/:roomId/tickets` straight from the node:http request, before
 * Fastify's routing, hooks, body parser, validator and serialiser.
 *
 * Why this shortcut exists: entry is the other request every visitor of a surge makes, and its own
 * work is one shared Redis script run (entries are batched); the framework's per-request work was a
 * large share of the rest. Only the plain case is answered here: a request that is not JSON, has no
 * small Content-Length, or whose body is anything but `{"userId": "..."}`, and every error (unknown
 * room, Redis down), goes to the Fastify route, which stays the single definition of the endpoint
 * (entering is idempotent, so running it again there is safe). test/waiting-room/fast-poll.test.ts
 * checks that both answer alike.
 */
export function answerEntryDirectly(
  service: WaitingRoomService,
  metrics: Metrics,
  fallback: RouteFallback,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (!isSmallJsonPost(req) || !req.url) return false;
  const match = ENTER_PATH.exec(req.url);
  if (!match) return false;
  const started = performance.now();
  readBody(req, res, async (text) => {
    const userId = plainUserId(text);
    if (userId === null) return fallback(req, res, text);
    let answer: Awaited<ReturnType<WaitingRoomService['enter']>>;
    try {
      answer = await service.enter(match[1]!, userId);
    } catch {
      return fallback(req, res, text);
    }
    const status = answer.created ? 201 : 200;
    sendJson(res, status, answer.ticket);
    entryShortcut.answered++;
    metrics.httpDuration.observe({ route: ROUTE, method: 'POST', status_code: status }, (performance.now() - started) / 1000);
  });
  return true;
}
