import type { Loops } from '../background.js';
import type { OutboxSender } from '../outbox/sender.js';
import type { ApiKeys } from '../partners/api-keys.js';
import type { CampaignRepository } from './repository.js';
import type { ClaimsService } from './service.js';

const CAMPAIGN_LIST_REFRESH_MS = 5_000;

/** Claims' background work, run by every instance: recovery sweep, webhooks, API key reload. */
export function startClaimsLoops(
  loops: Loops,
  claims: ClaimsService,
  repository: CampaignRepository,
  outbox: OutboxSender,
  apiKeys: ApiKeys,
): void {
  let campaignIds: string[] = [];
  let fetchedAt = 0;
  loops.every('claim-sweeper', 1_000, async () => {
    if (Date.now() - fetchedAt > CAMPAIGN_LIST_REFRESH_MS) {
      campaignIds = await repository.listIds();
      fetchedAt = Date.now();
    }
    for (const campaignId of campaignIds) await claims.sweeper.sweep(campaignId);
  });
  loops.every('outbox', 500, async () => {
    while ((await outbox.sendDue()) > 0) {
      // keep going while there is a backlog
    }
  });
  loops.every('api-keys', 2_000, () => apiKeys.reload());
}
