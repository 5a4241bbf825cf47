import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminAuth, bearer } from '../http/admin-auth.js';
import { AppError, errorBody, errorResponses } from '../http/errors.js';
import type { ApiKeys } from '../partners/api-keys.js';
import type { WaitingRoomService } from '../waiting-room/service.js';
import { claimAnswer } from './answers.js';
import { claimant, requirePartner } from './claimant.js';
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

interface Deps {
  claims: ClaimsService;
  apiKeys: ApiKeys;
  waitingRoom: WaitingRoomService;
  adminToken: string | undefined;
}

function campaignBody(record: CampaignRecord, stats: object) {
  return {
    ...record,
    opensAt: record.opensAt?.toISOString() ?? null,
    closesAt: record.closesAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
    ...stats,
  };
}

export function claimRoutes(app: FastifyInstance, { claims, apiKeys, waitingRoom, adminToken }: Deps): void {
  const admin = adminAuth(adminToken);
  const tags = ['claims'];

  const partner = (request: FastifyRequest) => requirePartner({ apiKeys, waitingRoom }, request.headers);

  async function campaignOr404(campaignId: string): Promise<CampaignRecord> {
    const campaign = await claims.campaigns.get(campaignId);
    if (!campaign) throw new AppError('campaign_not_found');
    return campaign;
  }

  app.post<{ Body: NewCampaignInput }>(
    '/v1/campaigns',
    { onRequest: admin, schema: { tags, body: createCampaignBody, response: { 201: campaignResponse, ...errorResponses } } },
    async (request, reply) => {
      const record = await claims.createCampaign(request.body);
      const { stats } = await claims.describe(record.id);
      return reply.code(201).send(campaignBody(record, stats));
    },
  );

  app.get(
    '/v1/campaigns',
    {
      onRequest: admin,
      schema: {
        tags,
        response: { 200: { type: 'object', properties: { campaigns: { type: 'array', items: campaignResponse } } }, ...errorResponses },
      },
    },
    async () => {
      const records = await claims.listCampaigns();
      const campaigns = await Promise.all(
        records.map(async (r) => {
          const { record, stats } = await claims.describeRecord(r);
          return campaignBody(record, stats);
        }),
      );
      return { campaigns };
    },
  );

  app.get<{ Params: { campaignId: string } }>(
    '/v1/campaigns/:campaignId',
    { onRequest: admin, schema: { tags, params: campaignParams, response: { 200: campaignResponse, ...errorResponses } } },
    async (request) => {
      const { record, stats } = await claims.describe(request.params.campaignId);
      return campaignBody(record, stats);
    },
  );

  app.post<{ Params: { campaignId: string }; Body: { userId?: string } | undefined }>(
    '/v1/campaigns/:campaignId/claims',
    {
      schema: {
        tags,
        params: campaignParams,
        body: claimBody,
        response: { 201: claimResponse, 202: claimResponse, ...errorResponses },
      },
    },
    async (request, reply: FastifyReply) => {
      const campaign = await campaignOr404(request.params.campaignId);
      const userId = await claimant({ apiKeys, waitingRoom }, request.headers, campaign, request.body?.userId);
      const answer = claimAnswer(await claims.claim(campaign, userId));
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    },
  );

  app.get<{ Params: { campaignId: string; userId: string } }>(
    '/v1/campaigns/:campaignId/claims/:userId',
    { schema: { tags, params: userClaimParams, response: { 200: userClaimsResponse, ...errorResponses } } },
    async (request) => {
      const campaign = await campaignOr404(request.params.campaignId);
      const token = bearer(request);
      const viaToken = campaign.roomId && token ? await waitingRoom.verify(token, campaign.roomId) : null;
      if (!viaToken || viaToken.userId !== request.params.userId) await partner(request);
      const list = await claims.claimsOf(campaign.id, request.params.userId);
      if (list.length === 0) throw new AppError('claim_not_found', 'This user holds no claim in this campaign');
      const latest = list.at(-1)!;
      const view = (c: (typeof list)[number]) => ({
        ...c,
        claimedAt: c.claimedAt?.toISOString() ?? null,
        redeemedAt: c.redeemedAt?.toISOString() ?? null,
      });
      return { ...view(latest), claims: list.map(view) };
    },
  );

  app.post<{ Params: { campaignId: string; claimId: string } }>(
    '/v1/campaigns/:campaignId/claims/:claimId/redeem',
    { onRequest: partner, schema: { tags, params: redeemParams, response: { 200: userClaimsResponse, ...errorResponses } } },
    async (request, reply) => {
      const { outcome, claim } = await claims.redeem(request.params.campaignId, request.params.claimId);
      const body = { ...claim, claimedAt: claim.claimedAt.toISOString(), redeemedAt: claim.redeemedAt?.toISOString() ?? null };
      if (outcome === 'already_redeemed') {
        return reply.code(409).send(errorBody('already_redeemed', 'This claim was already redeemed', { claim: body }));
      }
      return body;
    },
  );
}
