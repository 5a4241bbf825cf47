import type { IncomingHttpHeaders } from 'node:http';
import type { ClientInfo } from '../capability.js';
import { DomainError, InvalidRequest } from '../errors.js';
import type { ClientLimiter } from '../limits/client-limiter.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import type { AccessGate } from '../tokens/access-gate.js';
import type { CampaignRecord } from './repository.js';

export interface ClaimantDeps {
  partners: PartnerKeys;
  access: AccessGate;
  limits: ClientLimiter;
}

/**
 * Who is claiming: on a room-gated campaign the holder of a live access token of that room, for
 * the token's own user (a browser: limited per client address by the campaign's clientRate);
 * otherwise a partner's backend (X-Api-Key) for the user it names.
 */
export async function claimant(
  deps: ClaimantDeps,
  headers: IncomingHttpHeaders,
  client: ClientInfo,
  campaign: CampaignRecord,
  bodyUserId: string | undefined,
): Promise<string> {
  if (campaign.roomId) {
    if (campaign.clientRate) {
      const admission = deps.limits.take(`campaign:${campaign.id}`, client.ip, campaign.clientRate);
      if (!admission.ok) throw new DomainError('rate_limited', undefined, { retryAfterSeconds: admission.retryAfterSeconds });
    }
    return (await deps.access.admit(headers, campaign.roomId, bodyUserId)).userId;
  }
  await deps.partners.require(headers);
  if (bodyUserId === undefined) throw new InvalidRequest("body must have required property 'userId'");
  return bodyUserId;
}
