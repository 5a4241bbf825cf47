// JSON schemas of the claims API: validation in, serialisation out, and the OpenAPI document.
import { clientRateSchema, idSchema as id, textSchema, urlSchema, userIdSchema } from '../input-rules.js';

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;

export const campaignParams = {
  type: 'object',
  properties: { campaignId: id },
  required: ['campaignId'],
  additionalProperties: false,
} as const;

export const userClaimParams = {
  type: 'object',
  properties: { campaignId: id, userId: userIdSchema },
  required: ['campaignId', 'userId'],
  additionalProperties: false,
} as const;

export const redeemParams = {
  type: 'object',
  properties: { campaignId: id, claimId: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['campaignId', 'claimId'],
  additionalProperties: false,
} as const;

export const createCampaignBody = {
  type: 'object',
  properties: {
    id,
    stock: { type: 'integer', minimum: 0, maximum: 100_000_000 },
    perUserLimit: { type: 'integer', minimum: 1, maximum: 1000 },
    opensAt: { type: 'string', format: 'date-time' },
    closesAt: { type: 'string', format: 'date-time' },
    daily: {
      type: 'object',
      properties: {
        opensAt: hhmm,
        closesAt: hhmm,
        timeZone: textSchema(64, 1),
        quota: { type: 'integer', minimum: 1, maximum: 100_000_000 },
      },
      required: ['opensAt', 'timeZone', 'quota'],
      additionalProperties: false,
    },
    roomId: id,
    webhookUrl: urlSchema,
    clientRate: clientRateSchema,
  },
  required: ['id', 'stock'],
  additionalProperties: false,
} as const;

export const claimBody = {
  type: 'object',
  properties: { userId: userIdSchema },
  additionalProperties: false,
} as const;

export const claimResponse = {
  type: 'object',
  properties: {
    claimId: { type: 'string' },
    campaignId: { type: 'string' },
    userId: { type: 'string' },
    seq: { type: 'integer' },
    status: { type: 'string', enum: ['confirmed', 'pending'] },
  },
} as const;

const storedClaim = {
  type: 'object',
  properties: {
    ...claimResponse.properties,
    claimedAt: { type: ['string', 'null'], format: 'date-time' },
    redeemedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

export const userClaimsResponse = {
  type: 'object',
  properties: { ...storedClaim.properties, claims: { type: 'array', items: storedClaim } },
} as const;

export const campaignResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    stock: { type: 'integer' },
    perUserLimit: { type: 'integer' },
    opensAt: { type: ['string', 'null'] },
    closesAt: { type: ['string', 'null'] },
    daily: {
      type: ['object', 'null'],
      properties: {
        opensAt: { type: 'string' },
        closesAt: { type: ['string', 'null'] },
        timeZone: { type: 'string' },
        quota: { type: 'integer' },
      },
    },
    roomId: { type: ['string', 'null'] },
    webhookUrl: { type: ['string', 'null'] },
    clientRate: { type: ['object', 'null'], properties: { perSecond: { type: 'integer' }, burst: { type: 'integer' } } },
    archivedAt: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    claimed: { type: 'integer' },
    remaining: { type: 'integer' },
    persisted: { type: 'integer' },
    pending: { type: 'integer' },
    today: {
      type: 'object',
      properties: { day: { type: 'string' }, quota: { type: 'integer' }, claimed: { type: 'integer' } },
    },
  },
} as const;
