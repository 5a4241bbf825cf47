import type { EntitySample } from '../capability.js';
import type { TermCountersView } from './counters.js';
import type { CourseFill } from './repository.js';

/** A term closed longer ago than this is no longer sampled for the dashboard. */
export const SAMPLED_AFTER_CLOSE_MS = 3_600_000;
/** Terms sampled at most (the most recently created open ones): each costs one SELECT per second. */
export const MAX_SAMPLED_TERMS = 100;
/**
 * Courses sampled one by one (kind `course`, entity `<termId>/<courseId>`), over every sampled
 * term, newest term first; the terms' totals always count every course. A course's minute takes
 * ~2.7 KB of Redis (measured, docs/dashboard.md): 1,000 courses are ~46 MB over the 17 minutes the
 * hashes live, and ~80 ms of CPU a second for the instance that writes them.
 */
export const MAX_SAMPLED_COURSES = 1_000;

/**
 * A term's figures for the dashboard's history: its totals (kind `term`) and each course's fill
 * and waitlist (kind `course`). The entity of a course names its term: course ids are unique
 * within a term only, and `/` is neither in an id nor refused by the history's keys.
 */
export function termFigures(
  termId: string,
  courses: readonly CourseFill[],
  counters: TermCountersView,
  courseBudget: number,
): EntitySample[] {
  const totals = { capacity: 0, enrolled: 0, waitlisted: 0, waitlistSize: 0, full: 0 };
  const samples: EntitySample[] = [];
  for (const course of courses) {
    totals.capacity += course.capacity;
    totals.enrolled += course.enrolled;
    totals.waitlisted += course.waitlisted;
    totals.waitlistSize += course.waitlistSize;
    if (course.enrolled >= course.capacity) totals.full++;
    if (samples.length < courseBudget) {
      samples.push({
        kind: 'course',
        entity: `${termId}/${course.id}`,
        values: { capacity: course.capacity, enrolled: course.enrolled, waitlisted: course.waitlisted, waitlistSize: course.waitlistSize },
      });
    }
  }
  samples.unshift({
    kind: 'term',
    entity: termId,
    values: {
      courses: courses.length,
      ...totals,
      // Arrivals given a place and decided up to (Redis' counters; null while they are restored).
      accepted: counters.ready ? counters.seq : null,
      decided: counters.ready ? counters.decided : null,
      backlog: counters.ready ? Math.max(0, counters.seq - counters.decided) : null,
    },
  });
  return samples;
}

/** The terms worth sampling now: not closed over SAMPLED_AFTER_CLOSE_MS ago, the newest MAX_SAMPLED_TERMS. */
export function sampledTerms<T extends { closesAt: Date | null; createdAt: Date }>(terms: readonly T[], now: number): T[] {
  return terms
    .filter((t) => !t.closesAt || t.closesAt.getTime() > now - SAMPLED_AFTER_CLOSE_MS)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    .slice(0, MAX_SAMPLED_TERMS);
}
