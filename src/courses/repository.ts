// PostgreSQL, for everything but the decider's own transactions (decision-store.ts): terms and
// their catalogue, the accepted requests (the durable pipeline's store), and what students and
// operators read back.
import type { Pool, PoolClient } from '../db/pool.js';
import { inTransaction } from '../db/pool.js';
import type { DurableStore, StoreVerdict } from '../durable/persist.js';
import { DomainError, InvalidRequest } from '../errors.js';
import { type CourseRecord, type StudentRecord, sameCourse, type TermConfig } from './domain/definitions.js';
import type { Meeting } from './domain/types.js';
import type { AcceptedEntry } from './log-entry.js';

export interface TermRecord extends TermConfig {
  createdAt: Date;
}

interface TermRow {
  id: string;
  name: string;
  min_credits: number;
  max_credits: number;
  room_id: string | null;
  windows: Array<{ group: string; opensAt: string }>;
  closes_at: Date | null;
  webhook_url: string | null;
  created_at: Date;
}

export function termFromRow(row: TermRow): TermRecord {
  return {
    id: row.id,
    name: row.name,
    minCredits: row.min_credits,
    maxCredits: row.max_credits,
    roomId: row.room_id,
    windows: row.windows.map((w) => ({ group: w.group, opensAt: new Date(w.opensAt) })),
    closesAt: row.closes_at,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
  };
}

export interface CourseRow {
  id: string;
  title: string;
  credits: number;
  capacity: number;
  waitlist_size: number;
  meetings: Meeting[];
  requires: string[];
  linked: string[];
  enrolled: number;
  waitlisted: number;
}

export function courseFromRow(row: CourseRow): CourseRecord {
  return {
    id: row.id,
    title: row.title,
    credits: row.credits,
    capacity: row.capacity,
    waitlistSize: row.waitlist_size,
    meetings: row.meetings,
    requires: row.requires,
    linked: row.linked,
  };
}

export interface CourseFill extends CourseRecord {
  enrolled: number;
  waitlisted: number;
}

/** A request's row as the status and the audit read it. */
export interface StoredRequest {
  seq: number;
  kind: 'request' | 'change' | 'refresh' | 'void';
  studentId: string | null;
  results: unknown[] | null;
}

export interface Schedule {
  enrolled: Array<{ courseId: string; title: string; credits: number; meetings: Meeting[]; promoted: boolean }>;
  waitlists: Array<{ courseId: string; title: string; position: number; skippedBecause: string | null }>;
}

const COURSE_COLUMNS = 'id, title, credits, capacity, waitlist_size, meetings, requires, linked, enrolled, waitlisted';

/** Accepted entries, written by the group commit and the sweeper; see persist(). */
const PERSIST_ENTRIES = `
INSERT INTO course_requests (term_id, seq, kind, student_id, body, accepted_at)
SELECT term_id, seq, kind, student_id, body, to_timestamp(at_ms / 1000.0)
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[], $6::bigint[])
    AS i(term_id, seq, kind, student_id, body, at_ms)`;
/** Of the given entries, those stored exactly as given (a replay by the sweeper, a retry). */
const REPLAYED_ENTRIES = `
SELECT i.term_id, i.seq
  FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::jsonb[]) AS i(term_id, seq, kind, student_id, body)
  JOIN course_requests r ON r.term_id = i.term_id AND r.seq = i.seq AND r.kind = i.kind
   AND r.student_id IS NOT DISTINCT FROM i.student_id AND r.body = i.body`;

export class CoursesRepository implements DurableStore<AcceptedEntry> {
  constructor(private readonly pool: Pool) {}

  // ── terms ─────────────────────────────────────────────────────────────────────────────────────

