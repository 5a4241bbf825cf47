// The decider's PostgreSQL: its lease and fence, the state it loads when it takes a term over, the
// committed requests it reads in seq order, and the one transaction per batch that writes what
// the batch decided. Every write is conditional on the fence (see decider.ts for why).
import type { Pool, PoolClient } from '../db/pool.js';
import type { OutboxMessage, OutboxPort } from '../outbox/port.js';
import type { CourseRecord, StudentRecord } from './domain/definitions.js';
import type { SkipReason } from './domain/types.js';
import { type CourseRow, courseFromRow, type TermRecord, termFromRow } from './repository.js';

/** The term was taken over by another decider (or its state moved under us): nothing was written. */
export class FenceLost extends Error {
  constructor(termId: string) {
    super(`the decider of term ${termId} lost its fence`);
    this.name = 'FenceLost';
  }
}

export interface Lease {
  fence: number;
  decidedSeq: number;
}

export interface LoadedTerm {
  term: TermRecord;
  catalogVersion: number;
  decidedSeq: number;
  courses: Array<CourseRecord & { enrolled: number; waitlisted: number }>;
  students: StudentRecord[];
  enrollments: Array<{ courseId: string; studentId: string }>;
  /** Per course in seq order. */
  waitlist: Array<{ courseId: string; studentId: string; seq: number; skippedBecause: SkipReason | null }>;
}

export interface PendingRow {
  seq: number;
  kind: 'request' | 'change' | 'refresh' | 'void';
  studentId: string | null;
  body: unknown;
  at: number;
}

/** What one batch of decisions changed, net, and the decisions themselves. */
export interface BatchWrite {
  termId: string;
  fence: number;
  /** decided_seq before the batch, and after it. */
  fromSeq: number;
  toSeq: number;
  decisions: Array<{ seq: number; results: string }>;
  enrollmentsOut: Array<{ courseId: string; studentId: string }>;
  enrollmentsIn: Array<{ courseId: string; studentId: string; seq: number; promoted: boolean }>;
  waitlistOut: Array<{ courseId: string; studentId: string }>;
  waitlistIn: Array<{ courseId: string; studentId: string; seq: number; skippedBecause: SkipReason | null }>;
  skips: Array<{ courseId: string; studentId: string; skippedBecause: SkipReason | null }>;
  limits: Array<{ courseId: string; capacity: number; waitlistSize: number }>;
  outbox: OutboxMessage[];
}

/**
 * A decider's transaction must not hold the term's row for long if its instance stalls (a pause, a
 * partition): PostgreSQL ends it, releasing the lock, so another instance can take over.
 */
const TX_LIMITS = "SET LOCAL idle_in_transaction_session_timeout = '3s'; SET LOCAL statement_timeout = '15s'";

export class DecisionStore {
  constructor(
    private readonly pool: Pool,
    private readonly outbox: OutboxPort,
  ) {}

  // ── the lease ─────────────────────────────────────────────────────────────────────────────────

  /** Takes the term's lease if it is free (never held, released, or expired): a new fence. */
  async acquire(termId: string, decider: string, leaseMs: number): Promise<Lease | null> {
    const { rows } = await this.pool.query<{ fence: number; decided_seq: number }>(
      `UPDATE terms SET fence = fence + 1, decider = $2, lease_until = clock_timestamp() + $3 * interval '1 millisecond'
        WHERE id = $1 AND (lease_until IS NULL OR lease_until < clock_timestamp())
        RETURNING fence, decided_seq`,
      [termId, decider, leaseMs],
    );
    return rows[0] ? { fence: rows[0].fence, decidedSeq: rows[0].decided_seq } : null;
  }

  /** Extends the lease; false when the fence is no longer ours. */
  async renew(termId: string, fence: number, leaseMs: number): Promise<boolean> {
    const result = await this.pool.query(
      `UPDATE terms SET lease_until = clock_timestamp() + $3 * interval '1 millisecond' WHERE id = $1 AND fence = $2`,
      [termId, fence, leaseMs],
    );
    return result.rowCount === 1;
  }

  /** Gives the lease up at once (shutdown, idle, or a failure after which our memory is not to be trusted). */
  async release(termId: string, fence: number): Promise<void> {
    await this.pool.query('UPDATE terms SET lease_until = NULL WHERE id = $1 AND fence = $2', [termId, fence]);
  }

