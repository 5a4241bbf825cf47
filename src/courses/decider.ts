// The decider of one term: the only writer of its enrollments, deciding its requests in arrival
// order, each exactly once, in batches.
//
// Why it is correct (docs/courses.md has the same argument with pictures):
//
// 1. Arrival order. A request's place is its seq, given by the term's Redis script (enqueue-2.lua)
//    in the same atomic step that appends it to the term's log, so accepted ⇔ logged ⇔ has a seq.
//    The 202 is sent only once the request's row (term, seq) is committed in PostgreSQL (the
//    durable pipeline's group commit; the sweeper persists what a dead instance left in the log).
//
// 2. The gap. Rows commit out of seq order (two instances, two batches in flight), so a reader of
//    `seq > decided ORDER BY seq` could pass over a seq that commits a moment later. The decider
//    never does: it decides only the contiguous run decided+1, decided+2, … of committed rows and
//    stops at the first missing seq. A seq missing for VOID_AFTER_MS (longer than the sweeper
//    needs to persist a dead instance's entries) belongs to a request that was never confirmed
//    (Redis lost it, or PostgreSQL refused it): the decider writes a 'void' row for it. The
//    primary key (term, seq) is the arbiter: if the real row commits first, the void is not
//    written and the request is decided; if the void commits first, the real row collides with it
//    and is never confirmed (its client gets an error, not a 202). Either way a seq is decided at
//    most once and never after a later one, and no 202 is ever skipped.
//
// 3. No seq given twice. A Redis that lost the term's counters has them restored from PostgreSQL
//    (the highest seq it holds plus a margin for entries still on their way), never from zero; a
//    reused seq would anyway collide in the primary key and never be confirmed.
//
// 4. One decider. The lease lives in the term's row: taking it increments `fence`. Each batch is
//    one transaction that starts by moving decided_seq from where this decider left it, on the
//    condition that the fence is still its own; the row stays locked to the commit. A decider
//    that was paused or partitioned past its lease is refused by PostgreSQL (FenceLost), and a
//    new decider loads the state only after taking the lease, i.e. after every write of the old
//    one that will ever commit. A transaction of a stalled decider is ended by PostgreSQL (idle
//    and statement timeouts) so its row lock cannot hold a takeover up.
//
// 5. Exactly once. A batch's decisions, enrollments, waitlists, counters, webhooks (outbox) and the
//    new decided_seq commit together or not at all. A decider killed mid-batch leaves nothing of
//    it; its successor decides the same seqs from the same state. course_decisions' primary key
//    refuses a second decision of a seq whatever happens upstream, and the counters' CHECKs refuse
//    over-enrollment.
//
// 6. The state a decision reads is the state after every earlier decision: the decider holds the
//    term's state in memory (loaded under its fence), applies the rules in seq order, and writes
//    the net changes of each batch; if a commit fails, that memory is dropped with the lease.
import type { FastifyBaseLogger } from 'fastify';
import type { OutboxMessage } from '../outbox/port.js';
import type { BatchWrite, DecisionStore, PendingRow } from './decision-store.js';
import { FenceLost } from './decision-store.js';
import { type CourseRecord, type StudentRecord, studentDef, termRules } from './domain/definitions.js';
import { Registrar } from './domain/registrar.js';
import { type Change, RegistrationState } from './domain/state.js';
import type { ActionResult, CourseChangeResult } from './domain/types.js';
import type { ChangeBody, RefreshBody, RequestBody } from './log-entry.js';
import type { TermRecord } from './repository.js';

/** The most entries one batch (one transaction) decides. */
export const MAX_BATCH = 2_000;
/**
 * How long a missing seq is waited for before it is declared never accepted: longer than the
 * sweeper takes to persist what a dead instance left in the log (durable/log.ts ORPHAN_AFTER_MS,
 * 3 s, swept every second by every instance).
 */
export const VOID_AFTER_MS = 8_000;
/** Sleep between reads when there was nothing to decide, growing to the longest. */
const IDLE_MIN_MS = 2;
const IDLE_MAX_MS = 50;

