// JSON schemas of the wallet API: validation in, serialisation out, and the OpenAPI document.
import { idSchema, textSchema, userIdSchema } from '../input-rules.js';
import { MAX_POINTS } from './domain/ledger.js';

/** Ids of transactions and holds, as the API writes them. */
const recordId = { type: 'string', pattern: '^[1-9][0-9]{0,15}$' } as const;
const points = { type: 'integer', minimum: 1, maximum: MAX_POINTS } as const;
const reason = textSchema(200, 1);

/** Every write names its Idempotency-Key: printable ASCII, up to 255 characters. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\u0021-\\u007e]{1,255}$';
export const writeHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN } },
  required: ['idempotency-key'],
} as const;

export const walletParams = {
  type: 'object',
  properties: { userId: userIdSchema },
  required: ['userId'],
  additionalProperties: false,
} as const;

export const holdParams = {
  type: 'object',
  properties: { holdId: recordId },
  required: ['holdId'],
  additionalProperties: false,
} as const;

export const transactionParams = {
  type: 'object',
  properties: { transactionId: recordId },
  required: ['transactionId'],
  additionalProperties: false,
} as const;

/** Days an earn's points last at most (also the furthest `expiresAt`). */
export const MAX_LIFETIME_DAYS = 3650;
/** Seconds a hold may last at most. */
export const MAX_HOLD_SECONDS = 7 * 24 * 3600;

export const earnBody = {
  type: 'object',
  properties: {
    points,
    expiresAt: { type: 'string', format: 'date-time', maxLength: 40 },
    expiresInDays: { type: 'integer', minimum: 1, maximum: MAX_LIFETIME_DAYS },
    reason,
  },
  required: ['points', 'reason'],
  not: { required: ['expiresAt', 'expiresInDays'] },
  additionalProperties: false,
} as const;

export const spendBody = {
  type: 'object',
  properties: { points, reason },
  required: ['points', 'reason'],
  additionalProperties: false,
} as const;

export const transferBody = {
  type: 'object',
  properties: { from: userIdSchema, to: userIdSchema, points, reason },
  required: ['from', 'to', 'points', 'reason'],
  additionalProperties: false,
} as const;

export const holdBody = {
  type: 'object',
  properties: { points, expiresInSeconds: { type: 'integer', minimum: 1, maximum: MAX_HOLD_SECONDS }, reason },
  required: ['points', 'expiresInSeconds'],
  additionalProperties: false,
} as const;

export const captureBody = {
  type: 'object',
  properties: { points },
  additionalProperties: false,
} as const;

export const voidBody = { type: 'object', properties: {}, additionalProperties: false } as const;

export const reverseBody = {
  type: 'object',
  properties: { points, reason },
  additionalProperties: false,
} as const;

/** Reads: a partner reads its own wallets; the admin names the partner. */
export const readQuery = {
  type: 'object',
  properties: { partnerId: idSchema },
  additionalProperties: false,
} as const;

export const historyQuery = {
  type: 'object',
  properties: {
    partnerId: idSchema,
    cursor: recordId,
    limit: { type: 'string', pattern: '^(100|[1-9][0-9]?)$' },
  },
  additionalProperties: false,
} as const;

// ── answers ─────────────────────────────────────────────────────────────────────────────────────

const lotPieces = {
  type: 'array',
  items: {
    type: 'object',
    properties: { lotId: { type: 'string' }, points: { type: 'integer' }, expiresAt: { type: ['string', 'null'] } },
  },
} as const;

const balanceOf = { type: 'object', properties: { userId: { type: 'string' }, balance: { type: 'integer' } } } as const;

export const earnResponse = {
  type: 'object',
  properties: {
    transactionId: { type: 'string' },
    userId: { type: 'string' },
    points: { type: 'integer' },
    balance: { type: 'integer' },
    lotId: { type: 'string' },
    expiresAt: { type: ['string', 'null'] },
  },
} as const;

export const spendResponse = {
  type: 'object',
  properties: {
    transactionId: { type: 'string' },
    userId: { type: 'string' },
    points: { type: 'integer' },
    balance: { type: 'integer' },
    lots: lotPieces,
  },
} as const;

export const transferResponse = {
  type: 'object',
  properties: { transactionId: { type: 'string' }, points: { type: 'integer' }, from: balanceOf, to: balanceOf },
} as const;

export const holdResponse = {
  type: 'object',
  properties: {
    holdId: { type: 'string' },
    userId: { type: 'string' },
    points: { type: 'integer' },
    expiresAt: { type: 'string' },
    balance: { type: 'integer' },
  },
} as const;

export const settleResponse = {
  type: 'object',
  properties: {
    transactionId: { type: 'string' },
    holdId: { type: 'string' },
    userId: { type: 'string' },
    captured: { type: 'integer' },
    released: { type: 'integer' },
    balance: { type: 'integer' },
  },
} as const;

export const reverseResponse = {
  type: 'object',
  properties: {
    transactionId: { type: 'string' },
    reverses: { type: 'string' },
    kind: { type: 'string' },
    userId: { type: 'string' },
    reversed: { type: 'integer' },
    requested: { type: 'integer' },
    balance: { type: 'integer' },
    lots: lotPieces,
  },
} as const;

export const walletResponse = {
  type: 'object',
  properties: {
    userId: { type: 'string' },
    balance: { type: 'integer' },
    held: { type: 'integer' },
    expiring: {
      type: 'array',
      items: { type: 'object', properties: { points: { type: 'integer' }, expiresAt: { type: 'string' } } },
    },
    lots: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          lotId: { type: 'string' },
          kind: { type: 'string' },
          remaining: { type: 'integer' },
          expiresAt: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

export const historyResponse = {
  type: 'object',
  properties: {
    userId: { type: 'string' },
    transactions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          transactionId: { type: 'string' },
          kind: { type: 'string' },
          points: { type: 'integer' },
          amount: { type: 'integer' },
          reason: { type: ['string', 'null'] },
          createdAt: { type: 'string' },
          counterparty: { type: 'string' },
          reverses: { type: 'string' },
          holdId: { type: 'string' },
          hold: {
            type: 'object',
            properties: { status: { type: 'string' }, captured: { type: 'integer' }, expiresAt: { type: 'string' } },
          },
        },
      },
    },
    nextCursor: { type: ['string', 'null'] },
  },
} as const;
