// JSON schemas of the waiting room's API: validation of what comes in, fast serialisation of what
// goes out, and the OpenAPI document. Error answers are described by the app (http/app.ts).
import { clientRateSchema, idSchema as id, urlSchema, userIdSchema } from '../input-rules.js';

const ticketIdSchema = { type: 'string', minLength: 1, maxLength: 64 } as const;

export const roomParams = {
  type: 'object',
  properties: { roomId: id },
  required: ['roomId'],
  additionalProperties: false,
} as const;

export const ticketParams = {
  type: 'object',
  properties: { roomId: id, ticketId: ticketIdSchema },
  required: ['roomId', 'ticketId'],
  additionalProperties: false,
} as const;

export const createRoomBody = {
  type: 'object',
  properties: {
    id,
    admitPerSecond: { type: 'number', exclusiveMinimum: 0, maximum: 100_000 },
    maxActive: { type: 'integer', minimum: 1, maximum: 10_000_000 },
    sessionSeconds: { type: 'integer', minimum: 1, maximum: 86_400 },
    maxExtensions: { type: 'integer', minimum: 0, maximum: 100 },
    arrivalSeconds: { type: 'integer', minimum: 1, maximum: 3_600 },
    opensAt: { type: 'string', format: 'date-time' },
    prequeue: { type: 'string', enum: ['fifo', 'shuffle'] },
    abandonAfterSeconds: { type: 'integer', minimum: 3, maximum: 86_400 },
    targetUrl: urlSchema,
    clientRate: clientRateSchema,
  },
  required: ['id', 'admitPerSecond', 'maxActive', 'sessionSeconds'],
  additionalProperties: false,
} as const;

export const updateRoomBody = {
  type: 'object',
  properties: {
    admitPerSecond: createRoomBody.properties.admitPerSecond,
    maxActive: createRoomBody.properties.maxActive,
    paused: { type: 'boolean' },
    targetUrl: { anyOf: [urlSchema, { type: 'null' }] },
    clientRate: clientRateSchema,
  },
  additionalProperties: false,
  minProperties: 1,
} as const;

/**
 * An entry names its user only with a backend's credential (`userId`, with X-Api-Key) or a site's
 * signed `identityToken`; an empty body (or none) enters an anonymous visitor (identity.ts).
 */
export const enterBody = {
  type: 'object',
  properties: { userId: userIdSchema, identityToken: { type: 'string', minLength: 1, maxLength: 4096, pattern: '^[A-Za-z0-9_.-]+$' } },
  not: { required: ['userId', 'identityToken'] },
  additionalProperties: false,
} as const;

export const verifyBody = {
  type: 'object',
  properties: { token: { type: 'string', minLength: 1, maxLength: 4096 } },
  required: ['token'],
  additionalProperties: false,
} as const;

const nullableInteger = { type: ['integer', 'null'] } as const;

export const ticketResponse = {
  type: 'object',
  properties: {
    ticketId: { type: 'string' },
    state: { type: 'string', enum: ['waiting', 'admitted', 'expired', 'left', 'completed'] },
    position: nullableInteger,
    etaSeconds: nullableInteger,
    pollAfterMs: { type: 'integer' },
    opensAt: { type: 'string' },
    waitingFor: { type: 'string', enum: ['opening', 'paused', 'full'] },
    accessToken: { type: 'string' },
    expiresAt: { type: 'string' },
    targetUrl: { type: 'string' },
  },
  required: ['ticketId', 'state', 'position', 'etaSeconds', 'pollAfterMs'],
} as const;

const roomConfigProperties = {
  id: { type: 'string' },
  admitPerSecond: { type: 'number' },
  maxActive: { type: 'integer' },
  sessionSeconds: { type: 'integer' },
  maxExtensions: { type: 'integer' },
  arrivalSeconds: { type: 'integer' },
  abandonAfterSeconds: nullableInteger,
  opensAt: { type: ['string', 'null'] },
  prequeue: { type: 'string' },
  targetUrl: { type: ['string', 'null'] },
  paused: { type: 'boolean' },
  clientRate: { type: ['object', 'null'], properties: { perSecond: { type: 'integer' }, burst: { type: 'integer' } } },
  identitySecret: { type: 'string' },
  archivedAt: { type: ['string', 'null'] },
  createdAt: { type: 'string' },
} as const;

export const roomResponse = {
  type: 'object',
  properties: {
    ...roomConfigProperties,
    stats: {
      type: 'object',
      properties: {
        waiting: { type: 'integer' },
        active: { type: 'integer' },
        admittedTotal: { type: 'integer' },
        observedAdmitPerSecond: { type: ['number', 'null'] },
        oldestWaitSeconds: { type: ['number', 'null'] },
        opened: { type: 'boolean' },
      },
    },
    shuffle: {
      type: ['object', 'null'],
      properties: {
        algorithm: { type: 'string' },
        seedCommitment: { type: 'string' },
        seed: { type: 'string' },
        prequeueSize: { type: 'integer' },
      },
    },
  },
} as const;

export const sessionResponse = {
  type: 'object',
  properties: { accessToken: { type: 'string' }, expiresAt: { type: 'string' }, extensions: { type: 'integer' } },
} as const;
