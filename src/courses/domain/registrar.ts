// The registration rules, applied to one term's state one step at a time, in arrival order. Pure:
// the decider feeds it requests and operator changes in seq order and writes down what changed.
//
// What a step may do, and why in this order:
// - A request's actions apply in order, each against the state left by the ones before it.
// - An add checks, for the student: requires, credits, clashes, linked courses; only then seats,
//   so that a waitlisted student is one who could take the seat the moment it frees.
// - Linked courses (a lecture and its lab) are one unit: the later adds (or drops) of the same
//   request that the unit needs are pulled forward and decided with it, all or none.
// - A swap drops only if its add enrolls; a full add of a swap is refused, not waitlisted (the
//   student keeps the course they have).
// - allOrNothing: unless every action enrolls or drops, the request changes nothing.
// - A freed seat (drop, capacity increase) goes, in the same step, to the first waitlisted student
//   who passes every rule; those passed over keep their place and are told why. A student whose
//   own change (a drop, a lifted hold) makes them eligible gets a seat that is free at once.
import { schedulesClash } from './meetings.js';
import type { CourseState, RegistrationState, StudentState } from './state.js';
import {
  type Action,
  type ActionResult,
  type CourseChange,
  type CourseChangeResult,
  isAdd,
  isDrop,
  type Reason,
  type RegistrationRequest,
  type SkipReason,
  type TermRules,
} from './types.js';

export type WindowState = 'not_open' | 'open' | 'closed';

/** Where the student's registration window stands at `at` (ms). */
export function windowAt(rules: TermRules, group: string, at: number): WindowState {
  if (rules.closesAt !== null && at >= rules.closesAt) return 'closed';
  if (rules.windows === null) return 'open';
  const opensAt = rules.windows.get(group);
  // A group without a window has no time ticket: it never opens.
  return opensAt === undefined || at < opensAt ? 'not_open' : 'open';
}

const rejected = (action: Action, reason: Reason): ActionResult => ({ action, outcome: 'rejected', reason });
const enrolled = (action: Action): ActionResult => ({ action, outcome: 'enrolled' });
const dropped = (action: Action): ActionResult => ({ action, outcome: 'dropped' });
const waitlisted = (action: Action, position: number): ActionResult => ({ action, outcome: 'waitlisted', waitlistPosition: position });

/** The first rule that keeps `student` from enrolling in every course of `unit` together (seats aside). */
function unitProblem(
  state: RegistrationState,
  rules: TermRules,
  student: StudentState,
  unit: readonly CourseState[],
): { courseId: string; reason: SkipReason } | null {
  for (const course of unit) {
    for (const required of course.def.requires) {
      if (!student.def.completed.has(required)) return { courseId: course.def.id, reason: 'requires' };
    }
  }
  const credits = unit.reduce((sum, c) => sum + c.def.credits, student.credits);
  if (credits > rules.maxCredits) return { courseId: unit[0]!.def.id, reason: 'credit_limit' };
  for (const [i, course] of unit.entries()) {
    for (const other of student.enrolled) {
      if (schedulesClash(course.def.meetings, state.course(other).def.meetings)) return { courseId: course.def.id, reason: 'time_clash' };
    }
    for (const earlier of unit.slice(0, i)) {
      if (schedulesClash(course.def.meetings, earlier.def.meetings)) return { courseId: course.def.id, reason: 'time_clash' };
    }
  }
  const ids = new Set(unit.map((c) => c.def.id));
  for (const course of unit) {
    for (const partner of course.def.linked) {
      if (!student.enrolled.has(partner) && !ids.has(partner)) return { courseId: course.def.id, reason: 'linked' };
    }
  }
  return null;
}

export class Registrar {
  constructor(
    readonly state: RegistrationState,
    public rules: TermRules,
  ) {}

