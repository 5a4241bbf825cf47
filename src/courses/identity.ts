import type { IncomingHttpHeaders } from 'node:http';
import { InvalidRequest } from '../errors.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import type { AccessGate } from '../tokens/access-gate.js';
import type { AdminAuth } from '../tokens/admin-token.js';
import type { TermRecord } from './repository.js';
import type { Viewer } from './service.js';

export interface IdentityDeps {
  partners: PartnerKeys;
  access: AccessGate;
  admin: AdminAuth;
}

/**
 * Who a request is made for: a partner's backend (X-Api-Key) names the student in the body; else,
 * on a term behind a waiting room, the holder of a live access token of that room is the student
 * (a studentId in the body must be the token's own). A term without a room is for partners only.
 */
export async function requestingStudent(
  deps: IdentityDeps,
  headers: IncomingHttpHeaders,
  term: TermRecord,
  bodyStudentId: string | undefined,
): Promise<string> {
  if (headers['x-api-key'] !== undefined || !term.roomId) {
    await deps.partners.require(headers);
    if (bodyStudentId === undefined) throw new InvalidRequest("body must have required property 'studentId'");
    return bodyStudentId;
  }
  return (await deps.access.admit(headers, term.roomId, bodyStudentId)).userId;
}

/**
 * Who reads a request or a schedule: an operator (admin token) or a partner sees any; a student,
 * with a live access token of the term's room, sees only their own.
 */
export async function viewer(deps: IdentityDeps, headers: IncomingHttpHeaders, term: TermRecord): Promise<Viewer> {
  if (deps.admin.isAdmin(headers)) return 'operator';
  if (headers['x-api-key'] !== undefined || !term.roomId) {
    await deps.partners.require(headers);
    return 'operator';
  }
  return { studentId: (await deps.access.admit(headers, term.roomId)).userId };
}
