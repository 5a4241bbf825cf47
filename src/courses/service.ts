import type { Clock } from '../clock.js';
import { type DurableLog, PersistencePending, PersistenceRefused } from '../durable/log.js';
import type { RebuildSteps, Rebuilds } from '../durable/rebuild.js';
import { DomainError, InvalidRequest } from '../errors.js';
import { KeyedBatcher } from '../redis/batcher.js';
import type { RedisClient } from '../redis/client.js';
import type { TermCatalog } from './catalog.js';
import type { TermCounters } from './counters.js';
import type { Deciders } from './deciders.js';
import {
  type CourseInput,
  type NewTermInput,
  resolveCourses,
  resolveNewTerm,
  resolveStudents,
  type StudentInput,
} from './domain/definitions.js';
import { pollAfterMs } from './domain/polling.js';
import { type Action, coursesOf } from './domain/types.js';
import { termKeys } from './keys.js';
import { type AcceptedEntry, type EntryContent, encodeContent } from './log-entry.js';
import type { CourseFill, CoursesRepository, Schedule, TermRecord } from './repository.js';
import type { RequestIds } from './request-ids.js';
import type { TermScripts } from './scripts.js';

/**
 * Seqs a restored counter skips above PostgreSQL's highest: requests accepted by the Redis that
 * was lost may still be on their way to PostgreSQL (in an instance's group commit), and their seqs
 * must not be given again. The decider voids the skipped seqs that never arrive (decider.ts).
 */
export const SEQ_MARGIN = 10_000;
/** How long an operator's course change waits for its decision before answering 202. */
const CHANGE_WAIT_MS = 5_000;
const COURSE_LIST_CACHE_MS = 1_000;
/** Decided results read back from PostgreSQL (Redis lost them), remembered per instance. */
const RESULT_CACHE_SIZE = 50_000;

export interface CoursesDeps {
  /** Webhooks to private addresses are refused unless FLOODGATE_WEBHOOK_ALLOW_PRIVATE=1. */
  webhookAllowPrivate: boolean;
  redis: RedisClient;
  prefix: string;
  repository: CoursesRepository;
  scripts: TermScripts;
  durable: DurableLog<AcceptedEntry>;
  rebuilds: Rebuilds;
  requestIds: RequestIds;
  clock: Clock;
  catalog: TermCatalog;
  counters: TermCounters;
  deciders: Deciders;
  /** Counts accepted entries and refusals (metrics). */
  onAccepted?(termId: string, outcome: 'queued' | 'rebuilding' | 'not_durable' | 'refused'): void;
}

export interface RequestInput {
  actions: Action[];
  allOrNothing?: boolean;
}

export interface Queued {
  requestId: string;
  status: 'queued';
  position: number;
  pollAfterMs: number;
}

export type RequestStatus = Queued | { requestId: string; status: 'decided'; results: unknown[]; decidedAt: string | null };

/** Who reads a request or a schedule: the student themselves (proven by a token), or an operator or partner. */
export type Viewer = { studentId: string } | 'operator';

type EnqueueOutcome = { kind: 'accepted'; seq: number; logId: string; decided: number } | { kind: 'state_missing' };

interface PublishedDecision {
  s: string | null;
  r: unknown[];
  d: number | null;
}

export class CoursesService {
  private readonly enqueuer: KeyedBatcher<string, string, EnqueueOutcome>;
  private readonly courseLists = new Map<string, { at: number; list: Promise<CourseFill[]> }>();
  private readonly decidedFromPostgres = new Map<string, PublishedDecision>();

  constructor(private readonly deps: CoursesDeps) {
    // Requests to one term arriving in the same event-loop turn share one run of enqueue-2.lua.
    this.enqueuer = new KeyedBatcher<string, string, EnqueueOutcome>(async (termId, contents) => {
      const batch = await deps.scripts.enqueue(termId, contents);
      if (batch.kind === 'state_missing') return contents.map(() => batch);
      return batch.entries.map((e) => ({ kind: 'accepted' as const, seq: e.seq, logId: e.logId, decided: batch.decided }));
    });
  }

  // ── operators ─────────────────────────────────────────────────────────────────────────────────

