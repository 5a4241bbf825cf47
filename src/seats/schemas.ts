// JSON schemas of the seats API: validation in, serialisation out, and the OpenAPI document.
import { idSchema as id, textSchema, urlSchema, userIdSchema } from '../input-rules.js';
import { MAX_BEST_COUNT } from './domain/show-state.js';
import { CATEGORY_PATTERN, MAX_SEATS_PER_ROW, PART_PATTERN, SEAT_ID_PATTERN } from './domain/venue-layout.js';

const part = { type: 'string', pattern: PART_PATTERN } as const;
const seatId = { type: 'string', pattern: SEAT_ID_PATTERN, maxLength: 50 } as const;
const category = { type: 'string', pattern: CATEGORY_PATTERN } as const;
/** Hold and booking ids as this service makes them. */
export const HOLD_ID_PATTERN = '^hd_[A-Za-z0-9_-]{16}$';
export const BOOKING_ID_PATTERN = '^bk_[A-Za-z0-9_-]{16}$';
/** Idempotency keys: printable ASCII, as HTTP header values are. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\u0021-\\u007e]{1,255}$';
/** A hold asks for at most this many seats (each show's maxSeatsPerUser is the real limit). */
export const MAX_SEATS_PER_HOLD = 50;

/** A 100,000-seat venue with its labels listed is up to ~1.5 MB of JSON. */
export const VENUE_BODY_LIMIT = 2 * 1024 * 1024;

export const createVenueBody = {
  type: 'object',
  properties: {
    id,
    name: textSchema(200, 1),
    sections: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: {
        type: 'object',
        properties: {
          id: part,
          rows: {
            type: 'array',
            minItems: 1,
            maxItems: 10_000,
            items: {
              type: 'object',
              properties: {
                id: part,
                seats: {
                  oneOf: [
                    { type: 'integer', minimum: 1, maximum: MAX_SEATS_PER_ROW },
                    { type: 'array', minItems: 1, maxItems: MAX_SEATS_PER_ROW, items: part },
                  ],
                },
                category,
                accessible: { type: 'array', maxItems: MAX_SEATS_PER_ROW, items: part },
              },
              required: ['id', 'seats'],
              additionalProperties: false,
            },
          },
        },
        required: ['id', 'rows'],
        additionalProperties: false,
      },
    },
  },
  required: ['id', 'name', 'sections'],
  additionalProperties: false,
} as const;

export const venueParams = {
  type: 'object',
  properties: { venueId: id },
  required: ['venueId'],
  additionalProperties: false,
} as const;

export const createShowBody = {
  type: 'object',
  properties: {
    id,
    venueId: id,
    startsAt: { type: 'string', format: 'date-time' },
    roomId: id,
    salesOpenAt: { type: 'string', format: 'date-time' },
    salesCloseAt: { type: 'string', format: 'date-time' },
    holdSeconds: { type: 'integer', minimum: 5, maximum: 86_400 },
    maxHoldExtensions: { type: 'integer', minimum: 0, maximum: 100 },
    maxSeatsPerUser: { type: 'integer', minimum: 1, maximum: MAX_SEATS_PER_HOLD },
    webhookUrl: urlSchema,
  },
  required: ['id', 'venueId', 'startsAt'],
  additionalProperties: false,
} as const;

export const showParams = {
  type: 'object',
  properties: { showId: id },
  required: ['showId'],
  additionalProperties: false,
} as const;

export const holdParams = {
  type: 'object',
  properties: { showId: id, holdId: { type: 'string', pattern: HOLD_ID_PATTERN } },
  required: ['showId', 'holdId'],
  additionalProperties: false,
} as const;

export const bookingParams = {
  type: 'object',
  properties: { showId: id, bookingId: { type: 'string', pattern: BOOKING_ID_PATTERN } },
  required: ['showId', 'bookingId'],
  additionalProperties: false,
} as const;

/** Either chosen seats or best available; `userId` when an operator or a partner asks for a user. */
export const holdBody = {
  type: 'object',
  properties: {
    seats: { type: 'array', minItems: 1, maxItems: MAX_SEATS_PER_HOLD, uniqueItems: true, items: seatId },
    best: {
      type: 'object',
      properties: {
        count: { type: 'integer', minimum: 1, maximum: MAX_BEST_COUNT },
        category,
        accessible: { type: 'boolean' },
      },
      required: ['count'],
      additionalProperties: false,
    },
    userId: userIdSchema,
  },
  oneOf: [{ required: ['seats'] }, { required: ['best'] }],
  additionalProperties: false,
} as const;

export const confirmHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN } },
  required: ['idempotency-key'],
} as const;

export const holdResponse = {
  type: 'object',
  properties: {
    holdId: { type: 'string' },
    seats: { type: 'array', items: { type: 'string' } },
    together: { type: 'boolean' },
    expiresAt: { type: 'string' },
  },
} as const;

export const extendResponse = {
  type: 'object',
  properties: { holdId: { type: 'string' }, expiresAt: { type: 'string' }, extensions: { type: 'integer' } },
} as const;

export const bookingResponse = {
  type: 'object',
  properties: {
    bookingId: { type: 'string' },
    showId: { type: 'string' },
    userId: { type: 'string' },
    seats: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['confirmed', 'pending', 'cancelled'] },
    confirmedAt: { type: ['string', 'null'] },
    cancelledAt: { type: ['string', 'null'] },
  },
} as const;

const counts = {
  type: 'object',
  properties: { free: { type: 'integer' }, held: { type: 'integer' }, sold: { type: 'integer' } },
} as const;

export const venueResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    capacity: { type: 'integer' },
    sections: { type: 'array', items: { type: 'object', additionalProperties: true } },
    createdAt: { type: 'string' },
  },
} as const;

export const showResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    venueId: { type: 'string' },
    startsAt: { type: 'string' },
    roomId: { type: ['string', 'null'] },
    salesOpenAt: { type: ['string', 'null'] },
    salesCloseAt: { type: 'string' },
    holdSeconds: { type: 'integer' },
    maxHoldExtensions: { type: 'integer' },
    maxSeatsPerUser: { type: 'integer' },
    webhookUrl: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    capacity: { type: 'integer' },
    free: { type: ['integer', 'null'] },
    held: { type: ['integer', 'null'] },
    sold: { type: ['integer', 'null'] },
    categories: { type: ['object', 'null'], additionalProperties: counts },
  },
} as const;