  /** Terms with requests to decide and nobody deciding them. */
  async termsWaitingForADecider(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT t.id FROM terms t
        WHERE (t.lease_until IS NULL OR t.lease_until < clock_timestamp())
          AND EXISTS (SELECT 1 FROM course_requests r WHERE r.term_id = t.id AND r.seq > t.decided_seq)`,
    );
    return rows.map((r) => r.id);
  }

  // ── reading ───────────────────────────────────────────────────────────────────────────────────

  /** Everything a decider holds in memory, as committed (read after taking the lease). */
  async load(termId: string): Promise<LoadedTerm> {
    const client = await this.pool.connect();
    try {
      // One snapshot for all of it.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const term = await client.query('SELECT * FROM terms WHERE id = $1', [termId]);
      if (!term.rows[0]) throw new Error(`term ${termId} does not exist`);
      const courses = await client.query<CourseRow>('SELECT * FROM courses WHERE term_id = $1', [termId]);
      const students = await client.query<{ id: string; grp: string; completed: string[]; holds: string[] }>(
        'SELECT id, grp, completed, holds FROM students WHERE term_id = $1',
        [termId],
      );
      const enrollments = await client.query<{ course_id: string; student_id: string }>(
        'SELECT course_id, student_id FROM enrollments WHERE term_id = $1',
        [termId],
      );
      const waitlist = await client.query<{ course_id: string; student_id: string; seq: number; skipped_because: SkipReason | null }>(
        'SELECT course_id, student_id, seq, skipped_because FROM waitlist_entries WHERE term_id = $1 ORDER BY course_id, seq',
        [termId],
      );
      await client.query('COMMIT');
      return {
        term: termFromRow(term.rows[0]),
        catalogVersion: Number(term.rows[0].catalog_version),
        decidedSeq: Number(term.rows[0].decided_seq),
        courses: courses.rows.map((r) => ({ ...courseFromRow(r), enrolled: r.enrolled, waitlisted: r.waitlisted })),
        students: students.rows.map((r) => ({ id: r.id, group: r.grp, completed: r.completed, holds: r.holds })),
        enrollments: enrollments.rows.map((r) => ({ courseId: r.course_id, studentId: r.student_id })),
        waitlist: waitlist.rows.map((r) => ({
          courseId: r.course_id,
          studentId: r.student_id,
          seq: r.seq,
          skippedBecause: r.skipped_because,
        })),
      };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /**
   * The committed entries after `afterSeq`, in seq order, and the term's catalogue version in the
   * same snapshot: a course or student change that committed before an entry did is seen with it.
   */
  async pending(termId: string, afterSeq: number, limit: number): Promise<{ catalogVersion: number; rows: PendingRow[] }> {
    const { rows } = await this.pool.query<{
      catalog_version: number;
      seq: number | null;
      kind: PendingRow['kind'];
      student_id: string | null;
      body: unknown;
      at_ms: number | null;
    }>({
      name: 'floodgate-course-pending',
      text: `SELECT t.catalog_version, r.seq, r.kind, r.student_id, r.body, round(extract(epoch FROM r.accepted_at) * 1000)::bigint AS at_ms
               FROM terms t
               LEFT JOIN LATERAL (SELECT * FROM course_requests q WHERE q.term_id = t.id AND q.seq > $2 ORDER BY q.seq LIMIT $3) r ON true
              WHERE t.id = $1`,
      values: [termId, afterSeq, limit],
    });
    if (!rows[0]) throw new Error(`term ${termId} does not exist`);
    return {
      catalogVersion: Number(rows[0].catalog_version),
      rows: rows
        .filter((r) => r.seq !== null)
        .map((r) => ({ seq: Number(r.seq), kind: r.kind, studentId: r.student_id, body: r.body, at: Number(r.at_ms ?? 0) })),
    };
  }

  /** Courses and students changed since `version` (new ones included). */
  async changedSince(termId: string, version: number): Promise<{ courses: CourseRecord[]; students: StudentRecord[] }> {
    const [courses, students] = await Promise.all([
      this.pool.query<CourseRow>('SELECT * FROM courses WHERE term_id = $1 AND version > $2', [termId, version]),
      this.pool.query<{ id: string; grp: string; completed: string[]; holds: string[] }>(
        'SELECT id, grp, completed, holds FROM students WHERE term_id = $1 AND version > $2',
        [termId, version],
      ),
    ]);
    return {
      courses: courses.rows.map(courseFromRow),
      students: students.rows.map((r) => ({ id: r.id, group: r.grp, completed: r.completed, holds: r.holds })),
    };
  }

  // ── writing ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Declares seqs fromSeq..toSeq (a gap the decider waited for long enough) never accepted, by
   * writing 'void' rows: a request still on its way with one of these seqs then collides with its
   * void and is never confirmed. Seqs that were committed meanwhile keep their request.
   */
  async voidSeqs(termId: string, fence: number, fromSeq: number, toSeq: number): Promise<number> {
    return this.transaction(termId, fence, async (client) => {
      const { rowCount } = await client.query(
        `INSERT INTO course_requests (term_id, seq, kind) SELECT $1, g, 'void' FROM generate_series($2::bigint, $3::bigint) g
         ON CONFLICT (term_id, seq) DO NOTHING`,
        [termId, fromSeq, toSeq],
      );
      return rowCount ?? 0;
    });
  }

  /**
   * Commits one batch of decisions: the fence and decided_seq are checked and moved first (the
   * term's row stays locked until commit, so a takeover waits for this transaction or refuses it),
   * then the decisions, then the net changes: deletions before limits before insertions, so that
   * the counters' CHECKs hold after every statement (see the migration).
   */
  async commit(batch: BatchWrite): Promise<void> {
    await this.transaction(
      batch.termId,
      batch.fence,
      async (client) => {
        const t = batch.termId;
        await client.query({
          name: 'floodgate-course-decisions',
          text: `INSERT INTO course_decisions (term_id, seq, results, fence)
                 SELECT $1, seq, results, $2 FROM unnest($3::bigint[], $4::jsonb[]) AS d(seq, results)`,
          values: [t, batch.fence, batch.decisions.map((d) => d.seq), batch.decisions.map((d) => d.results)],
        });
        if (batch.enrollmentsOut.length > 0) {
          const { rowCount } = await client.query(
            `DELETE FROM enrollments e USING unnest($2::text[], $3::text[]) AS d(course_id, student_id)
              WHERE e.term_id = $1 AND e.course_id = d.course_id AND e.student_id = d.student_id`,
            [t, batch.enrollmentsOut.map((e) => e.courseId), batch.enrollmentsOut.map((e) => e.studentId)],
          );
          expectRows('enrollments deleted', rowCount, batch.enrollmentsOut.length);
        }
        if (batch.waitlistOut.length > 0) {
          const { rowCount } = await client.query(
            `DELETE FROM waitlist_entries w USING unnest($2::text[], $3::text[]) AS d(course_id, student_id)
              WHERE w.term_id = $1 AND w.course_id = d.course_id AND w.student_id = d.student_id`,
            [t, batch.waitlistOut.map((e) => e.courseId), batch.waitlistOut.map((e) => e.studentId)],
          );
          expectRows('waitlist entries deleted', rowCount, batch.waitlistOut.length);
        }
        if (batch.limits.length > 0) {
          await client.query(
            `UPDATE courses c SET capacity = l.capacity, waitlist_size = l.waitlist_size
               FROM unnest($2::text[], $3::int[], $4::int[]) AS l(course_id, capacity, waitlist_size)
              WHERE c.term_id = $1 AND c.id = l.course_id`,
            [t, batch.limits.map((l) => l.courseId), batch.limits.map((l) => l.capacity), batch.limits.map((l) => l.waitlistSize)],
          );
        }
        if (batch.enrollmentsIn.length > 0) {
          await client.query({
            name: 'floodgate-course-enrollments',
            text: `INSERT INTO enrollments (term_id, course_id, student_id, seq, promoted)
                   SELECT $1, course_id, student_id, seq, promoted FROM unnest($2::text[], $3::text[], $4::bigint[], $5::boolean[])
                     AS e(course_id, student_id, seq, promoted)`,
            values: [
              t,
              batch.enrollmentsIn.map((e) => e.courseId),
              batch.enrollmentsIn.map((e) => e.studentId),
              batch.enrollmentsIn.map((e) => e.seq),
              batch.enrollmentsIn.map((e) => e.promoted),
            ],
          });
        }
        if (batch.waitlistIn.length > 0) {
          await client.query({
            name: 'floodgate-course-waitlist',
            text: `INSERT INTO waitlist_entries (term_id, course_id, student_id, seq, skipped_because)
                   SELECT $1, course_id, student_id, seq, skipped_because FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[])
                     AS w(course_id, student_id, seq, skipped_because)`,
            values: [
              t,
              batch.waitlistIn.map((w) => w.courseId),
              batch.waitlistIn.map((w) => w.studentId),
              batch.waitlistIn.map((w) => w.seq),
              batch.waitlistIn.map((w) => w.skippedBecause),
            ],
          });
        }
        if (batch.skips.length > 0) {
          await client.query(
            `UPDATE waitlist_entries w SET skipped_because = s.reason
               FROM unnest($2::text[], $3::text[], $4::text[]) AS s(course_id, student_id, reason)
              WHERE w.term_id = $1 AND w.course_id = s.course_id AND w.student_id = s.student_id`,
            [t, batch.skips.map((s) => s.courseId), batch.skips.map((s) => s.studentId), batch.skips.map((s) => s.skippedBecause)],
          );
        }
        await this.outbox.enqueue(client, batch.outbox);
      },
      { fromSeq: batch.fromSeq, toSeq: batch.toSeq },
    );
  }

  /**
   * A transaction that first checks, and holds, the fence (and moves decided_seq when given):
   * FenceLost when the fence is no longer ours (or decided_seq is not where we left it).
   */
  private async transaction<T>(
    termId: string,
    fence: number,
    work: (client: PoolClient) => Promise<T>,
    progress?: { fromSeq: number; toSeq: number },
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query(`BEGIN; ${TX_LIMITS}`);
      const checked = progress
        ? await client.query({
            name: 'floodgate-course-fence-advance',
            text: `UPDATE terms SET decided_seq = $4, lease_until = greatest(lease_until, clock_timestamp() + interval '1 second')
                    WHERE id = $1 AND fence = $2 AND decided_seq = $3`,
            values: [termId, fence, progress.fromSeq, progress.toSeq],
          })
        : await client.query('UPDATE terms SET lease_until = lease_until WHERE id = $1 AND fence = $2', [termId, fence]);
      if (checked.rowCount !== 1) throw new FenceLost(termId);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

function expectRows(what: string, actual: number | null, expected: number): void {
  if (actual !== expected)
    throw new Error(`${what}: ${actual} rows instead of ${expected}: the decider's memory is not what PostgreSQL holds`);
}
