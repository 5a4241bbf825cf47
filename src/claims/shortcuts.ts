import type { Shortcut } from '../capability.js';
import { DomainError } from '../errors.js';
import { claimAnswer } from './answers.js';
import { type ClaimantDeps, claimant } from './claimant.js';
import { claimBody } from './schemas.js';
import type { ClaimsService } from './service.js';

/**
 * `POST /v1/campaigns/:campaignId/claims`, answered before Fastify routes it (http/shortcuts.ts).
 *
 * Why: a claim is the request a first-come surge is made of, and the framework's per-request work
 * was a large share of the CPU a claim costs in this process (git log -p docs/BENCHMARKS.md). It decides
 * exactly as the route does, with the same pieces (claimant.ts, the service, answers.ts). Claiming
 * is not idempotent (perUserLimit > 1), so it answers its own refusals and failures, through the
 * error table, as the route's error handler would.
 */
export function claimShortcuts(claims: ClaimsService, deps: ClaimantDeps): Shortcut[] {
  return [
    {
      method: 'POST',
      route: '/v1/campaigns/:campaignId/claims',
      idempotent: false,
      bodySchema: claimBody,
      async handle({ params, headers, body, client }) {
        const campaign = await claims.campaigns.get(params.campaignId!);
        if (!campaign) throw new DomainError('campaign_not_found');
        const userId = await claimant(deps, headers, client, campaign, (body as { userId?: string }).userId);
        return claimAnswer(await claims.claim(campaign, userId));
      },
    },
  ];
}
