// JSON schemas of the course registration API: validation in, serialisation out, and the OpenAPI document.
import { idSchema as id, textSchema, urlSchema, userIdSchema } from '../input-rules.js';
import { DAYS } from './domain/types.js';
import { REQUEST_ID_SEGMENT } from './request-ids.js';

const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;
const dateTime = { type: 'string', format: 'date-time', maxLength: 64 } as const;
const group = textSchema(64, 1);
/** Ids of courses a course requires: any course id, often of earlier terms. */
const courseIds = (maxItems: number) => ({ type: 'array', items: id, maxItems, uniqueItems: true }) as const;

/** Most courses or students in one bulk call. */
export const MAX_BULK = 5_000;
/** A bulk of 5,000 courses with a few meetings each is ~1.5 MB of JSON. */
export const BULK_BODY_LIMIT = 4 * 1024 * 1024;
/** Most actions in one request. */
export const MAX_ACTIONS = 20;

export const termParams = {
  type: 'object',
  properties: { termId: id },
  required: ['termId'],
  additionalProperties: false,
} as const;

export const courseParams = {
  type: 'object',
  properties: { termId: id, courseId: id },
  required: ['termId', 'courseId'],
  additionalProperties: false,
} as const;

export const studentParams = {
  type: 'object',
  properties: { termId: id, studentId: userIdSchema },
  required: ['termId', 'studentId'],
  additionalProperties: false,
} as const;

export const requestParams = {
  type: 'object',
  properties: { termId: id, requestId: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['termId', 'requestId'],
  additionalProperties: false,
} as const;

export const createTermBody = {
  type: 'object',
  properties: {
    id,
    name: textSchema(200, 1),
    minCredits: { type: 'integer', minimum: 0, maximum: 1000 },
    maxCredits: { type: 'integer', minimum: 1, maximum: 1000 },
    roomId: id,
    windows: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        properties: { group, opensAt: dateTime },
        required: ['group', 'opensAt'],
        additionalProperties: false,
      },
    },
    closesAt: dateTime,
    webhookUrl: urlSchema,
  },
  required: ['id', 'name', 'maxCredits'],
  additionalProperties: false,
} as const;

const meeting = {
  type: 'object',
  properties: { day: { type: 'string', enum: DAYS }, start: hhmm, end: hhmm },
  required: ['day', 'start', 'end'],
  additionalProperties: false,
} as const;

export const addCoursesBody = {
  type: 'object',
  properties: {
    courses: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BULK,
      items: {
        type: 'object',
        properties: {
          id,
          title: textSchema(200, 1),
          credits: { type: 'integer', minimum: 0, maximum: 100 },
          capacity: { type: 'integer', minimum: 0, maximum: 100_000 },
          waitlist: { type: 'integer', minimum: 0, maximum: 100_000 },
          meetings: { type: 'array', items: meeting, maxItems: 14 },
          requires: courseIds(20),
          linked: courseIds(10),
        },
        required: ['id', 'title', 'credits', 'capacity', 'meetings'],
        additionalProperties: false,
      },
    },
  },
  required: ['courses'],
  additionalProperties: false,
} as const;

export const addStudentsBody = {
  type: 'object',
  properties: {
    students: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_BULK,
      items: {
        type: 'object',
        properties: {
          id: userIdSchema,
          group,
          completed: courseIds(200),
          holds: { type: 'array', items: textSchema(200, 1), maxItems: 20, uniqueItems: true },
        },
        required: ['id', 'group'],
        additionalProperties: false,
      },
    },
  },
  required: ['students'],
  additionalProperties: false,
} as const;

export const changeCourseBody = {
  type: 'object',
  properties: {
    capacity: { type: 'integer', minimum: 0, maximum: 100_000 },
    waitlist: { type: 'integer', minimum: 0, maximum: 100_000 },
  },
  minProperties: 1,
  additionalProperties: false,
} as const;

const action = {
  oneOf: [
    { type: 'object', properties: { add: id }, required: ['add'], additionalProperties: false },
    { type: 'object', properties: { drop: id }, required: ['drop'], additionalProperties: false },
    {
      type: 'object',
      properties: {
        swap: { type: 'object', properties: { drop: id, add: id }, required: ['drop', 'add'], additionalProperties: false },
      },
      required: ['swap'],
      additionalProperties: false,
    },
  ],
} as const;

export const submitBody = {
  type: 'object',
  properties: {
    studentId: userIdSchema,
    actions: { type: 'array', items: action, minItems: 1, maxItems: MAX_ACTIONS },
    allOrNothing: { type: 'boolean' },
  },
  required: ['actions'],
  additionalProperties: false,
} as const;

export const statusResponse = {
  type: 'object',
  properties: {
    requestId: { type: 'string', pattern: `^${REQUEST_ID_SEGMENT}$` },
    status: { type: 'string', enum: ['queued', 'decided'] },
    position: { type: 'integer' },
    pollAfterMs: { type: 'integer' },
    // each action's result (REASONS lists the reasons); an operator's change has its own shape
    results: { type: 'array', items: { type: 'object', additionalProperties: true } },
    decidedAt: { type: ['string', 'null'] },
  },
} as const;

export const termResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    minCredits: { type: 'integer' },
    maxCredits: { type: 'integer' },
    roomId: { type: ['string', 'null'] },
    windows: {
      type: 'array',
      items: { type: 'object', properties: { group: { type: 'string' }, opensAt: { type: 'string' } } },
    },
    closesAt: { type: ['string', 'null'] },
    webhookUrl: { type: ['string', 'null'] },
    createdAt: { type: 'string' },
    accepted: { type: 'integer' },
    decided: { type: 'integer' },
    decider: {
      type: ['object', 'null'],
      properties: { id: { type: ['string', 'null'] }, fence: { type: 'integer' } },
    },
  },
} as const;

const meetingOut = { type: 'object', properties: { day: { type: 'string' }, start: { type: 'string' }, end: { type: 'string' } } } as const;

export const courseResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    credits: { type: 'integer' },
    capacity: { type: 'integer' },
    waitlist: { type: 'integer' },
    meetings: { type: 'array', items: meetingOut },
    requires: { type: 'array', items: { type: 'string' } },
    linked: { type: 'array', items: { type: 'string' } },
    enrolled: { type: 'integer' },
    waitlisted: { type: 'integer' },
  },
} as const;

export const scheduleResponse = {
  type: 'object',
  properties: {
    studentId: { type: 'string' },
    group: { type: 'string' },
    holds: { type: 'array', items: { type: 'string' } },
    credits: { type: 'integer' },
    maxCredits: { type: 'integer' },
    enrolled: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          courseId: { type: 'string' },
          title: { type: 'string' },
          credits: { type: 'integer' },
          meetings: { type: 'array', items: meetingOut },
          promoted: { type: 'boolean' },
        },
      },
    },
    waitlists: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          courseId: { type: 'string' },
          title: { type: 'string' },
          position: { type: 'integer' },
          skippedBecause: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;
