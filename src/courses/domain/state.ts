// A term's registration state as the decider holds it in memory: who is enrolled in and waiting
// for what. Every change goes through a journal, so that a unit of work (a swap, a linked group,
// an all-or-nothing request) can be undone exactly, and so that the decider can write what a
// batch of decisions changed without diffing the whole state. Pure: no I/O.
import type { CourseDef, SkipReason, StudentDef } from './types.js';

export interface WaitEntry {
  readonly studentId: string;
  /** The seq of the request that put the student on the waitlist: the waitlist's order. */
  readonly seq: number;
  skippedBecause: SkipReason | null;
}

export interface CourseState {
  def: CourseDef;
  capacity: number;
  waitlistSize: number;
  readonly enrolled: Set<string>;
  /** In arrival order (ascending seq). */
  readonly waitlist: WaitEntry[];
}

export interface StudentState {
  def: StudentDef;
  readonly enrolled: Set<string>;
  readonly waitlisted: Set<string>;
  /** Credits of the enrolled courses. */
  credits: number;
}

/** One change of the state, with what undoing it needs. */
export type Change =
  | { readonly kind: 'enroll'; readonly courseId: string; readonly studentId: string; readonly seq: number; readonly promoted: boolean }
  | { readonly kind: 'unenroll'; readonly courseId: string; readonly studentId: string; readonly seq: number }
  | { readonly kind: 'wait'; readonly courseId: string; readonly entry: WaitEntry }
  | { readonly kind: 'unwait'; readonly courseId: string; readonly entry: WaitEntry; readonly index: number }
  | {
      readonly kind: 'skip';
      readonly courseId: string;
      readonly entry: WaitEntry;
      readonly before: SkipReason | null;
      readonly after: SkipReason | null;
    }
  | {
      readonly kind: 'limits';
      readonly courseId: string;
      readonly before: { capacity: number; waitlistSize: number };
      readonly after: { capacity: number; waitlistSize: number };
    };

export class RegistrationState {
  readonly courses = new Map<string, CourseState>();
  readonly students = new Map<string, StudentState>();
  private journal: Change[] = [];

  // ── loading (not journaled: this is what PostgreSQL already holds) ───────────────────────────

  putCourse(def: CourseDef, capacity: number, waitlistSize: number): void {
    const existing = this.courses.get(def.id);
    if (existing) {
      existing.def = def;
      existing.capacity = capacity;
      existing.waitlistSize = waitlistSize;
    } else {
      this.courses.set(def.id, { def, capacity, waitlistSize, enrolled: new Set(), waitlist: [] });
    }
  }

  putStudent(def: StudentDef): void {
    const existing = this.students.get(def.id);
    if (existing) existing.def = def;
    else this.students.set(def.id, { def, enrolled: new Set(), waitlisted: new Set(), credits: 0 });
  }

  /** An enrollment PostgreSQL holds. */
  loadEnrollment(courseId: string, studentId: string): void {
    const course = this.course(courseId);
    const student = this.student(studentId);
    course.enrolled.add(studentId);
    student.enrolled.add(courseId);
    student.credits += course.def.credits;
  }

