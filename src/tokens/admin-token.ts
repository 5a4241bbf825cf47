import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';

/** The operator's credential (FLOODGATE_ADMIN_TOKEN), as routes use it. */
export interface AdminAuth {
  /** onRequest hook of admin routes: `Authorization: Bearer <admin token>`, else 401. */
  guard(request: FastifyRequest): Promise<void>;
  /** Whether a request carries the admin token (routes open to operators and to partners alike). */
  isAdmin(headers: IncomingHttpHeaders): boolean;
}

export function adminAuth(adminToken: string | undefined): AdminAuth {
  const expected = adminToken ? Buffer.from(adminToken) : null;
  const isAdmin = (headers: IncomingHttpHeaders) => {
    const given = bearerToken(headers.authorization);
    if (!expected || given === null) return false;
    const presented = Buffer.from(given);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  };
  return {
    isAdmin,
    async guard(request) {
      if (!expected) throw new DomainError('admin_api_disabled');
      if (!isAdmin(request.headers)) throw new DomainError('unauthorized');
    },
  };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  if (!header?.startsWith('Bearer ')) return null;
  return header.slice(7).trim() || null;
}