  /** Decides a request: applies what may be applied and says, per action, what happened. */
  decide(request: RegistrationRequest): ActionResult[] {
    const { actions } = request;
    const student = this.state.student(request.studentId);
    if (student.def.holds.length > 0) return actions.map((a) => rejected(a, 'hold'));
    const window = windowAt(this.rules, student.def.group, request.at);
    if (window === 'not_open') return actions.map((a) => rejected(a, 'not_open'));

    const results: Array<ActionResult | undefined> = new Array(actions.length);
    const start = this.state.mark();
    for (const [i, action] of actions.entries()) {
      if (results[i]) continue; // decided with an earlier action's linked unit
      if (isDrop(action)) this.drop(i, request, student, window, results);
      else if (window === 'closed') results[i] = rejected(action, 'closed');
      else if (isAdd(action)) this.add(i, request, student, results);
      else this.swap(i, request, student, results);
    }
    const decided = results as ActionResult[];
    if (request.allOrNothing && decided.some((r) => r.outcome === 'rejected' || r.outcome === 'waitlisted')) {
      this.state.rollback(start);
      return decided.map((r) => {
        if (r.outcome === 'rejected') return r;
        return rejected(r.action, r.outcome === 'waitlisted' ? 'full' : 'all_or_nothing');
      });
    }
    return decided;
  }

  /** An operator's change of a course's capacity or waitlist size, in order with the requests. */
  changeCourse(change: CourseChange): CourseChangeResult {
    const course = this.state.course(change.courseId);
    const capacity = change.capacity ?? course.capacity;
    const waitlistSize = change.waitlistSize ?? course.waitlistSize;
    if (capacity < course.enrolled.size) return { outcome: 'refused', reason: 'below_enrolled' };
    if (waitlistSize < course.waitlist.length) return { outcome: 'refused', reason: 'below_waitlisted' };
    this.state.setLimits(change.courseId, { capacity, waitlistSize });
    this.promote(change.courseId, change.seq);
    return { outcome: 'applied' };
  }

  /** Students whose profile changed (a hold lifted, a course completed): a free seat they now qualify for is theirs. */
  refresh(studentIds: Iterable<string>, seq: number): void {
    for (const id of studentIds) {
      const student = this.state.students.get(id);
      if (student) this.promoteFor(student, seq);
    }
  }

  // ── actions ───────────────────────────────────────────────────────────────────────────────────

  private add(i: number, request: RegistrationRequest, student: StudentState, results: Array<ActionResult | undefined>): void {
    const action = request.actions[i] as { add: string };
    const course = this.state.course(action.add);
    if (student.enrolled.has(course.def.id)) {
      results[i] = enrolled(action);
      return;
    }
    if (student.waitlisted.has(course.def.id) && this.state.freeSeats(course) === 0) {
      results[i] = waitlisted(action, this.state.waitlistPosition(course.def.id, student.def.id)!);
      return;
    }
    // The linked unit: this course and the courses it needs, pulled forward from this request's later adds.
    const unit = [course];
    const indexes = [i];
    const needed = [...course.def.linked];
    while (needed.length > 0) {
      const partner = needed.shift()!;
      if (student.enrolled.has(partner) || unit.some((c) => c.def.id === partner)) continue;
      const j = request.actions.findIndex((a, k) => k > i && !results[k] && isAdd(a) && a.add === partner);
      if (j < 0 || !this.state.courses.has(partner)) {
        results[i] = rejected(action, 'linked');
        return;
      }
      const partnerCourse = this.state.course(partner);
      unit.push(partnerCourse);
      indexes.push(j);
      needed.push(...partnerCourse.def.linked);
    }
    const settle = (outcome: (c: CourseState) => ActionResult['outcome'] | Reason) => {
      unit.forEach((c, k) => {
        const a = request.actions[indexes[k]!]!;
        const o = outcome(c);
        results[indexes[k]!] = o === 'enrolled' ? enrolled(a) : rejected(a, o as Reason);
      });
    };

    const problem = unitProblem(this.state, this.rules, student, unit);
    if (problem) {
      settle((c) => (c.def.id === problem.courseId ? problem.reason : 'linked'));
      return;
    }
    const full = unit.filter((c) => this.state.freeSeats(c) === 0);
    if (full.length > 0) {
      // A linked unit is never waitlisted: a place on one course's list would hold half of it.
      if (unit.length === 1 && course.waitlist.length < course.waitlistSize && !student.waitlisted.has(course.def.id)) {
        results[i] = waitlisted(action, this.state.wait(course.def.id, student.def.id, request.seq));
        return;
      }
      settle((c) => (full.includes(c) ? 'full' : 'linked'));
      return;
    }
    for (const c of unit) {
      if (student.waitlisted.has(c.def.id)) this.state.unwait(c.def.id, student.def.id);
      this.state.enroll(c.def.id, student.def.id, request.seq, false);
    }
    settle(() => 'enrolled');
  }

