import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { isSmallJsonPost, type JsonAnswer, plainUserId, type RouteFallback, readBody, sendJson } from '../http/shortcuts.js';
import { unexpectedErrorAnswer } from '../http/unexpected.js';
import type { Metrics } from '../metrics/metrics.js';
import { claimAnswer } from './answers.js';
import { type ClaimantDeps, claimant } from './claimant.js';
import type { CampaignRecord } from './repository.js';
import type { ClaimsService } from './service.js';

const ROUTE = '/v1/campaigns/:campaignId/claims';
const CLAIM_PATH = /^\/v1\/campaigns\/([A-Za-z0-9_-]{1,64})\/claims$/;

/** How many claims the shortcut answered itself (for tests and debugging). */
export const claimShortcut = { answered: 0 };

export interface FastClaimDeps extends ClaimantDeps {
  claims: ClaimsService;
  metrics: Metrics;
  log: FastifyBaseLogger;
}

/**
 * Answers a plain `POST /v1/campaigns/:campaignId/claims` (`{"userId": "..."}`) straight from the
 * node:http request, before Fastify's routing, hooks, body parser, validator and serialiser.
 *
 * Why this shortcut exists: a claim is the request a first-come surge is made of, and the
 * framework's per-request work was a large share of the CPU a claim costs in this process
 * (docs/BENCHMARKS.md). It decides exactly as the route does, with the same pieces (claimant.ts,
 * the service, answers.ts).
 *
 * Unlike entering, claiming is not idempotent (perUserLimit > 1), so a request goes back to the
 * Fastify route only before anything is decided: a body that is not plain, an unknown campaign,
 * a refused claimant, or an error reading the campaign. Once the claim script may have run, this
 * shortcut answers whatever happens, the way the route's error handler would.
 * test/claims/fast-claim.test.ts checks that both answer alike.
 */
export function answerClaimDirectly(deps: FastClaimDeps, fallback: RouteFallback, req: IncomingMessage, res: ServerResponse): boolean {
  if (!isSmallJsonPost(req) || !req.url) return false;
  const match = CLAIM_PATH.exec(req.url);
  if (!match) return false;
  const started = performance.now();
  readBody(req, res, async (text) => {
    const bodyUserId = plainUserId(text);
    if (bodyUserId === null) return fallback(req, res, text);
    let campaign: CampaignRecord | null;
    let userId: string;
    try {
      campaign = await deps.claims.campaigns.get(match[1]!);
      if (!campaign) return fallback(req, res, text);
      userId = await claimant(deps, req.headers, campaign, bodyUserId);
    } catch {
      // Nothing is decided yet: the route answers, the same way (its 401, 403 or 503).
      return fallback(req, res, text);
    }
    let answer: JsonAnswer;
    try {
      answer = claimAnswer(await deps.claims.claim(campaign, userId));
    } catch (err) {
      answer = unexpectedErrorAnswer(err, deps.metrics, deps.log);
    }
    sendJson(res, answer.status, answer.body, answer.headers);
    claimShortcut.answered++;
    deps.metrics.httpDuration.observe({ route: ROUTE, method: 'POST', status_code: answer.status }, (performance.now() - started) / 1000);
  });
  return true;
}
