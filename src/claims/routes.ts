import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { clientOf } from '../capability.js';
import { DomainError } from '../errors.js';
import { archivedQuery } from '../input-rules.js';
import { type AdminAuth, bearerToken } from '../tokens/admin-token.js';
import { claimAnswer } from './answers.js';
import { type ClaimantDeps, claimant } from './claimant.js';
import type { NewCampaignInput } from './domain/campaign-config.js';
import type { CampaignRecord } from './repository.js';
import {
  campaignParams,
  campaignResponse,
  claimBody,
  claimResponse,
  createCampaignBody,
  redeemParams,
  userClaimParams,
  userClaimsResponse,
} from './schemas.js';
import type { ClaimsService } from './service.js';

export interface ClaimRouteDeps extends ClaimantDeps {
  claims: ClaimsService;
  admin: AdminAuth;
}

function campaignBody(record: CampaignRecord, stats: object) {
  return {
    ...record,
    opensAt: record.opensAt?.toISOString() ?? null,
    closesAt: record.closesAt?.toISOString() ?? null,
    archivedAt: record.archivedAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    ...stats,
  };
}

export function claimRoutes(app: FastifyInstance, { claims, partners, access, limits, admin }: ClaimRouteDeps): void {
  const tags = ['claims'];

  /** Operators (admin token) and partners' backends (X-Api-Key) may read and redeem any claim. */
  const operatorOrPartner = async (headers: IncomingHttpHeaders) => {
    if (!admin.isAdmin(headers)) await partners.require(headers);
  };

  async function campaignOr404(campaignId: string): Promise<CampaignRecord> {
    const campaign = await claims.campaigns.get(campaignId);
    if (!campaign) throw new DomainError('campaign_not_found');
    return campaign;
  }

  app.post<{ Body: NewCampaignInput }>(
    '/v1/campaigns',
    { onRequest: admin.guard, schema: { tags, body: createCampaignBody, response: { 201: campaignResponse } } },
    async (request, reply) => {
      const record = await claims.createCampaign(request.body);
      const { stats } = await claims.describe(record.id);
      return reply.code(201).send(campaignBody(record, stats));
    },
  );

  app.get<{ Querystring: { archived?: 'true' | 'false' } }>(
    '/v1/campaigns',
    {
      onRequest: admin.guard,
      schema: {
        tags,
        querystring: archivedQuery,
        response: { 200: { type: 'object', properties: { campaigns: { type: 'array', items: campaignResponse } } } },
      },
    },
    async (request) => {
      const records = await claims.listCampaigns({ archived: request.query.archived === 'true' });
      const campaigns = await Promise.all(
        records.map(async (r) => {
          const { record, stats } = await claims.describeRecord(r);
          return campaignBody(record, stats);
        }),
      );
      return { campaigns };
    },
  );

  app.post<{ Params: { campaignId: string } }>(
    '/v1/campaigns/:campaignId/archive',
    { onRequest: admin.guard, schema: { tags, params: campaignParams, response: { 200: campaignResponse } } },
    async (request) => {
      const record = await claims.archiveCampaign(request.params.campaignId);
      const { stats } = await claims.describeRecord(record);
      return campaignBody(record, stats);
    },
  );

  app.delete<{ Params: { campaignId: string } }>(
    '/v1/campaigns/:campaignId',
    { onRequest: admin.guard, schema: { tags, params: campaignParams } },
    async (request, reply) => {
      await claims.deleteCampaign(request.params.campaignId);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { campaignId: string } }>(
    '/v1/campaigns/:campaignId',
    { onRequest: admin.guard, schema: { tags, params: campaignParams, response: { 200: campaignResponse } } },
    async (request) => {
      const { record, stats } = await claims.describe(request.params.campaignId);
      return campaignBody(record, stats);
    },
  );

  app.post<{ Params: { campaignId: string }; Body: { userId?: string } | undefined }>(
    '/v1/campaigns/:campaignId/claims',
    { schema: { tags, params: campaignParams, body: claimBody, response: { 201: claimResponse, 202: claimResponse } } },
    async (request, reply) => {
      const campaign = await campaignOr404(request.params.campaignId);
      const userId = await claimant({ partners, access, limits }, request.headers, clientOf(request), campaign, request.body?.userId);
      const answer = claimAnswer(await claims.claim(campaign, userId));
      return reply
        .code(answer.status)
        .headers(answer.headers ?? {})
        .send(answer.body);
    },
  );

  app.get<{ Params: { campaignId: string; userId: string } }>(
    '/v1/campaigns/:campaignId/claims/:userId',
    { schema: { tags, params: userClaimParams, response: { 200: userClaimsResponse } } },
    async (request) => {
      const campaign = await campaignOr404(request.params.campaignId);
      // A browser may read its own claims with its access token; operators and partners anyone's.
      const token = bearerToken(request.headers.authorization);
      const viaToken = campaign.roomId && token ? await access.verify(token, campaign.roomId) : null;
      if (!viaToken || viaToken.userId !== request.params.userId) await operatorOrPartner(request.headers);
      const list = await claims.claimsOf(campaign.id, request.params.userId);
      if (list.length === 0) throw new DomainError('claim_not_found');
      const view = (c: (typeof list)[number]) => ({
        ...c,
        claimedAt: c.claimedAt?.toISOString() ?? null,
        redeemedAt: c.redeemedAt?.toISOString() ?? null,
      });
      return { ...view(list.at(-1)!), claims: list.map(view) };
    },
  );

  app.post<{ Params: { campaignId: string; claimId: string } }>(
    '/v1/campaigns/:campaignId/claims/:claimId/redeem',
    {
      onRequest: (request) => operatorOrPartner(request.headers),
      schema: { tags, params: redeemParams, response: { 200: userClaimsResponse } },
    },
    async (request) => {
      const { outcome, claim } = await claims.redeem(request.params.campaignId, request.params.claimId);
      const body = { ...claim, claimedAt: claim.claimedAt.toISOString(), redeemedAt: claim.redeemedAt?.toISOString() ?? null };
      if (outcome === 'already_redeemed') throw new DomainError('already_redeemed', { claim: body });
      return body;
    },
  );
}