  /** Inserts the term; null when one with the same id exists. A roomId that is no room is refused. */
  async insertTerm(c: TermConfig): Promise<TermRecord | null> {
    const result = await this.pool
      .query<TermRow>(
        `INSERT INTO terms (id, name, min_credits, max_credits, room_id, windows, closes_at, webhook_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [
          c.id,
          c.name,
          c.minCredits,
          c.maxCredits,
          c.roomId,
          JSON.stringify(c.windows.map((w) => ({ group: w.group, opensAt: w.opensAt.toISOString() }))),
          c.closesAt,
          c.webhookUrl,
        ],
      )
      .catch((err: unknown) => {
        // The foreign key on room_id is the check: rooms are the waiting room's, not ours to read.
        if ((err as { code?: unknown }).code === '23503') throw new InvalidRequest(`roomId "${c.roomId}" is not a room`);
        throw err;
      });
    return result.rows[0] ? termFromRow(result.rows[0]) : null;
  }

  async getTerm(id: string): Promise<TermRecord | null> {
    const { rows } = await this.pool.query<TermRow>('SELECT * FROM terms WHERE id = $1', [id]);
    return rows[0] ? termFromRow(rows[0]) : null;
  }

  async listTerms(): Promise<TermRecord[]> {
    return (await this.pool.query<TermRow>('SELECT * FROM terms ORDER BY id')).rows.map(termFromRow);
  }

  async listTermIds(): Promise<string[]> {
    return (await this.pool.query<{ id: string }>('SELECT id FROM terms ORDER BY id')).rows.map((r) => r.id);
  }

  /** How far a term is: accepted entries PostgreSQL holds, decided up to, and who decides. */
  async progress(
    termId: string,
  ): Promise<{ decidedSeq: number; lastSeq: number; fence: number; decider: string | null; leaseUntil: Date | null }> {
    const { rows } = await this.pool.query<{
      decided_seq: number;
      last_seq: number;
      fence: number;
      decider: string | null;
      lease_until: Date | null;
    }>(
      `SELECT t.decided_seq, t.fence, t.decider, t.lease_until,
              coalesce((SELECT max(seq) FROM course_requests r WHERE r.term_id = t.id), 0) AS last_seq
         FROM terms t WHERE t.id = $1`,
      [termId],
    );
    const row = rows[0];
    if (!row) throw new DomainError('term_not_found');
    return { decidedSeq: row.decided_seq, lastSeq: row.last_seq, fence: row.fence, decider: row.decider, leaseUntil: row.lease_until };
  }

  // ── catalogue ─────────────────────────────────────────────────────────────────────────────────

  async courseIds(termId: string): Promise<string[]> {
    return (await this.pool.query<{ id: string }>('SELECT id FROM courses WHERE term_id = $1', [termId])).rows.map((r) => r.id);
  }

  async studentIds(termId: string): Promise<string[]> {
    return (await this.pool.query<{ id: string }>('SELECT id FROM students WHERE term_id = $1', [termId])).rows.map((r) => r.id);
  }

  async listCourses(termId: string): Promise<CourseFill[]> {
    const { rows } = await this.pool.query<CourseRow>(`SELECT ${COURSE_COLUMNS} FROM courses WHERE term_id = $1 ORDER BY id`, [termId]);
    return rows.map((r) => ({ ...courseFromRow(r), enrolled: r.enrolled, waitlisted: r.waitlisted }));
  }

  async getCourse(termId: string, courseId: string): Promise<CourseFill | null> {
    const { rows } = await this.pool.query<CourseRow>(`SELECT ${COURSE_COLUMNS} FROM courses WHERE term_id = $1 AND id = $2`, [
      termId,
      courseId,
    ]);
    return rows[0] ? { ...courseFromRow(rows[0]), enrolled: rows[0].enrolled, waitlisted: rows[0].waitlisted } : null;
  }

  /**
   * Adds courses in one transaction: new ids are inserted; an id that exists with the same
   * definition is left as it is (a bulk sent again); an id that exists with a different one
   * refuses the whole bulk (`course_conflict`). Linked ids are checked against the term's courses
   * under the term's lock, so two bulks cannot each rely on the other.
   */
  async insertCourses(
    termId: string,
    resolve: (existingIds: ReadonlySet<string>) => CourseRecord[],
  ): Promise<{ created: number; unchanged: number }> {
    return inTransaction(this.pool, async (client) => {
      const version = await this.bumpCatalog(client, termId);
      const existingIds = new Set(
        (await client.query<{ id: string }>('SELECT id FROM courses WHERE term_id = $1', [termId])).rows.map((r) => r.id),
      );
      const records = resolve(existingIds);
      const fresh = records.filter((r) => !existingIds.has(r.id));
      const known = records.filter((r) => existingIds.has(r.id));
      if (known.length > 0) {
        const { rows } = await client.query<CourseRow>(`SELECT ${COURSE_COLUMNS} FROM courses WHERE term_id = $1 AND id = ANY($2)`, [
          termId,
          known.map((r) => r.id),
        ]);
        const stored = new Map(rows.map((r) => [r.id, courseFromRow(r)]));
        const different = known.filter((r) => !sameCourse(r, stored.get(r.id)!)).map((r) => r.id);
        if (different.length > 0) throw new DomainError('course_conflict', { courseIds: different.slice(0, 100) });
      }
      if (fresh.length > 0) {
        await client.query(
          `INSERT INTO courses (term_id, id, title, credits, capacity, waitlist_size, created_capacity, created_waitlist_size,
                                meetings, requires, linked, version)
           SELECT $1, id, title, credits, capacity, waitlist_size, capacity, waitlist_size, meetings, requires, linked, $2
             FROM jsonb_to_recordset($3::jsonb)
               AS c(id text, title text, credits int, capacity int, waitlist_size int, meetings jsonb, requires text[], linked text[])`,
          [
            termId,
            version,
            JSON.stringify(
              fresh.map((r) => ({
                id: r.id,
                title: r.title,
                credits: r.credits,
                capacity: r.capacity,
                waitlist_size: r.waitlistSize,
                meetings: r.meetings,
                requires: r.requires,
                linked: r.linked,
              })),
            ),
          ],
        );
      }
      return { created: fresh.length, unchanged: known.length };
    });
  }

  /** Adds students and updates those that exist (group, completed courses, holds). */
  async upsertStudents(
    termId: string,
    records: readonly StudentRecord[],
  ): Promise<{ created: string[]; updated: string[]; unchanged: number }> {
    return inTransaction(this.pool, async (client) => {
      const version = await this.bumpCatalog(client, termId);
      const { rows } = await client.query<{ id: string; inserted: boolean }>(
        `INSERT INTO students (term_id, id, grp, completed, holds, version)
         SELECT $1, id, grp, completed, holds, $2 FROM jsonb_to_recordset($3::jsonb) AS s(id text, grp text, completed text[], holds text[])
         ON CONFLICT (term_id, id) DO UPDATE SET grp = excluded.grp, completed = excluded.completed, holds = excluded.holds, version = excluded.version
          WHERE (students.grp, students.completed, students.holds) IS DISTINCT FROM (excluded.grp, excluded.completed, excluded.holds)
         RETURNING id, (xmax = 0) AS inserted`,
        [termId, version, JSON.stringify(records.map((r) => ({ id: r.id, grp: r.group, completed: r.completed, holds: r.holds })))],
      );
      const created = rows.filter((r) => r.inserted).map((r) => r.id);
      const updated = rows.filter((r) => !r.inserted).map((r) => r.id);
      return { created, updated, unchanged: records.length - rows.length };
    });
  }

  /** The term's next catalogue version, taken under the term's row lock (which serialises catalogue changes). */
  private async bumpCatalog(client: PoolClient, termId: string): Promise<number> {
    const { rows } = await client.query<{ catalog_version: number }>(
      'UPDATE terms SET catalog_version = catalog_version + 1 WHERE id = $1 RETURNING catalog_version',
      [termId],
    );
    if (!rows[0]) throw new DomainError('term_not_found');
    return rows[0].catalog_version;
  }

  // ── accepted requests (the durable pipeline's store) ──────────────────────────────────────────

  /**
   * Persists accepted entries in one statement, idempotently: 'stored' when written now or when
   * the very same entry was there (a sweeper's replay), 'conflict' when its (term, seq) holds
   * something else: a void the decider wrote after waiting for it too long, or an entry of a
   * Redis that gave the seq twice. Such an entry must never be confirmed.
   */
  async persist(entries: readonly AcceptedEntry[]): Promise<StoreVerdict[]> {
    const columns = [
      entries.map((e) => e.termId),
      entries.map((e) => e.seq),
      entries.map((e) => e.kind),
      entries.map((e) => e.studentId),
      entries.map((e) => JSON.stringify(e.body)),
      entries.map((e) => e.at),
    ];
    try {
      await this.pool.query({ name: 'floodgate-persist-course-requests', text: PERSIST_ENTRIES, values: columns });
      return entries.map(() => 'stored');
    } catch (err) {
      if ((err as { code?: unknown }).code !== '23505') throw err;
    }
    // Some are there already: write the others, then sort out which of those were the same.
    const inserted = await this.pool.query<{ term_id: string; seq: number }>(
      `${PERSIST_ENTRIES} ON CONFLICT (term_id, seq) DO NOTHING RETURNING term_id, seq`,
      columns,
    );
    const replayed = await this.pool.query<{ term_id: string; seq: number }>(REPLAYED_ENTRIES, columns.slice(0, 5));
    const ok = new Set([...inserted.rows, ...replayed.rows].map((r) => `${r.term_id}\n${r.seq}`));
    return entries.map((e) => (ok.has(`${e.termId}\n${e.seq}`) ? 'stored' : 'conflict'));
  }

  /** The highest seq PostgreSQL holds for the term and how far it is decided (to restore Redis's counters). */
  async counters(termId: string): Promise<{ maxSeq: number; decidedSeq: number } | null> {
    const { rows } = await this.pool.query<{ max_seq: number; decided_seq: number }>(
      `SELECT t.decided_seq, coalesce((SELECT max(seq) FROM course_requests r WHERE r.term_id = t.id), 0) AS max_seq
         FROM terms t WHERE t.id = $1`,
      [termId],
    );
    return rows[0] ? { maxSeq: rows[0].max_seq, decidedSeq: rows[0].decided_seq } : null;
  }

  async request(termId: string, seq: number): Promise<StoredRequest | null> {
    const { rows } = await this.pool.query<{
      seq: number;
      kind: StoredRequest['kind'];
      student_id: string | null;
      results: unknown[] | null;
    }>(
      `SELECT r.seq, r.kind, r.student_id, d.results
         FROM course_requests r LEFT JOIN course_decisions d ON d.term_id = r.term_id AND d.seq = r.seq
        WHERE r.term_id = $1 AND r.seq = $2`,
      [termId, seq],
    );
    const row = rows[0];
    return row ? { seq: row.seq, kind: row.kind, studentId: row.student_id, results: row.results } : null;
  }

  // ── what students read ────────────────────────────────────────────────────────────────────────

  async student(termId: string, studentId: string): Promise<StudentRecord | null> {
    const { rows } = await this.pool.query<{ id: string; grp: string; completed: string[]; holds: string[] }>(
      'SELECT id, grp, completed, holds FROM students WHERE term_id = $1 AND id = $2',
      [termId, studentId],
    );
    const row = rows[0];
    return row ? { id: row.id, group: row.grp, completed: row.completed, holds: row.holds } : null;
  }

  /** A student's enrolled courses and waitlist places, as committed. */
  async schedule(termId: string, studentId: string): Promise<Schedule> {
    const [enrolled, waitlists] = await Promise.all([
      this.pool.query<{ course_id: string; title: string; credits: number; meetings: Meeting[]; promoted: boolean }>(
        `SELECT e.course_id, c.title, c.credits, c.meetings, e.promoted
           FROM enrollments e JOIN courses c ON c.term_id = e.term_id AND c.id = e.course_id
          WHERE e.term_id = $1 AND e.student_id = $2 ORDER BY e.course_id`,
        [termId, studentId],
      ),
      this.pool.query<{ course_id: string; title: string; position: number; skipped_because: string | null }>(
        `SELECT w.course_id, c.title, w.skipped_because,
                (SELECT count(*)::int FROM waitlist_entries o WHERE o.term_id = w.term_id AND o.course_id = w.course_id AND o.seq <= w.seq) AS position
           FROM waitlist_entries w JOIN courses c ON c.term_id = w.term_id AND c.id = w.course_id
          WHERE w.term_id = $1 AND w.student_id = $2 ORDER BY w.course_id`,
        [termId, studentId],
      ),
    ]);
    return {
      enrolled: enrolled.rows.map((r) => ({
        courseId: r.course_id,
        title: r.title,
        credits: r.credits,
        meetings: r.meetings,
        promoted: r.promoted,
      })),
      waitlists: waitlists.rows.map((r) => ({
        courseId: r.course_id,
        title: r.title,
        position: r.position,
        skippedBecause: r.skipped_because,
      })),
    };
  }
}