  async createTerm(input: NewTermInput): Promise<TermRecord> {
    const config = resolveNewTerm(input, { webhookAllowPrivate: this.deps.webhookAllowPrivate });
    if ('problem' in config) throw new InvalidRequest(config.problem);
    const record = await this.deps.repository.insertTerm(config);
    if (!record) throw new DomainError('term_exists');
    // Should this write be lost, the first request finds the counters missing and restores them.
    await this.deps.redis.hset(termKeys(this.deps.prefix, record.id).st, { seq: 0, decided: 0, ready: 1 }).catch(() => {});
    this.deps.catalog.setTerm(record);
    return record;
  }

  listTerms(): Promise<TermRecord[]> {
    return this.deps.repository.listTerms();
  }

  async term(termId: string): Promise<TermRecord> {
    const term = await this.deps.catalog.term(termId);
    if (!term) throw new DomainError('term_not_found');
    return term;
  }

  async progress(termId: string) {
    const [progress, counters] = await Promise.all([
      this.deps.repository.progress(termId),
      this.deps.counters.get(termId, { fresh: true }),
    ]);
    return {
      accepted: counters.ready ? Math.max(counters.seq, progress.lastSeq) : progress.lastSeq,
      decided: progress.decidedSeq,
      decider: progress.leaseUntil && progress.leaseUntil.getTime() > Date.now() ? { id: progress.decider, fence: progress.fence } : null,
    };
  }

  async addCourses(termId: string, inputs: CourseInput[]): Promise<{ created: number; unchanged: number }> {
    await this.term(termId);
    const result = await this.deps.repository.insertCourses(termId, (existingIds) => {
      const records = resolveCourses(inputs, existingIds);
      if ('problem' in records) throw new InvalidRequest(records.problem);
      return records;
    });
    this.deps.catalog.noteCourses(
      termId,
      inputs.map((c) => c.id),
    );
    this.courseLists.delete(termId);
    return result;
  }

  /**
   * Adds or updates students. An update (a hold lifted, a course completed) reaches the decider
   * before the requests accepted after it (decider.ts reads the catalogue's version with each
   * batch); a refresh entry, queued in the term's order, gives the students that existed a pass
   * at any free seat they wait for. It is queued for every student that existed, changed or not:
   * a bulk sent again after a failure refreshes them again (harmless), so none is ever missed.
   */
  async addStudents(termId: string, inputs: StudentInput[]): Promise<{ created: number; updated: number; unchanged: number }> {
    await this.term(termId);
    const records = resolveStudents(inputs);
    if ('problem' in records) throw new InvalidRequest(records.problem);
    const result = await this.deps.repository.upsertStudents(termId, records);
    this.deps.catalog.noteStudents(
      termId,
      records.map((r) => r.id),
    );
    const created = new Set(result.created);
    const existing = records.filter((r) => !created.has(r.id)).map((r) => r.id);
    if (existing.length > 0) {
      await this.accept(termId, { kind: 'refresh', studentId: null, body: { students: existing }, at: this.deps.clock.now() });
    }
    return { created: result.created.length, updated: result.updated.length, unchanged: result.unchanged };
  }

  /** Every course with its fill, as committed (cached for a second per instance: a catalogue under a surge). */
  listCourses(termId: string): Promise<CourseFill[]> {
    const cached = this.courseLists.get(termId);
    if (cached && Date.now() - cached.at < COURSE_LIST_CACHE_MS) return cached.list;
    const list = this.deps.repository.listCourses(termId);
    this.courseLists.set(termId, { at: Date.now(), list });
    list.catch(() => this.courseLists.delete(termId));
    return list;
  }

  async course(termId: string, courseId: string): Promise<CourseFill> {
    const course = await this.deps.repository.getCourse(termId, courseId);
    if (!course) throw new DomainError('course_not_found');
    return course;
  }

