import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/** onRequest hook for admin routes: `Authorization: Bearer <FLOODGATE_ADMIN_TOKEN>`, else 401. */
export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken ? Buffer.from(adminToken) : null;
  return async (request: FastifyRequest): Promise<void> => {
    if (!expected) throw new AppError('unauthorized', 'The admin API is disabled: set FLOODGATE_ADMIN_TOKEN');
    const given = Buffer.from(bearer(request) ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new AppError('unauthorized');
  };
}

export function bearer(request: FastifyRequest): string | null {
  return bearerToken(request.headers.authorization);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header?.startsWith('Bearer ')) return null;
  return header.slice(7).trim() || null;
}
