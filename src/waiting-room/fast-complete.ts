import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { bearerToken } from '../http/admin-auth.js';
import { AppError } from '../http/errors.js';
import { type JsonAnswer, sendJson } from '../http/shortcuts.js';
import { unexpectedErrorAnswer } from '../http/unexpected.js';
import type { Metrics } from '../metrics/metrics.js';
import type { WaitingRoomService } from './service.js';

const ROUTE = '/v1/rooms/:roomId/sessions/complete';
const COMPLETE_PATH = /^\/v1\/rooms\/([A-Za-z0-9_-]{1,64})\/sessions\/complete$/;

/** How many completions the shortcut answered (for tests). */
export const completeShortcut = { answered: 0 };

export interface FastCompleteDeps {
  waitingRoom: WaitingRoomService;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/**
 * Answers `POST /v1/rooms/:roomId/sessions/complete` with `Authorization: Bearer <token>` and no
 * body straight from the node:http request, before Fastify routes it.
 *
 * Why this shortcut exists: every admitted person completes once, as often as they are admitted
 * (1,000 a second in seed 004), and the framework's per-request work was a large share of what
 * a completion costs. Anything else (a body, a content type, no bearer token) goes to the Fastify
 * route, which stays the endpoint's definition. Completing is not idempotent (a second completion
 * is a 409), so once the service was called this shortcut answers whatever happens, as the route's
 * error handler would; test/waiting-room/fast-poll.test.ts checks that both answer alike.
 */
export function answerCompleteDirectly(deps: FastCompleteDeps, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const match = COMPLETE_PATH.exec(req.url);
  if (!match) return false;
  const { headers } = req;
  if (headers['content-type'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
  if (headers['content-length'] !== undefined && headers['content-length'] !== '0') return false;
  const token = bearerToken(headers.authorization);
  if (token === null) return false;
  const started = performance.now();
  deps.waitingRoom.complete(match[1]!, token).then(
    () => {
      res.writeHead(204);
      res.end();
      observe(deps.metrics, 204, started);
    },
    (err: unknown) => {
      const answer: JsonAnswer =
        err instanceof AppError
          ? { status: err.status, body: err.body(), headers: {} }
          : unexpectedErrorAnswer(err, deps.metrics, deps.log);
      sendJson(res, answer.status, answer.body, answer.headers);
      observe(deps.metrics, answer.status, started);
    },
  );
  completeShortcut.answered++;
  return true;
}

function observe(metrics: Metrics, status: number, started: number): void {
  metrics.httpDuration.observe({ route: ROUTE, method: 'POST', status_code: status }, (performance.now() - started) / 1000);
}