export interface DeciderDeps {
  store: DecisionStore;
  log: FastifyBaseLogger;
  /** The public id of a request (for webhooks). */
  requestId(termId: string, seq: number, studentId: string | null): string;
  /** Makes committed decisions visible to the polls (Redis); best effort. */
  publish(termId: string, decided: number, results: ReadonlyArray<{ seq: number; json: string }>): Promise<void>;
  /** Observes each committed batch (metrics). */
  onBatch?(entries: number, actions: number, ms: number): void;
  /** The time decisions are stamped with (webhooks). */
  now(): number;
  /** How long a missing seq is waited for (VOID_AFTER_MS; tests of lost entries shorten it). */
  voidAfterMs?: number;
}

type Decided =
  | { seq: number; kind: 'request'; studentId: string; results: ActionResult[] }
  | { seq: number; kind: 'change'; results: Array<CourseChangeResult & { courseId: string }> }
  | { seq: number; kind: 'refresh'; results: [] };

/**
 * Decides one term while it holds the fence given. run() loads the state and decides until it is
 * stopped, idles out, or loses the fence; it never decides again after that (a new lease, a new
 * TermDecider, a fresh load).
 */
export class TermDecider {
  private state = new RegistrationState();
  private registrar!: Registrar;
  private term!: TermRecord;
  private decided: number;
  private catalogVersion = 0;
  private stopped = false;
  private gap: { seq: number; since: number } | null = null;
  private wakeUp: (() => void) | null = null;
  private idleMs = IDLE_MIN_MS;
  /** When it last decided something (wall time, for idling out). */
  lastActiveAt = Date.now();

  constructor(
    readonly termId: string,
    readonly fence: number,
    decidedSeq: number,
    private readonly deps: DeciderDeps,
  ) {
    this.decided = decidedSeq;
  }

  get decidedSeq(): number {
    return this.decided;
  }

