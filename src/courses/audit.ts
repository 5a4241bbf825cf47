// An independent check of a term's record: every committed entry is replayed, in seq order, through
// the rules from the state the term started with, and each replayed decision must equal the stored
// one; then the replayed state must equal the enrollments and waitlists PostgreSQL holds. It proves
// that the decisions were made in arrival order, each once, each on the state after every earlier
// one (a skipped, repeated or reordered seq changes what follows). Plus the invariants checked
// directly on the rows: capacity, credits, clashes, waitlist order.
//
// Used by the tests and by `floodgate loadtest --scenario courses`. Student profiles are replayed as
// they are now (a hold lifted during the run is not replayed at its time).
import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { studentDef, termRules } from './domain/definitions.js';
import { schedulesClash } from './domain/meetings.js';
import { Registrar } from './domain/registrar.js';
import { RegistrationState } from './domain/state.js';
import type { Meeting } from './domain/types.js';
import type { ChangeBody, RefreshBody, RequestBody } from './log-entry.js';
import { termFromRow } from './repository.js';

type Queryable = Pick<pg.Pool, 'query'>;

export interface TermAudit {
  /** Entries replayed (requests, changes, refreshes), and voids. */
  entries: number;
  voids: number;
  decided: number;
  undecided: number;
  /** Seqs whose stored decision differs from the replay (first ones). */
  mismatches: Array<{ seq: number; stored: unknown; replayed: unknown }>;
  /** Enrollments and waitlist entries that differ between the replay and the tables. */
  stateDifferences: string[];
  overCapacity: string[];
  overCredits: string[];
  clashes: string[];
  /** Waitlists whose entries are not in arrival order. */
  waitlistOrder: string[];
}

