import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics/metrics.js';
import type { WaitingRoomService } from './service.js';

const ROUTE = '/v1/rooms/:roomId/tickets';
const ENTER_PATH = /^\/v1\/rooms\/([A-Za-z0-9_-]{1,64})\/tickets$/;
const MAX_BODY_BYTES = 1024;

/** How many entries the shortcut answered itself (for tests and debugging). */
export const entryShortcut = { answered: 0 };

/** Hands a request whose body was already read to the Fastify route (via inject) and relays the answer. */
export type RouteFallback = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/**
 * `{"userId": "<1..128 chars>"}` and nothing else, or null. Stricter than the route's schema (it
 * counts UTF-16 units, the schema code points): whatever it refuses, the route decides.
 */
function plainUserId(text: string): string | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const keys = Object.keys(body);
  const userId = (body as { userId?: unknown }).userId;
  if (keys.length !== 1 || keys[0] !== 'userId' || typeof userId !== 'string') return null;
  return userId.length >= 1 && userId.length <= 128 ? userId : null;
}

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
  if (req.method !== 'POST' || !req.url) return false;
  const match = ENTER_PATH.exec(req.url);
  if (!match) return false;
  const type = req.headers['content-type'];
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return false;
  const length = Number(req.headers['content-length']);
  if (!(length > 0 && length <= MAX_BODY_BYTES)) return false;

  const started = performance.now();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('error', () => res.destroy());
  req.on('end', async () => {
    const text = Buffer.concat(chunks).toString('utf8');
    const userId = plainUserId(text);
    if (userId === null) return fallback(req, res, text);
    let answer;
    try {
      answer = await service.enter(match[1]!, userId);
    } catch {
      return fallback(req, res, text);
    }
    const status = answer.created ? 201 : 200;
    const body = JSON.stringify(answer.ticket);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    entryShortcut.answered++;
    metrics.httpDuration.observe({ route: ROUTE, method: 'POST', status_code: status }, (performance.now() - started) / 1000);
  });
  return true;
}