  /**
   * Changes a course's capacity or waitlist size in order with the requests: the change is queued
   * like a request and decided by the decider (it may promote waitlisted students). Waits a few
   * seconds for the decision; answers the queued status when it takes longer.
   */
  async changeCourse(
    termId: string,
    courseId: string,
    change: { capacity?: number; waitlist?: number },
  ): Promise<{ kind: 'applied'; course: CourseFill } | { kind: 'queued'; status: Queued }> {
    await this.term(termId);
    if ((await this.deps.catalog.missingCourses(termId, [courseId])).length > 0) throw new DomainError('course_not_found');
    const body = {
      courseId,
      ...(change.capacity !== undefined ? { capacity: change.capacity } : {}),
      ...(change.waitlist !== undefined ? { waitlistSize: change.waitlist } : {}),
    };
    const accepted = await this.accept(termId, { kind: 'change', studentId: null, body, at: this.deps.clock.now() });
    const deadline = Date.now() + CHANGE_WAIT_MS;
    for (;;) {
      const status = await this.status(termId, accepted.requestId, 'operator');
      if (status.status === 'decided') {
        const [result] = status.results as Array<{ outcome: string; reason?: string }>;
        const course = await this.course(termId, courseId);
        if (result?.outcome !== 'applied') {
          throw new DomainError('capacity_below_enrolled', {
            reason: result?.reason,
            enrolled: course.enrolled,
            waitlisted: course.waitlisted,
          });
        }
        this.courseLists.delete(termId);
        return { kind: 'applied', course };
      }
      if (Date.now() > deadline) return { kind: 'queued', status };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  // ── students ──────────────────────────────────────────────────────────────────────────────────

  /** Accepts a student's request: answered once it is durable in PostgreSQL, with its place in line. */
  async submit(term: TermRecord, studentId: string, input: RequestInput): Promise<Queued> {
    for (const action of input.actions) {
      if ('swap' in action && action.swap.drop === action.swap.add)
        throw new InvalidRequest('a swap must drop and add two different courses');
    }
    const missing = await this.deps.catalog.missingCourses(term.id, [...new Set(input.actions.flatMap(coursesOf))]);
    if (missing.length > 0) throw new DomainError('course_not_found', { courseIds: missing });
    if (!(await this.deps.catalog.isStudent(term.id, studentId))) throw new DomainError('student_not_found');
    const accepted = await this.accept(term.id, {
      kind: 'request',
      studentId,
      body: { actions: input.actions, allOrNothing: input.allOrNothing ?? false },
      at: this.deps.clock.now(),
    });
    const counters = await this.deps.counters.get(term.id).catch(() => null);
    const position = Math.max(1, accepted.seq - Math.max(accepted.decided, counters?.decided ?? 0));
    return {
      requestId: accepted.requestId,
      status: 'queued',
      position,
      pollAfterMs: pollAfterMs(position, counters?.decidedPerSecond ?? 0, Math.random()),
    };
  }

  /** A request's status: queued with its position (from the cached counters), or decided with its results. */
  async status(termId: string, requestId: string, viewer: Viewer): Promise<RequestStatus> {
    const seq =
      viewer === 'operator' ? this.deps.requestIds.parse(requestId)?.seq : this.deps.requestIds.verify(termId, requestId, viewer.studentId);
    if (seq === undefined || seq === null) throw new DomainError('request_not_found');
    let counters = await this.deps.counters.get(termId);
    if (counters.ready && seq > counters.seq) counters = await this.deps.counters.get(termId, { fresh: true });
    if (counters.ready && seq > counters.decided && seq <= counters.seq) {
      const position = seq - counters.decided;
      return { requestId, status: 'queued', position, pollAfterMs: pollAfterMs(position, counters.decidedPerSecond, Math.random()) };
    }
    const decision = (await this.publishedDecision(termId, seq)) ?? (await this.storedDecision(termId, seq));
    if (decision === 'unknown') throw new DomainError('request_not_found');
    // An operator's id is checked here, against the student the request was made for.
    const owner = decision === 'queued' ? undefined : decision.s;
    if (viewer === 'operator' && owner !== undefined && this.deps.requestIds.verify(termId, requestId, owner) === null) {
      throw new DomainError('request_not_found');
    }
    if (decision === 'queued') {
      const position = Math.max(1, seq - counters.decided);
      return { requestId, status: 'queued', position, pollAfterMs: pollAfterMs(position, 0, Math.random()) };
    }
    return {
      requestId,
      status: 'decided',
      results: decision.r,
      decidedAt: decision.d !== null ? new Date(decision.d).toISOString() : null,
    };
  }

  private async publishedDecision(termId: string, seq: number): Promise<PublishedDecision | null> {
    const json = await this.deps.redis.hget(termKeys(this.deps.prefix, termId).res, String(seq));
    return json ? (JSON.parse(json) as PublishedDecision) : null;
  }

  /** From PostgreSQL, when Redis does not have it (lost, or not published yet). */
  private async storedDecision(termId: string, seq: number): Promise<PublishedDecision | 'queued' | 'unknown'> {
    const key = `${termId}\n${seq}`;
    const cached = this.decidedFromPostgres.get(key);
    if (cached) return cached;
    const row = await this.deps.repository.request(termId, seq);
    if (!row || row.kind === 'void') return 'unknown';
    if (row.results === null) return 'queued';
    const decision: PublishedDecision = { s: row.studentId, r: row.results, d: null };
    if (this.decidedFromPostgres.size >= RESULT_CACHE_SIZE) this.decidedFromPostgres.clear();
    this.decidedFromPostgres.set(key, decision);
    return decision;
  }

  /** A student's schedule as committed: enrolled courses, credits, waitlist places (and why they were passed over). */
  async schedule(
    term: TermRecord,
    studentId: string,
  ): Promise<{ student: { id: string; group: string; holds: string[] }; schedule: Schedule }> {
    const [student, schedule] = await Promise.all([
      this.deps.repository.student(term.id, studentId),
      this.deps.repository.schedule(term.id, studentId),
    ]);
    if (!student) throw new DomainError('student_not_found');
    return { student: { id: student.id, group: student.group, holds: student.holds }, schedule };
  }

  // ── acceptance ────────────────────────────────────────────────────────────────────────────────

  /** Gives the entry its seq (Redis), makes it durable (PostgreSQL), and wakes the term's decider. */
  private async accept(termId: string, content: EntryContent): Promise<{ seq: number; decided: number; requestId: string }> {
    const outcome = await this.enqueuer.add(termId, encodeContent(content));
    if (outcome.kind === 'state_missing') {
      this.deps.onAccepted?.(termId, 'rebuilding');
      this.startRebuild(termId);
      throw new DomainError('term_rebuilding');
    }
    const requestId = this.deps.requestIds.for(termId, outcome.seq, content.studentId);
    try {
      await this.deps.durable.commit({ entity: termId, logId: outcome.logId, entry: { ...content, termId, seq: outcome.seq } });
    } catch (err) {
      if (err instanceof PersistencePending) {
        this.deps.onAccepted?.(termId, 'not_durable');
        throw new DomainError('request_not_durable', { requestId });
      }
      if (err instanceof PersistenceRefused) {
        // Its seq collides with a void (it came too late) or with another request (a Redis that
        // went back in time gave it twice): never confirmed. A counter behind PostgreSQL is restored.
        this.deps.onAccepted?.(termId, 'refused');
        void this.restoreIfBehind(termId);
        throw new DomainError('term_rebuilding');
      }
      throw err;
    }
    this.deps.onAccepted?.(termId, 'queued');
    this.deps.deciders.wake(termId);
    return { seq: outcome.seq, decided: outcome.decided, requestId };
  }

  // ── restoring Redis's counters ────────────────────────────────────────────────────────────────

  startRebuild(termId: string, options: { force?: boolean } = {}): void {
    this.deps.rebuilds.start(termId, () => this.rebuildSteps(termId, options));
  }

  /** Restores a term's counters from PostgreSQL (see durable/rebuild.ts); true once restored. */
  rebuild(termId: string, options: { force?: boolean } = {}): Promise<boolean> {
    return this.deps.rebuilds.run(termId, this.rebuildSteps(termId, options));
  }

  private async restoreIfBehind(termId: string): Promise<void> {
    const [counters, stored] = await Promise.all([
      this.deps.counters.get(termId, { fresh: true }).catch(() => null),
      this.deps.repository.counters(termId).catch(() => null),
    ]);
    if (counters && stored && counters.ready && counters.seq <= stored.maxSeq) this.startRebuild(termId, { force: true });
  }

  private rebuildSteps(termId: string, options: { force?: boolean }): RebuildSteps {
    const keys = termKeys(this.deps.prefix, termId);
    return {
      leaseKey: keys.rebuild,
      begin: async () => {
        if (!(await this.deps.repository.getTerm(termId))) return false;
        // Unless forced (a counter that went back), a term whose counters are there needs nothing.
        if (!options.force && (await this.deps.redis.hget(keys.st, 'ready')) === '1') return false;
        // Nothing is accepted until the restore marks the counters ready again.
        await this.deps.redis.hdel(keys.st, 'ready');
        return true;
      },
      restore: async (leaseToken) => {
        const counters = await this.deps.repository.counters(termId);
        if (!counters) return false;
        return this.deps.scripts.restore(termId, leaseToken, counters.maxSeq + SEQ_MARGIN, counters.decidedSeq);
      },
    };
  }
}