  /** A waitlist entry PostgreSQL holds; call in ascending seq per course. */
  loadWaitEntry(courseId: string, entry: WaitEntry): void {
    this.course(courseId).waitlist.push(entry);
    this.student(entry.studentId).waitlisted.add(courseId);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────────

  course(id: string): CourseState {
    const course = this.courses.get(id);
    if (!course) throw new Error(`course ${id} is not loaded`);
    return course;
  }

  student(id: string): StudentState {
    const student = this.students.get(id);
    if (!student) throw new Error(`student ${id} is not loaded`);
    return student;
  }

  freeSeats(course: CourseState): number {
    return Math.max(0, course.capacity - course.enrolled.size);
  }

  /** 1-based place of the student on the course's waitlist, or null. */
  waitlistPosition(courseId: string, studentId: string): number | null {
    const index = this.course(courseId).waitlist.findIndex((e) => e.studentId === studentId);
    return index < 0 ? null : index + 1;
  }

  // ── changing (journaled) ──────────────────────────────────────────────────────────────────────

  enroll(courseId: string, studentId: string, seq: number, promoted: boolean): void {
    this.applyEnroll(courseId, studentId);
    this.journal.push({ kind: 'enroll', courseId, studentId, seq, promoted });
  }

  unenroll(courseId: string, studentId: string, seq: number): void {
    this.applyUnenroll(courseId, studentId);
    this.journal.push({ kind: 'unenroll', courseId, studentId, seq });
  }

  /** Appends to the waitlist (requests come in seq order, so the end is the entry's place). */
  wait(courseId: string, studentId: string, seq: number): number {
    const entry: WaitEntry = { studentId, seq, skippedBecause: null };
    const course = this.course(courseId);
    course.waitlist.push(entry);
    this.student(studentId).waitlisted.add(courseId);
    this.journal.push({ kind: 'wait', courseId, entry });
    return course.waitlist.length;
  }

  unwait(courseId: string, studentId: string): void {
    const course = this.course(courseId);
    const index = course.waitlist.findIndex((e) => e.studentId === studentId);
    if (index < 0) throw new Error(`${studentId} is not waiting for ${courseId}`);
    const [entry] = course.waitlist.splice(index, 1);
    this.student(studentId).waitlisted.delete(courseId);
    this.journal.push({ kind: 'unwait', courseId, entry: entry!, index });
  }

  skip(courseId: string, entry: WaitEntry, reason: SkipReason | null): void {
    if (entry.skippedBecause === reason) return;
    this.journal.push({ kind: 'skip', courseId, entry, before: entry.skippedBecause, after: reason });
    entry.skippedBecause = reason;
  }

  setLimits(courseId: string, limits: { capacity: number; waitlistSize: number }): void {
    const course = this.course(courseId);
    const before = { capacity: course.capacity, waitlistSize: course.waitlistSize };
    course.capacity = limits.capacity;
    course.waitlistSize = limits.waitlistSize;
    this.journal.push({ kind: 'limits', courseId, before, after: { ...limits } });
  }

  // ── the journal ───────────────────────────────────────────────────────────────────────────────

  /** A point to roll back to. */
  mark(): number {
    return this.journal.length;
  }

  /** Undoes every change made since `mark`, newest first. */
  rollback(mark: number): void {
    while (this.journal.length > mark) {
      const change = this.journal.pop()!;
      switch (change.kind) {
        case 'enroll':
          this.applyUnenroll(change.courseId, change.studentId);
          break;
        case 'unenroll':
          this.applyEnroll(change.courseId, change.studentId);
          break;
        case 'wait': {
          const course = this.course(change.courseId);
          course.waitlist.splice(course.waitlist.indexOf(change.entry), 1);
          this.student(change.entry.studentId).waitlisted.delete(change.courseId);
          break;
        }
        case 'unwait':
          this.course(change.courseId).waitlist.splice(change.index, 0, change.entry);
          this.student(change.entry.studentId).waitlisted.add(change.courseId);
          break;
        case 'skip':
          change.entry.skippedBecause = change.before;
          break;
        case 'limits': {
          const course = this.course(change.courseId);
          course.capacity = change.before.capacity;
          course.waitlistSize = change.before.waitlistSize;
          break;
        }
      }
    }
  }

  /** The changes made since the last call, in order; the journal starts afresh. */
  drain(): Change[] {
    const changes = this.journal;
    this.journal = [];
    return changes;
  }

  private applyEnroll(courseId: string, studentId: string): void {
    const course = this.course(courseId);
    const student = this.student(studentId);
    if (course.enrolled.has(studentId)) throw new Error(`${studentId} is already enrolled in ${courseId}`);
    course.enrolled.add(studentId);
    student.enrolled.add(courseId);
    student.credits += course.def.credits;
  }

  private applyUnenroll(courseId: string, studentId: string): void {
    const course = this.course(courseId);
    const student = this.student(studentId);
    if (!course.enrolled.delete(studentId)) throw new Error(`${studentId} is not enrolled in ${courseId}`);
    student.enrolled.delete(courseId);
    student.credits -= course.def.credits;
  }
}
