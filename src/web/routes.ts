import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';

const WEB_DIR = new URL('../../web/', import.meta.url);

const ASSETS: Record<string, string> = {
  'room.js': 'text/javascript; charset=utf-8',
  'admin.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'seats.js': 'text/javascript; charset=utf-8',
  'seats.css': 'text/css; charset=utf-8',
};

// Scripts and styles come from our own files only: no inline script can run on these pages.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Headers of every page (capabilities serving pages of their own use them too). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The waiting-room page (/r/:roomId), the admin dashboard (/admin) and their assets. */
export function webRoutes(app: FastifyInstance): void {
  // Read once at start: these few kilobytes are served from memory, even under a surge.
  const pages = {
    room: readFileSync(new URL('room.html', WEB_DIR)),
    admin: readFileSync(new URL('admin.html', WEB_DIR)),
  };
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(new URL(name, WEB_DIR))]));

  const page = (body: Buffer, cache: string) => async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', cache).headers(PAGE_HEADERS).send(body);

  app.get('/r/:roomId', { schema: { hide: true } }, page(pages.room, 'public, max-age=60'));
  app.get('/admin', { schema: { hide: true } }, page(pages.admin, 'no-store'));
  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const body = assets.get(request.params.name);
    if (!body) throw new DomainError('not_found');
    return reply
      .type(ASSETS[request.params.name]!)
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}
