import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../src/context.js';
import { auditFailures, auditTerm } from '../../src/courses/audit.js';
import { admin, eventually, uniqueId } from '../helpers.js';

export type ActionSpec = { add: string } | { drop: string } | { swap: { drop: string; add: string } };

/** A course as the bulk route takes it, with defaults: 3 credits, 10 seats, no waitlist, no meetings. */
export function course(id: string, extra: Record<string, unknown> = {}) {
  return { id, title: `Course ${id}`, credits: 3, capacity: 10, meetings: [], ...extra };
}

export async function createTerm(app: FastifyInstance, body: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/terms',
    headers: admin,
    payload: { id: uniqueId('term'), name: 'Spring', maxCredits: 18, ...body },
  });
  if (res.statusCode !== 201) throw new Error(`term creation failed: ${res.statusCode} ${res.body}`);
  return res.json() as { id: string } & Record<string, unknown>;
}

export async function addCourses(app: FastifyInstance, termId: string, courses: object[]) {
  const res = await app.inject({ method: 'POST', url: `/v1/terms/${termId}/courses`, headers: admin, payload: { courses } });
  if (res.statusCode !== 201) throw new Error(`adding courses failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function addStudents(app: FastifyInstance, termId: string, students: object[]) {
  const res = await app.inject({ method: 'POST', url: `/v1/terms/${termId}/students`, headers: admin, payload: { students } });
  if (res.statusCode !== 201) throw new Error(`adding students failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function createPartner(app: FastifyInstance): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/partners', headers: admin, payload: { name: 'registrar' } });
  if (res.statusCode !== 201) throw new Error(`partner creation failed: ${res.statusCode} ${res.body}`);
  return res.json().apiKey;
}

/** A term with courses, students and a partner key, ready for requests. */
export async function setUpTerm(
  app: FastifyInstance,
  options: { term?: Record<string, unknown>; courses: object[]; students: Array<string | Record<string, unknown>> },
) {
  const term = await createTerm(app, options.term);
  await addCourses(app, term.id, options.courses);
  await addStudents(
    app,
    term.id,
    options.students.map((s) => (typeof s === 'string' ? { id: s, group: 'all' } : { group: 'all', ...s })),
  );
  const apiKey = await createPartner(app);
  return { termId: term.id, apiKey };
}

export async function submit(
  app: FastifyInstance,
  termId: string,
  apiKey: string,
  studentId: string,
  actions: ActionSpec[],
  allOrNothing?: boolean,
) {
  const res = await app.inject({
    method: 'POST',
    url: `/v1/terms/${termId}/requests`,
    headers: { 'x-api-key': apiKey },
    payload: { studentId, actions, ...(allOrNothing !== undefined ? { allOrNothing } : {}) },
  });
  return { status: res.statusCode, body: res.json() };
}

export async function statusOf(app: FastifyInstance, termId: string, apiKey: string, requestId: string) {
  const res = await app.inject({ url: `/v1/terms/${termId}/requests/${requestId}`, headers: { 'x-api-key': apiKey } });
  return { status: res.statusCode, body: res.json() };
}

/** Polls a request until it is decided; its results. */
export async function decided(app: FastifyInstance, termId: string, apiKey: string, requestId: string, timeoutMs = 10_000) {
  return eventually(
    async () => {
      const { status, body } = await statusOf(app, termId, apiKey, requestId);
      assert.equal(status, 200, JSON.stringify(body));
      return body.status === 'decided' ? (body.results as Array<Record<string, unknown>>) : undefined;
    },
    timeoutMs,
    20,
  );
}

/** Submits and waits: the results of each action. */
export async function register(
  app: FastifyInstance,
  termId: string,
  apiKey: string,
  studentId: string,
  actions: ActionSpec[],
  allOrNothing?: boolean,
) {
  const { status, body } = await submit(app, termId, apiKey, studentId, actions, allOrNothing);
  assert.equal(status, 202, JSON.stringify(body));
  return decided(app, termId, apiKey, body.requestId);
}

/** "outcome" or "outcome:reason" per result: short assertions. */
export const outcomes = (results: Array<Record<string, unknown>>) =>
  results.map((r) => (r.reason ? `${r.outcome}:${r.reason}` : `${r.outcome}`));

export async function scheduleOf(app: FastifyInstance, termId: string, apiKey: string, studentId: string) {
  const res = await app.inject({ url: `/v1/terms/${termId}/students/${encodeURIComponent(studentId)}`, headers: { 'x-api-key': apiKey } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

export async function coursesOf(app: FastifyInstance, termId: string): Promise<Map<string, Record<string, any>>> {
  const res = await app.inject({ url: `/v1/terms/${termId}/courses` });
  assert.equal(res.statusCode, 200, res.body);
  return new Map(res.json().courses.map((c: Record<string, any>) => [c.id, c]));
}

/** The term's record replayed through the rules: every decision and the final state must match, every invariant hold. */
export async function assertAudited(ctx: Context, termId: string) {
  const audit = await auditTerm(ctx.infra.pool, termId);
  assert.deepEqual(auditFailures(audit), [], `audit of ${termId}`);
  return audit;
}