  private drop(
    i: number,
    request: RegistrationRequest,
    student: StudentState,
    window: WindowState,
    results: Array<ActionResult | undefined>,
  ): void {
    const action = request.actions[i] as { drop: string };
    const courseId = action.drop;
    if (!student.enrolled.has(courseId)) {
      if (student.waitlisted.has(courseId)) {
        this.state.unwait(courseId, student.def.id);
        results[i] = dropped(action);
      } else {
        results[i] = rejected(action, 'not_enrolled');
      }
      return;
    }
    // Enrolled courses that need a dropped one leave with it, if this request drops them too.
    const unit = [courseId];
    const indexes = [i];
    for (let k = 0; k < unit.length; k++) {
      for (const other of student.enrolled) {
        if (unit.includes(other) || !this.state.course(other).def.linked.includes(unit[k]!)) continue;
        const j = request.actions.findIndex((a, n) => n > i && !results[n] && isDrop(a) && a.drop === other);
        if (j < 0) {
          results[i] = rejected(action, 'linked');
          return;
        }
        unit.push(other);
        indexes.push(j);
      }
    }
    const settle = (result: (a: Action) => ActionResult) => {
      for (const k of indexes) results[k] = result(request.actions[k]!);
    };
    if (window === 'closed') {
      const after = unit.reduce((credits, id) => credits - this.state.course(id).def.credits, student.credits);
      if (after < this.rules.minCredits) {
        settle((a) => rejected(a, 'credit_limit'));
        return;
      }
    }
    for (const id of unit) this.state.unenroll(id, student.def.id, request.seq);
    settle(dropped);
    for (const id of unit) this.promote(id, request.seq);
    this.promoteFor(student, request.seq);
  }

  private swap(i: number, request: RegistrationRequest, student: StudentState, results: Array<ActionResult | undefined>): void {
    const action = request.actions[i] as { swap: { drop: string; add: string } };
    const { drop: from, add: to } = action.swap;
    if (!student.enrolled.has(from)) {
      results[i] = rejected(action, 'not_enrolled');
      return;
    }
    for (const other of student.enrolled) {
      if (other !== from && other !== to && this.state.course(other).def.linked.includes(from)) {
        results[i] = rejected(action, 'linked');
        return;
      }
    }
    const mark = this.state.mark();
    this.state.unenroll(from, student.def.id, request.seq);
    const target = this.state.course(to);
    if (!student.enrolled.has(to)) {
      const problem = unitProblem(this.state, this.rules, student, [target]);
      const reason: Reason | null = problem ? problem.reason : this.state.freeSeats(target) === 0 ? 'full' : null;
      if (reason) {
        this.state.rollback(mark);
        results[i] = rejected(action, reason);
        return;
      }
      if (student.waitlisted.has(to)) this.state.unwait(to, student.def.id);
      this.state.enroll(to, student.def.id, request.seq, false);
    }
    results[i] = enrolled(action);
    this.promote(from, request.seq);
    this.promoteFor(student, request.seq);
  }

  // ── waitlists ─────────────────────────────────────────────────────────────────────────────────

  /** Fills the course's free seats from its waitlist, first come first served among the eligible. */
  private promote(courseId: string, seq: number): void {
    const course = this.state.course(courseId);
    let index = 0;
    while (this.state.freeSeats(course) > 0 && index < course.waitlist.length) {
      const entry = course.waitlist[index]!;
      const candidate = this.state.student(entry.studentId);
      const reason: SkipReason | null =
        candidate.def.holds.length > 0 ? 'hold' : (unitProblem(this.state, this.rules, candidate, [course])?.reason ?? null);
      if (reason) {
        this.state.skip(courseId, entry, reason);
        index++;
        continue;
      }
      this.state.unwait(courseId, candidate.def.id);
      this.state.enroll(courseId, candidate.def.id, seq, true);
    }
  }

  /** The student's waitlists that have a free seat get a promotion pass (the student may now qualify). */
  private promoteFor(student: StudentState, seq: number): void {
    for (const courseId of [...student.waitlisted]) {
      if (this.state.freeSeats(this.state.course(courseId)) > 0) this.promote(courseId, seq);
    }
  }
}
