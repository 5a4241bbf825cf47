import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';
import type { AdminAuth } from '../tokens/admin-token.js';
import { courseBody, meetingsOut, queuedAnswer, statusAnswer, termBody } from './answers.js';
import type { CourseInput, NewTermInput, StudentInput } from './domain/definitions.js';
import { type IdentityDeps, requestingStudent, viewer } from './identity.js';
import {
  addCoursesBody,
  addStudentsBody,
  BULK_BODY_LIMIT,
  changeCourseBody,
  courseParams,
  courseResponse,
  createTermBody,
  requestParams,
  scheduleResponse,
  statusResponse,
  studentParams,
  submitBody,
  termParams,
  termResponse,
} from './schemas.js';
import type { CoursesService, RequestInput } from './service.js';

export interface CourseRouteDeps extends IdentityDeps {
  courses: CoursesService;
  admin: AdminAuth;
}

export function courseRoutes(app: FastifyInstance, deps: CourseRouteDeps): void {
  const { courses, admin } = deps;
  const tags = ['courses'];
  const bulkResult = {
    type: 'object',
    properties: { created: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' } },
  };

  app.post<{ Body: NewTermInput }>(
    '/v1/terms',
    { onRequest: admin.guard, schema: { tags, body: createTermBody, response: { 201: termResponse } } },
    async (request, reply) => {
      const term = await courses.createTerm(request.body);
      return reply.code(201).send(termBody(term, await courses.progress(term.id)));
    },
  );

  app.get(
    '/v1/terms',
    {
      onRequest: admin.guard,
      schema: { tags, response: { 200: { type: 'object', properties: { terms: { type: 'array', items: termResponse } } } } },
    },
    async () => ({
      terms: await Promise.all((await courses.listTerms()).map(async (term) => termBody(term, await courses.progress(term.id)))),
    }),
  );

  app.get<{ Params: { termId: string } }>(
    '/v1/terms/:termId',
    { onRequest: admin.guard, schema: { tags, params: termParams, response: { 200: termResponse } } },
    async (request) => {
      const term = await courses.term(request.params.termId);
      return termBody(term, await courses.progress(term.id));
    },
  );

  app.post<{ Params: { termId: string }; Body: { courses: CourseInput[] } }>(
    '/v1/terms/:termId/courses',
    {
      onRequest: admin.guard,
      bodyLimit: BULK_BODY_LIMIT,
      schema: { tags, params: termParams, body: addCoursesBody, response: { 201: bulkResult } },
    },
    async (request, reply) => reply.code(201).send(await courses.addCourses(request.params.termId, request.body.courses)),
  );

  // The catalogue with each course's fill is public, as registration offices publish it.
  app.get<{ Params: { termId: string } }>(
    '/v1/terms/:termId/courses',
    {
      schema: {
        tags,
        params: termParams,
        response: { 200: { type: 'object', properties: { courses: { type: 'array', items: courseResponse } } } },
      },
    },
    async (request, reply) => {
      await courses.term(request.params.termId);
      reply.header('cache-control', 'public, max-age=1');
      return { courses: (await courses.listCourses(request.params.termId)).map(courseBody) };
    },
  );

  app.patch<{ Params: { termId: string; courseId: string }; Body: { capacity?: number; waitlist?: number } }>(
    '/v1/terms/:termId/courses/:courseId',
    {
      onRequest: admin.guard,
      schema: { tags, params: courseParams, body: changeCourseBody, response: { 200: courseResponse, 202: statusResponse } },
    },
    async (request, reply) => {
      const outcome = await courses.changeCourse(request.params.termId, request.params.courseId, request.body);
      if (outcome.kind === 'queued') return reply.code(202).send(outcome.status);
      return courseBody(outcome.course);
    },
  );

  app.post<{ Params: { termId: string }; Body: { students: StudentInput[] } }>(
    '/v1/terms/:termId/students',
    {
      onRequest: admin.guard,
      bodyLimit: BULK_BODY_LIMIT,
      schema: { tags, params: termParams, body: addStudentsBody, response: { 201: bulkResult } },
    },
    async (request, reply) => reply.code(201).send(await courses.addStudents(request.params.termId, request.body.students)),
  );

  app.post<{ Params: { termId: string }; Body: RequestInput & { studentId?: string } }>(
    '/v1/terms/:termId/requests',
    { schema: { tags, params: termParams, body: submitBody, response: { 202: statusResponse } } },
    async (request, reply) => {
      const term = await courses.term(request.params.termId);
      const studentId = await requestingStudent(deps, request.headers, term, request.body.studentId);
      const answer = queuedAnswer(await courses.submit(term, studentId, request.body));
      return reply.code(answer.status).headers(answer.headers!).send(answer.body);
    },
  );

  app.get<{ Params: { termId: string; requestId: string } }>(
    '/v1/terms/:termId/requests/:requestId',
    { schema: { tags, params: requestParams, response: { 200: statusResponse } } },
    async (request, reply) => {
      const term = await courses.term(request.params.termId);
      const answer = statusAnswer(await courses.status(term.id, request.params.requestId, await viewer(deps, request.headers, term)));
      return reply.code(answer.status).headers(answer.headers!).send(answer.body);
    },
  );

  app.get<{ Params: { termId: string; studentId: string } }>(
    '/v1/terms/:termId/students/:studentId',
    { schema: { tags, params: studentParams, response: { 200: scheduleResponse } } },
    async (request, reply) => {
      const term = await courses.term(request.params.termId);
      const who = await viewer(deps, request.headers, term);
      // A student reads their own schedule only: another's is as unknown to them as a missing one.
      if (who !== 'operator' && who.studentId !== request.params.studentId) throw new DomainError('student_not_found');
      const { student, schedule } = await courses.schedule(term, request.params.studentId);
      reply.header('cache-control', 'no-store');
      return {
        studentId: student.id,
        group: student.group,
        holds: student.holds,
        credits: schedule.enrolled.reduce((sum, c) => sum + c.credits, 0),
        maxCredits: term.maxCredits,
        enrolled: schedule.enrolled.map((c) => ({ ...c, meetings: meetingsOut(c.meetings) })),
        waitlists: schedule.waitlists,
      };
    },
  );
}
