import type { IncomingHttpHeaders } from 'node:http';
import { InvalidRequest } from '../errors.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import type { AccessGate } from '../tokens/access-gate.js';
import type { AdminAuth } from '../tokens/admin-token.js';
import type { ShowRecord } from './repository.js';
import type { Actor } from './scripts.js';

export interface BuyerDeps {
  partners: PartnerKeys;
  access: AccessGate;
  admin: AdminAuth;
}

/**
 * Who is acting on a show's holds. An operator (admin token) may act on any show. On a show behind
 * a waiting room, a buyer is the holder of a live access token of that room, for the token's own
 * user (a partner key is not enough: it would skip the queue). On a show without a room, a
 * partner's backend (X-Api-Key), for the users it names.
 */
export async function actorOf(deps: BuyerDeps, headers: IncomingHttpHeaders, show: ShowRecord, bodyUserId?: string): Promise<Actor> {
  if (deps.admin.isAdmin(headers)) return { kind: 'admin' };
  if (show.roomId) return { kind: 'user', userId: (await deps.access.admit(headers, show.roomId, bodyUserId)).userId };
  return { kind: 'partner', partnerId: await deps.partners.require(headers) };
}

/** The user a new hold is for, and the partner that asks (''): the token's user, or the user an operator or partner names. */
export async function holder(
  deps: BuyerDeps,
  headers: IncomingHttpHeaders,
  show: ShowRecord,
  bodyUserId: string | undefined,
): Promise<{ userId: string; partnerId: string }> {
  const actor = await actorOf(deps, headers, show, bodyUserId);
  if (actor.kind === 'user') return { userId: actor.userId, partnerId: '' };
  if (bodyUserId === undefined) throw new InvalidRequest("body must have required property 'userId'");
  return { userId: bodyUserId, partnerId: actor.kind === 'partner' ? actor.partnerId : '' };
}
