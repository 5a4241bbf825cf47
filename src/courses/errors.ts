import { defineErrors } from '../errors.js';

/** Course registration's error codes (statuses: src/http/errors.ts, by kind). */
export const COURSE_ERRORS = defineErrors({
  term_not_found: { kind: 'not_found', message: 'No such term' },
  course_not_found: { kind: 'not_found', message: 'No such course in this term' },
  student_not_found: { kind: 'not_found', message: 'No such student in this term' },
  request_not_found: { kind: 'not_found', message: 'No such request' },
  term_exists: { kind: 'conflict', message: 'A term with this id already exists' },
  course_conflict: { kind: 'conflict', message: 'Courses with these ids exist with a different definition' },
  capacity_below_enrolled: {
    kind: 'conflict',
    message: 'The capacity is below the students enrolled, or the waitlist size below those waiting',
  },
  term_rebuilding: { kind: 'unavailable', message: 'The term is being restored; retry shortly', retryAfterSeconds: 2 },
  request_not_durable: {
    kind: 'unavailable',
    message: 'The request could not be made durable yet; it may still be decided: check its status (requestId) before sending it again',
    retryAfterSeconds: 2,
  },
});

export type CourseErrorCode = keyof typeof COURSE_ERRORS;
