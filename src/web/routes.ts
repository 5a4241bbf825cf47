import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DomainError } from '../errors.js';

const WEB_DIR = new URL('../../web/', import.meta.url);
const require = createRequire(import.meta.url);

/** Files under /assets/: the pages' own, and the charting library from its npm package (no CDN). */
const ASSETS: Record<string, { file: string | URL; type: string }> = {
  'room.js': { file: new URL('room.js', WEB_DIR), type: 'text/javascript; charset=utf-8' },
  'admin.js': { file: new URL('admin.js', WEB_DIR), type: 'text/javascript; charset=utf-8' },
  'style.css': { file: new URL('style.css', WEB_DIR), type: 'text/css; charset=utf-8' },
  'favicon.svg': { file: new URL('favicon.svg', WEB_DIR), type: 'image/svg+xml' },
  'uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  'seats.js': { file: new URL('seats.js', WEB_DIR), type: 'text/javascript; charset=utf-8' },
  'seat-map.js': { file: new URL('seat-map.js', WEB_DIR), type: 'text/javascript; charset=utf-8' },
  'seats.css': { file: new URL('seats.css', WEB_DIR), type: 'text/css; charset=utf-8' },
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

/** The waiting-room page (/r/:roomId), the admin dashboard (/admin), their assets and the site's icon. */
export function webRoutes(app: FastifyInstance): void {
  // Read once at start: these few kilobytes are served from memory, even under a surge.
  const pages = {
    room: readFileSync(new URL('room.html', WEB_DIR)),
    admin: readFileSync(new URL('admin.html', WEB_DIR)),
  };
  const assets = new Map(Object.entries(ASSETS).map(([name, { file, type }]) => [name, { body: readFileSync(file), type }]));
  const favicon = readFileSync(new URL('favicon.ico', WEB_DIR));

  const page = (body: Buffer, cache: string) => async (_request: unknown, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', cache).headers(PAGE_HEADERS).send(body);

  app.get('/r/:roomId', { schema: { hide: true } }, page(pages.room, 'public, max-age=60'));
  app.get('/admin', { schema: { hide: true } }, page(pages.admin, 'no-store'));
  app.get<{ Params: { name: string } }>('/assets/:name', { schema: { hide: true } }, async (request, reply) => {
    const asset = assets.get(request.params.name);
    if (!asset) throw new DomainError('not_found');
    return reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=300')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  });
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('image/x-icon').header('cache-control', 'public, max-age=86400').header('x-content-type-options', 'nosniff').send(favicon),
  );
}
