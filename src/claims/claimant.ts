import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken } from '../http/admin-auth.js';
import { AppError } from '../http/errors.js';
import type { ApiKeys } from '../partners/api-keys.js';
import type { WaitingRoomService } from '../waiting-room/service.js';
import type { CampaignRecord } from './repository.js';

export interface ClaimantDeps {
  apiKeys: ApiKeys;
  waitingRoom: WaitingRoomService;
}

/** A partner's backend: a valid, unrevoked X-Api-Key, else 401 invalid_api_key. */
export async function requirePartner(deps: ClaimantDeps, headers: IncomingHttpHeaders): Promise<void> {
  const key = headers['x-api-key'];
  if (typeof key !== 'string' || !(await deps.apiKeys.check(key))) throw new AppError('invalid_api_key');
}

/**
 * Who is claiming: on a room-gated campaign the holder of a live access token of that room, for
 * the token's own user; otherwise a partner's backend (X-Api-Key) for the user it names.
 */
export async function claimant(
  deps: ClaimantDeps,
  headers: IncomingHttpHeaders,
  campaign: CampaignRecord,
  bodyUserId: string | undefined,
): Promise<string> {
  if (campaign.roomId) {
    const token = bearerToken(headers.authorization);
    const verified = token ? await deps.waitingRoom.verify(token, campaign.roomId) : null;
    if (!verified) throw new AppError('not_admitted');
    if (bodyUserId !== undefined && bodyUserId !== verified.userId) {
      throw new AppError('not_admitted', 'The access token was issued to another user');
    }
    return verified.userId;
  }
  await requirePartner(deps, headers);
  if (bodyUserId === undefined) throw new AppError('invalid_request', "body must have required property 'userId'");
  return bodyUserId;
}
