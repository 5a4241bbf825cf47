import type { IncomingHttpHeaders } from 'node:http';
import { InvalidRequest } from '../errors.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import type { AccessGate } from '../tokens/access-gate.js';
import type { CampaignRecord } from './repository.js';

export interface ClaimantDeps {
  partners: PartnerKeys;
  access: AccessGate;
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
  if (campaign.roomId) return (await deps.access.admit(headers, campaign.roomId, bodyUserId)).userId;
  await deps.partners.require(headers);
  if (bodyUserId === undefined) throw new InvalidRequest("body must have required property 'userId'");
  return bodyUserId;
}
