import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

const WEB_DIR = new URL('../../web/', import.meta.url);

// Scripts and styles come from our own files only: no inline script can run on the page.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'";

const ASSETS: Record<string, string> = {
  'courses.js': 'text/javascript; charset=utf-8',
  'courses.css': 'text/css; charset=utf-8',
};

/** The student's registration page (/courses/:termId) and its assets, read once at start. */
export function coursePages(app: FastifyInstance): void {
  const html = readFileSync(new URL('courses.html', WEB_DIR));
  const assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(new URL(name, WEB_DIR))]));
  app.get('/courses/:termId', { schema: { hide: true } }, async (_request, reply: FastifyReply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'public, max-age=60')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      // The page arrives with an access token in its URL (?fg_token=…): it must not leak in a Referer.
      .header('referrer-policy', 'no-referrer')
      .send(html),
  );
  for (const [name, type] of Object.entries(ASSETS)) {
    app.get(`/courses/assets/${name}`, { schema: { hide: true } }, async (_request, reply: FastifyReply) =>
      reply.type(type).header('cache-control', 'public, max-age=300').header('x-content-type-options', 'nosniff').send(assets.get(name)),
    );
  }
}