export async function auditTerm(db: Queryable, termId: string): Promise<TermAudit> {
  const termRow = (await db.query('SELECT * FROM terms WHERE id = $1', [termId])).rows[0];
  if (!termRow) throw new Error(`term ${termId} does not exist`);
  const term = termFromRow(termRow);
  const courses = (
    await db.query<{
      id: string;
      title: string;
      credits: number;
      capacity: number;
      created_capacity: number;
      created_waitlist_size: number;
      meetings: Meeting[];
      requires: string[];
      linked: string[];
      enrolled: number;
    }>('SELECT * FROM courses WHERE term_id = $1', [termId])
  ).rows;
  const students = (
    await db.query<{ id: string; grp: string; completed: string[]; holds: string[] }>('SELECT * FROM students WHERE term_id = $1', [termId])
  ).rows;
  const entries = (
    await db.query<{ seq: number; kind: string; student_id: string | null; body: unknown; at_ms: number | null; results: unknown }>(
      `SELECT r.seq, r.kind, r.student_id, r.body, round(extract(epoch FROM r.accepted_at) * 1000)::bigint AS at_ms, d.results
         FROM course_requests r LEFT JOIN course_decisions d ON d.term_id = r.term_id AND d.seq = r.seq
        WHERE r.term_id = $1 ORDER BY r.seq`,
      [termId],
    )
  ).rows;

  const state = new RegistrationState();
  for (const c of courses) state.putCourse({ ...c }, c.created_capacity, c.created_waitlist_size);
  for (const s of students) state.putStudent(studentDef({ id: s.id, group: s.grp, completed: s.completed, holds: s.holds }));
  const registrar = new Registrar(state, termRules(term));
  const audit: TermAudit = {
    entries: 0,
    voids: 0,
    decided: 0,
    undecided: 0,
    mismatches: [],
    stateDifferences: [],
    overCapacity: [],
    overCredits: [],
    clashes: [],
    waitlistOrder: [],
  };
  const decidedSeq = Number(termRow.decided_seq);
  const mismatch = (seq: number, stored: unknown, replayed: unknown) => {
    // jsonb keeps keys in its own order: compare values, not texts
    if (!isDeepStrictEqual(stored, JSON.parse(JSON.stringify(replayed))) && audit.mismatches.length < 20)
      audit.mismatches.push({ seq, stored, replayed });
  };
  for (const e of entries) {
    const seq = Number(e.seq);
    if (e.kind === 'void') {
      audit.voids++;
      if (e.results !== null) mismatch(seq, e.results, 'a void has no decision');
      continue;
    }
    audit.entries++;
    if (e.results === null) {
      audit.undecided++;
      if (seq <= decidedSeq) mismatch(seq, null, 'decided_seq passed it without a decision');
      continue;
    }
    audit.decided++;
    if (e.kind === 'request') {
      const body = e.body as RequestBody;
      mismatch(
        seq,
        e.results,
        registrar.decide({ seq, studentId: e.student_id!, actions: body.actions, allOrNothing: body.allOrNothing, at: Number(e.at_ms) }),
      );
    } else if (e.kind === 'change') {
      const body = e.body as ChangeBody;
      mismatch(seq, e.results, [{ courseId: body.courseId, ...registrar.changeCourse({ seq, ...body }) }]);
    } else {
      registrar.refresh((e.body as RefreshBody).students, seq);
      mismatch(seq, e.results, []);
    }
  }

  // The replayed state against the tables.
  const enrollments = (
    await db.query<{ course_id: string; student_id: string }>('SELECT course_id, student_id FROM enrollments WHERE term_id = $1', [termId])
  ).rows;
  const stored = new Set(enrollments.map((r) => `${r.course_id} ${r.student_id}`));
  const replayed = new Set<string>();
  for (const [id, c] of state.courses) for (const s of c.enrolled) replayed.add(`${id} ${s}`);
  for (const key of stored)
    if (!replayed.has(key) && audit.stateDifferences.length < 20) audit.stateDifferences.push(`enrolled only in PostgreSQL: ${key}`);
  for (const key of replayed)
    if (!stored.has(key) && audit.stateDifferences.length < 20) audit.stateDifferences.push(`enrolled only in the replay: ${key}`);
  const waits = (
    await db.query<{ course_id: string; student_id: string; seq: number }>(
      'SELECT course_id, student_id, seq FROM waitlist_entries WHERE term_id = $1 ORDER BY course_id, seq',
      [termId],
    )
  ).rows;
  const storedWaits = new Map<string, string[]>();
  for (const w of waits) storedWaits.set(w.course_id, [...(storedWaits.get(w.course_id) ?? []), w.student_id]);
  for (const [id, c] of state.courses) {
    const a = JSON.stringify(c.waitlist.map((e) => e.studentId));
    const b = JSON.stringify(storedWaits.get(id) ?? []);
    if (a !== b && audit.stateDifferences.length < 20) audit.stateDifferences.push(`waitlist of ${id}: replay ${a}, PostgreSQL ${b}`);
  }

  // The invariants, straight from the rows.
  const byId = new Map(courses.map((c) => [c.id, c]));
  const counted = new Map<string, number>();
  for (const r of enrollments) counted.set(r.course_id, (counted.get(r.course_id) ?? 0) + 1);
  for (const c of courses) {
    const n = counted.get(c.id) ?? 0;
    if (n > c.capacity || n !== c.enrolled) audit.overCapacity.push(`${c.id}: ${n} rows, counter ${c.enrolled}, capacity ${c.capacity}`);
  }
  const perStudent = new Map<string, string[]>();
  for (const r of enrollments) perStudent.set(r.student_id, [...(perStudent.get(r.student_id) ?? []), r.course_id]);
  for (const [studentId, ids] of perStudent) {
    const credits = ids.reduce((sum, id) => sum + byId.get(id)!.credits, 0);
    if (credits > term.maxCredits) audit.overCredits.push(`${studentId}: ${credits} credits`);
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        if (schedulesClash(byId.get(ids[i]!)!.meetings, byId.get(ids[j]!)!.meetings))
          audit.clashes.push(`${studentId}: ${ids[i]} and ${ids[j]}`);
      }
    }
  }
  // Positions are read in seq order (the table's order); the replay above proves each entry's seq
  // is the arrival of the request that put it there.
  for (const [courseId, c] of state.courses) {
    const seqs = c.waitlist.map((e) => e.seq);
    if (seqs.some((s, i) => i > 0 && s <= seqs[i - 1]!)) audit.waitlistOrder.push(`${courseId}: entries out of order`);
  }
  return audit;
}

/** The audit's findings as one line per failed invariant (empty when all hold). */
export function auditFailures(audit: TermAudit): string[] {
  const failures: string[] = [];
  if (audit.mismatches.length > 0) failures.push(`decisions differ from the replay: ${JSON.stringify(audit.mismatches.slice(0, 3))}`);
  if (audit.stateDifferences.length > 0) failures.push(`state differs from the replay: ${audit.stateDifferences.slice(0, 5).join('; ')}`);
  if (audit.overCapacity.length > 0) failures.push(`over capacity: ${audit.overCapacity.slice(0, 5).join('; ')}`);
  if (audit.overCredits.length > 0) failures.push(`over maxCredits: ${audit.overCredits.slice(0, 5).join('; ')}`);
  if (audit.clashes.length > 0) failures.push(`time clashes: ${audit.clashes.slice(0, 5).join('; ')}`);
  if (audit.waitlistOrder.length > 0) failures.push(`waitlists out of order: ${audit.waitlistOrder.slice(0, 5).join('; ')}`);
  return failures;
}