  /** Loads the term's state, then decides until stopped; throws FenceLost if it was taken over. */
  async run(): Promise<void> {
    await this.prepare();
    while (!this.stopped) {
      const progressed = await this.step();
      if (progressed) {
        this.idleMs = IDLE_MIN_MS;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.idleMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = null;
      this.idleMs = Math.min(IDLE_MAX_MS, this.idleMs * 2);
    }
  }

  /** Something was accepted for this term: read again now. */
  wake(): void {
    this.idleMs = IDLE_MIN_MS;
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.wakeUp?.();
  }

  /** Loads the term's state (run() does; tests drive prepare() and step() themselves). */
  async prepare(): Promise<void> {
    await this.load();
    await this.deps.publish(this.termId, this.decided, []).catch(() => {});
  }

  private async load(): Promise<void> {
    const loaded = await this.deps.store.load(this.termId);
    if (loaded.decidedSeq !== this.decided) throw new FenceLost(this.termId);
    this.term = loaded.term;
    this.catalogVersion = loaded.catalogVersion;
    const state = new RegistrationState();
    for (const c of loaded.courses) state.putCourse(c, c.capacity, c.waitlistSize);
    for (const s of loaded.students) state.putStudent(studentDef(s));
    for (const e of loaded.enrollments) state.loadEnrollment(e.courseId, e.studentId);
    for (const w of loaded.waitlist)
      state.loadWaitEntry(w.courseId, { studentId: w.studentId, seq: w.seq, skippedBecause: w.skippedBecause });
    this.state = state;
    this.registrar = new Registrar(state, termRules(this.term));
  }

  private applyCatalog(changed: { courses: CourseRecord[]; students: StudentRecord[] }): void {
    for (const c of changed.courses) {
      const known = this.state.courses.get(c.id);
      // Limits are the decisions' to change (in order); a course's definition never changes.
      this.state.putCourse(c, known?.capacity ?? c.capacity, known?.waitlistSize ?? c.waitlistSize);
    }
    for (const s of changed.students) this.state.putStudent(studentDef(s));
  }

  /** Reads what was committed after `decided` and decides its contiguous beginning; false when there was none. */
  async step(): Promise<boolean> {
    const { catalogVersion, rows } = await this.deps.store.pending(this.termId, this.decided, MAX_BATCH);
    if (catalogVersion !== this.catalogVersion) {
      this.applyCatalog(await this.deps.store.changedSince(this.termId, this.catalogVersion));
      this.catalogVersion = catalogVersion;
    }
    const batch: PendingRow[] = [];
    for (const row of rows) {
      if (row.seq !== this.decided + batch.length + 1) break;
      batch.push(row);
    }
    if (batch.length === 0) return rows.length > 0 ? this.waitForGap(rows[0]!.seq) : false;
    this.gap = null;
    await this.decideBatch(batch);
    return true;
  }

  /** The next seq is missing while later ones are committed: wait for it, up to VOID_AFTER_MS. */
  private async waitForGap(nextCommitted: number): Promise<boolean> {
    const missing = this.decided + 1;
    // Wall time, like the sweeper's: the wait is for what other processes do meanwhile.
    const now = Date.now();
    if (!this.gap || this.gap.seq !== missing) this.gap = { seq: missing, since: now };
    if (now - this.gap.since < (this.deps.voidAfterMs ?? VOID_AFTER_MS)) return false;
    const voided = await this.deps.store.voidSeqs(this.termId, this.fence, missing, nextCommitted - 1);
    this.deps.log.warn(
      { termId: this.termId, from: missing, to: nextCommitted - 1, voided },
      'seqs never committed within the void window: declared never accepted',
    );
    this.gap = null;
    return true;
  }

  private async decideBatch(batch: PendingRow[]): Promise<void> {
    const started = performance.now();
    const decided: Decided[] = [];
    let actions = 0;
    for (const row of batch) {
      switch (row.kind) {
        case 'void':
          break;
        case 'request': {
          const body = row.body as RequestBody;
          actions += body.actions.length;
          const results = this.registrar.decide({
            seq: row.seq,
            studentId: row.studentId!,
            actions: body.actions,
            allOrNothing: body.allOrNothing,
            at: row.at,
          });
          decided.push({ seq: row.seq, kind: 'request', studentId: row.studentId!, results });
          break;
        }
        case 'change': {
          const body = row.body as ChangeBody;
          const result = this.registrar.changeCourse({ seq: row.seq, ...body });
          decided.push({ seq: row.seq, kind: 'change', results: [{ courseId: body.courseId, ...result }] });
          break;
        }
        case 'refresh': {
          this.registrar.refresh((row.body as RefreshBody).students, row.seq);
          decided.push({ seq: row.seq, kind: 'refresh', results: [] });
          break;
        }
      }
    }
    const changes = this.state.drain();
    const decidedAt = this.deps.now();
    const toSeq = batch.at(-1)!.seq;
    const write: BatchWrite = {
      termId: this.termId,
      fence: this.fence,
      fromSeq: this.decided,
      toSeq,
      decisions: decided.map((d) => ({ seq: d.seq, results: JSON.stringify(d.results) })),
      ...netChanges(changes),
      outbox: this.webhooks(decided, changes, decidedAt),
    };
    await this.deps.store.commit(write);
    this.decided = toSeq;
    this.lastActiveAt = Date.now();
    this.deps.onBatch?.(batch.length, actions, performance.now() - started);
    await this.deps
      .publish(
        this.termId,
        toSeq,
        decided.map((d) => ({
          seq: d.seq,
          json: JSON.stringify({ s: d.kind === 'request' ? d.studentId : null, r: d.results, d: decidedAt }),
        })),
      )
      .catch((err: unknown) => this.deps.log.warn({ err, termId: this.termId }, 'publishing decisions failed; polls read PostgreSQL'));
  }

  private webhooks(decided: Decided[], changes: Change[], at: number): OutboxMessage[] {
    const url = this.term.webhookUrl;
    if (!url) return [];
    const decidedAt = new Date(at).toISOString();
    const messages: OutboxMessage[] = [];
    for (const d of decided) {
      if (d.kind !== 'request') continue;
      const requestId = this.deps.requestId(this.termId, d.seq, d.studentId);
      messages.push({
        topic: 'enrollment.decided',
        url,
        idempotencyKey: `enrollment.decided:${this.termId}:${d.seq}`,
        payload: { event: 'enrollment.decided', termId: this.termId, requestId, studentId: d.studentId, results: d.results, decidedAt },
      });
    }
    for (const c of changes) {
      if (c.kind !== 'enroll' || !c.promoted) continue;
      messages.push({
        topic: 'waitlist.promoted',
        url,
        idempotencyKey: `waitlist.promoted:${this.termId}:${c.courseId}:${c.studentId}:${c.seq}`,
        payload: { event: 'waitlist.promoted', termId: this.termId, courseId: c.courseId, studentId: c.studentId, promotedAt: decidedAt },
      });
    }
    return messages;
  }
}

type NetChanges = Pick<BatchWrite, 'enrollmentsOut' | 'enrollmentsIn' | 'waitlistOut' | 'waitlistIn' | 'skips' | 'limits'>;

/**
 * What a batch's changes come to, per row: an enrollment (or waitlist entry) that existed before
 * the batch and not after is deleted, one that exists after and not before is inserted, one that
 * left and came back is both (in that order); skip reasons and limits take their last value.
 */
export function netChanges(changes: readonly Change[]): NetChanges {
  const enrollments = new Map<string, { first: Change; last: Change }>();
  const waits = new Map<string, { first: Change; last: Change }>();
  const skipped = new Map<string, Extract<Change, { kind: 'skip' }>>();
  const limits = new Map<string, { capacity: number; waitlistSize: number }>();
  const track = (map: Map<string, { first: Change; last: Change }>, key: string, change: Change) => {
    const seen = map.get(key);
    if (seen) seen.last = change;
    else map.set(key, { first: change, last: change });
  };
  for (const c of changes) {
    switch (c.kind) {
      case 'enroll':
      case 'unenroll':
        track(enrollments, `${c.courseId}\n${c.studentId}`, c);
        break;
      case 'wait':
      case 'unwait':
        track(waits, `${c.courseId}\n${c.entry.studentId}`, c);
        break;
      case 'skip':
        skipped.set(`${c.courseId}\n${c.entry.studentId}`, c);
        break;
      case 'limits':
        limits.set(c.courseId, c.after);
        break;
    }
  }
  const net: NetChanges = { enrollmentsOut: [], enrollmentsIn: [], waitlistOut: [], waitlistIn: [], skips: [], limits: [] };
  for (const { first, last } of enrollments.values()) {
    if (first.kind === 'unenroll') net.enrollmentsOut.push({ courseId: first.courseId, studentId: first.studentId });
    if (last.kind === 'enroll')
      net.enrollmentsIn.push({ courseId: last.courseId, studentId: last.studentId, seq: last.seq, promoted: last.promoted });
  }
  const rewritten = new Set<string>();
  for (const [key, { first, last }] of waits) {
    if (first.kind === 'unwait') net.waitlistOut.push({ courseId: first.courseId, studentId: first.entry.studentId });
    if (last.kind === 'wait') {
      net.waitlistIn.push({
        courseId: last.courseId,
        studentId: last.entry.studentId,
        seq: last.entry.seq,
        skippedBecause: last.entry.skippedBecause,
      });
    }
    rewritten.add(key);
  }
  for (const [key, skip] of skipped) {
    if (!rewritten.has(key))
      net.skips.push({ courseId: skip.courseId, studentId: skip.entry.studentId, skippedBecause: skip.entry.skippedBecause });
  }
  for (const [courseId, l] of limits) net.limits.push({ courseId, ...l });
  return net;
}
