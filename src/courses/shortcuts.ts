import type { Shortcut } from '../capability.js';
import { queuedAnswer, statusAnswer } from './answers.js';
import { type IdentityDeps, requestingStudent, viewer } from './identity.js';
import { submitBody } from './schemas.js';
import type { CoursesService, RequestInput } from './service.js';

/**
 * The two requests a registration surge is made of, answered before Fastify routes them
 * (http/shortcuts.ts): a student's request, and its polls. Each decides exactly as its route does,
 * with the same pieces (identity.ts, the service, answers.ts). A request is not idempotent (it
 * takes a seq), so it answers its own failures through the error table; a poll is, and hands any
 * failure to the route.
 */
export function courseShortcuts(courses: CoursesService, deps: IdentityDeps): Shortcut[] {
  return [
    {
      method: 'POST',
      route: '/v1/terms/:termId/requests',
      idempotent: false,
      bodySchema: submitBody,
      async handle({ params, headers, body }) {
        const term = await courses.term(params.termId!);
        const input = body as RequestInput & { studentId?: string };
        const studentId = await requestingStudent(deps, headers, term, input.studentId);
        return queuedAnswer(await courses.submit(term, studentId, input));
      },
    },
    {
      method: 'GET',
      route: '/v1/terms/:termId/requests/:requestId',
      idempotent: true,
      async handle({ params, headers }) {
        const term = await courses.term(params.termId!);
        return statusAnswer(await courses.status(term.id, params.requestId!, await viewer(deps, headers, term)));
      },
    },
  ];
}
