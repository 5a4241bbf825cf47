// What the request shortcuts share (waiting-room/fast-poll.ts, fast-enter.ts, fast-complete.ts, claims/fast-claim.ts):
// the surge requests answered straight from node:http, before Fastify routes them. Whatever a
// shortcut does not answer goes to the Fastify route, which stays the endpoint's definition.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Hands a request whose body was already read to the Fastify route (via inject) and relays the answer. */
export type RouteFallback = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const MAX_BODY_BYTES = 1024;

/** A POST with a small JSON body of declared length: the only kind a shortcut reads. */
export function isSmallJsonPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST') return false;
  const type = req.headers['content-type'];
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8') return false;
  const length = Number(req.headers['content-length']);
  return length > 0 && length <= MAX_BODY_BYTES;
}

/** Reads the whole (small) body, then calls `onBody` with it as text. */
export function readBody(req: IncomingMessage, res: ServerResponse, onBody: (text: string) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('error', () => res.destroy());
  req.on('end', () => onBody(Buffer.concat(chunks).toString('utf8')));
}

/**
 * `{"userId": "<1..128 chars>"}` and nothing else, or null. Stricter than the routes' schemas (it
 * counts UTF-16 units, the schemas code points): whatever it refuses, the route decides.
 */
export function plainUserId(text: string): string | null {
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

/** An HTTP answer with a JSON body, as a route or a shortcut sends it. */
export interface JsonAnswer {
  status: number;
  body: object;
  headers: Record<string, string>;
}

/** Writes a JSON answer, as the routes' serialisers would. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
