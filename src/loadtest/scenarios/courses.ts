// Registration day (issue 22, seed 000's day grown up): students in priority groups whose windows
// open minutes apart (compressed to seconds), each sending a cart of 4-6 adds over a few hundred
// courses the moment their window opens, then polling as told until it is decided. A few arrive
// before their window, are told not_open, and send again when it opens. The audit reads the
// term's record: the decisions replayed in arrival order through the rules must be the stored
// ones; no course over capacity, no student over maxCredits, no clash, waitlists in order, every
// accepted request decided; and the time from the 202 to the decision (PostgreSQL's clocks).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { auditTerm } from '../../courses/audit.js';
import type { AdminClient } from '../admin-client.js';
import { type Check, check, skip } from '../audit.js';
import type { Flow, Reply } from '../runner.js';
import type { PreparedScenario } from '../scenarios.js';

export interface CoursesOptions {
  students: number;
  courses: number;
  groups: number;
  /** Time between two groups' windows (ms): 10 minutes on the day, seconds in the run. */
  groupGapMs: number;
  /** Share of students who arrive during the previous group's window (told not_open). */
  earlyShare: number;
  maxCredits: number;
  databaseUrl?: string;
  /** The p99 from 202 to decided that passes (ms). */
  p99GoalMs: number;
}

const DAYS = [['MON', 'WED'], ['TUE', 'THU'], ['FRI']] as const;
const SLOTS = ['08:00', '09:30', '11:00', '12:30', '14:00', '15:30', '17:00'];
const plus75 = (hhmm: string) => {
  const m = Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) + 75;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/** A small seeded generator (mulberry32): the same options give the same day. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface CourseSpec {
  id: string;
  title: string;
  credits: number;
  capacity: number;
  waitlist: number;
  meetings: Array<{ day: string; start: string; end: string }>;
  requires?: string[];
  linked?: string[];
}

/** The catalogue: lectures (3-4 credits), a tenth of them with a 1-credit lab linked both ways; some require an intro course. */
function catalogue(count: number, rand: () => number): CourseSpec[] {
  const courses: CourseSpec[] = [];
  const meetingsAt = () => {
    const days = DAYS[Math.floor(rand() * DAYS.length)]!;
    const start = SLOTS[Math.floor(rand() * SLOTS.length)]!;
    return days.map((day) => ({ day, start, end: plus75(start) }));
  };
  while (courses.length < count) {
    const n = courses.length;
    const id = `C${String(n).padStart(3, '0')}`;
    const lecture: CourseSpec = {
      id,
      title: `Course ${n}`,
      credits: rand() < 0.75 ? 3 : 4,
      capacity: 40 + Math.floor(rand() * 120),
      waitlist: rand() < 0.7 ? 5 + Math.floor(rand() * 20) : 0,
      meetings: meetingsAt(),
      ...(rand() < 0.15 ? { requires: [`INTRO${Math.floor(rand() * 10)}`] } : {}),
    };
    if (rand() < 0.1 && courses.length + 2 <= count) {
      const lab: CourseSpec = {
        id: `${id}L`,
        title: `Course ${n} lab`,
        credits: 1,
        capacity: lecture.capacity,
        waitlist: 0,
        meetings: [{ day: 'FRI', start: SLOTS[Math.floor(rand() * SLOTS.length)]!, end: '' }].map((m) => ({ ...m, end: plus75(m.start) })),
        linked: [id],
      };
      lecture.linked = [lab.id];
      courses.push(lecture, lab);
    } else {
      courses.push(lecture);
    }
  }
  return courses;
}

export async function coursesScenario(admin: AdminClient, options: CoursesOptions): Promise<PreparedScenario> {
  const rand = random(22);
  const termId = `registration-${randomBytes(3).toString('hex')}`;
  const courses = catalogue(options.courses, rand);
  const byId = new Map(courses.map((c) => [c.id, c]));
  const perGroup = Math.ceil(options.students / options.groups);
  const studentIds = Array.from({ length: options.students }, (_, i) => `st-${i}`);
  const groupOf = (i: number) => Math.min(options.groups - 1, Math.floor(i / perGroup));

  // Arrival order: group by group, each group in its window; a few of each group come early,
  // during the previous group's window.
  const order = studentIds.map((_, i) => i);
  for (let i = perGroup; i < options.students; i++) {
    if (rand() < options.earlyShare) {
      const j = Math.floor(rand() * perGroup) + (groupOf(i) - 1) * perGroup;
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }

  // Carts: 4-6 distinct adds, popular courses more often; a lecture's lab comes with it (mostly).
  const carts = studentIds.map(() => {
    const size = 4 + Math.floor(rand() * 3);
    const cart: string[] = [];
    while (cart.length < size) {
      const pick = courses[Math.floor(courses.length * rand() ** 1.6)]!;
      const id = pick.linked && pick.credits === 1 ? pick.linked[0]! : pick.id;
      if (cart.includes(id)) continue;
      cart.push(id);
      const lab = byId.get(id)!.linked?.[0];
      if (lab && rand() < 0.9 && !cart.includes(lab)) cart.push(lab);
    }
    return cart.map((add) => ({ add }));
  });

  // The first window opens once the term is set up (an allowance for the bulk calls below); the
  // run starts then.
  const startsAt = Date.now() + 2_000 + Math.ceil(options.students * 0.3);
  const opensAt = (g: number) => startsAt + g * options.groupGapMs;
  await admin.must('POST', '/v1/terms', {
    id: termId,
    name: 'Registration day',
    maxCredits: options.maxCredits,
    windows: Array.from({ length: options.groups }, (_, g) => ({ group: `g${g}`, opensAt: new Date(opensAt(g)).toISOString() })),
  });
  for (let i = 0; i < courses.length; i += 5000)
    await admin.must('POST', `/v1/terms/${termId}/courses`, { courses: courses.slice(i, i + 5000) });
  for (let i = 0; i < options.students; i += 5000) {
    await admin.must('POST', `/v1/terms/${termId}/students`, {
      students: studentIds.slice(i, i + 5000).map((id, k) => ({
        id,
        group: `g${groupOf(i + k)}`,
        completed: Array.from({ length: 10 }, (_, n) => `INTRO${n}`).filter(() => rand() < 0.6),
        ...(rand() < 0.01 ? { holds: ['unpaid fees'] } : {}),
      })),
    });
  }
  const { apiKey, partnerId } = await admin.must('POST', '/v1/partners', { name: `loadtest ${termId}` });
  if (Date.now() > startsAt) throw new Error(`setting the term up took longer than its allowance (${startsAt - Date.now()} ms late)`);
  await new Promise((resolve) => setTimeout(resolve, startsAt - Date.now()));
  const path = `/v1/terms/${termId}/requests`;
  const headers = { 'x-api-key': apiKey };

  // Per request sent (a student may send twice): its id, when it was answered 202 and seen decided.
  const requestIds: string[] = [];
  const answeredAt: number[] = [];
  const seenDecidedAt: number[] = [];
  const studentOf: number[] = [];
  let notOpen = 0;
  let resent = 0;
  let refused = 0;
  let unanswered = 0;
  const outcomes = new Map<string, number>();
  let flow: Flow;

  function wake(awake: boolean, r: number): void {
    if (awake) void pollRequest(r);
    else flow.end();
  }

  async function pollRequest(r: number): Promise<void> {
    const reply: Reply = await flow.request('poll', { method: 'GET', path: `${path}/${requestIds[r]}`, headers });
    if (reply.status !== 200) {
      flow.later(1000, wake, r);
      return;
    }
    if (reply.body.status !== 'decided') {
      flow.later(reply.body.pollAfterMs, wake, r);
      return;
    }
    seenDecidedAt[r] = flow.now();
    const results = reply.body.results as Array<{ outcome: string; reason?: string }>;
    for (const res of results) {
      const key = res.reason ? `${res.outcome}:${res.reason}` : res.outcome;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    }
    const student = studentOf[r]!;
    if (results.every((res) => res.reason === 'not_open')) {
      // Too early: back when the window opens, as the page tells them.
      notOpen++;
      const wait = Math.max(0, opensAt(groupOf(student)) - Date.now()) + 50;
      flow.later(wait, resend, student);
      return;
    }
    flow.end();
  }

  function resend(awake: boolean, student: number): void {
    if (!awake) {
      flow.end();
      return;
    }
    resent++;
    void send(student).finally(() => flow.end());
  }

  async function send(student: number, scheduledAt?: number): Promise<void> {
    const reply = await flow.request(
      'request',
      { method: 'POST', path, headers, body: { studentId: studentIds[student], actions: carts[student] } },
      scheduledAt,
      (s) => s === 202,
    );
    if (reply.status === 'error') unanswered++;
    if (reply.status !== 202) {
      refused++;
      return;
    }
    const r = requestIds.length;
    requestIds.push(reply.body.requestId);
    answeredAt.push(flow.now());
    seenDecidedAt.push(0);
    studentOf.push(student);
    flow.begin();
    flow.later(reply.body.pollAfterMs, wake, r);
  }

  return {
    name: 'courses',
    // the partner key it made is revoked at the end (the term stays, for the audit's record)
    created: [{ kind: 'partner', id: partnerId }],
    describe: () => ({
      termId,
      students: options.students,
      courses: courses.length,
      groups: options.groups,
      groupGapMs: options.groupGapMs,
      maxCredits: options.maxCredits,
    }),
    async arrival(i: number, runFlow: Flow, scheduledAt: number) {
      flow = runFlow;
      if (i >= options.students) return;
      await send(order[i]!, scheduledAt);
    },
    async gauges() {
      const { body } = await admin.call('GET', `/v1/terms/${termId}`);
      return { accepted: body?.accepted ?? 0, decided: body?.decided ?? 0, waiting: (body?.accepted ?? 0) - (body?.decided ?? 0) };
    },
    async audit() {
      const checks: Check[] = [];
      const clientLatencies = requestIds
        .map((_, r) => (seenDecidedAt[r]! > 0 ? seenDecidedAt[r]! - answeredAt[r]! : Infinity))
        .sort((a, b) => a - b);
      const seen = clientLatencies.filter(Number.isFinite).length;
      const summary = [...outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(', ');
      checks.push(
        check(
          'every accepted request seen decided by its student',
          seen === requestIds.length,
          `${seen} of ${requestIds.length} (202s; ${refused} refused, ${unanswered} unanswered; ${notOpen} told not_open, ${resent} resent); outcomes: ${summary}`,
        ),
      );
      if (!options.databaseUrl) {
        checks.push(skip('the record replays', 'no --database-url (or DATABASE_URL) to read the record'));
        return checks;
      }
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 2 });
      try {
        const audit = await auditTerm(pool, termId);
        const seqs = requestIds.map((id) => Number(id.split('.')[0]));
        const { rows: decidedRows } = await pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM course_decisions WHERE term_id = $1 AND seq = ANY($2::bigint[])',
          [termId, seqs],
        );
        checks.push(
          check(
            'every accepted request decided (rows)',
            decidedRows[0]!.n === requestIds.length && audit.undecided === 0,
            `${decidedRows[0]!.n} of ${requestIds.length} 202s have a decision; ${audit.decided} decided, ${audit.undecided} undecided, ${audit.voids} voids`,
          ),
        );
        checks.push(
          check(
            'every decision in arrival order (the record replays)',
            audit.mismatches.length === 0 && audit.stateDifferences.length === 0,
            audit.mismatches.length + audit.stateDifferences.length === 0
              ? `${audit.decided} decisions replayed in seq order through the rules: identical, and the same enrollments and waitlists`
              : `${JSON.stringify(audit.mismatches.slice(0, 2))} ${audit.stateDifferences.slice(0, 3).join('; ')}`,
          ),
        );
        const fill = await pool.query<{ enrolled: number; capacity: number }>(
          'SELECT sum(enrolled)::int AS enrolled, sum(capacity)::int AS capacity FROM courses WHERE term_id = $1',
          [termId],
        );
        checks.push(
          check(
            'no course over capacity',
            audit.overCapacity.length === 0,
            audit.overCapacity.length === 0
              ? `${fill.rows[0]!.enrolled} seats taken of ${fill.rows[0]!.capacity}`
              : audit.overCapacity.slice(0, 3).join('; '),
          ),
        );
        checks.push(
          check(
            'no student over maxCredits',
            audit.overCredits.length === 0,
            audit.overCredits.slice(0, 3).join('; ') || `max ${options.maxCredits}`,
          ),
        );
        checks.push(check('no time clash', audit.clashes.length === 0, audit.clashes.slice(0, 3).join('; ') || 'none'));
        checks.push(
          check('every waitlist in order', audit.waitlistOrder.length === 0, audit.waitlistOrder.slice(0, 3).join('; ') || 'in seq order'),
        );
        const { rows: lat } = await pool.query<{ p50: number; p99: number; max: number; n: number }>(
          `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max, count(*)::int AS n
             FROM (SELECT extract(epoch FROM d.decided_at - r.persisted_at) * 1000 AS ms
                     FROM course_requests r JOIN course_decisions d ON d.term_id = r.term_id AND d.seq = r.seq
                    WHERE r.term_id = $1 AND r.kind = 'request') x`,
          [termId],
        );
        const l = lat[0]!;
        const clientP99 = clientLatencies[Math.min(clientLatencies.length - 1, Math.floor(clientLatencies.length * 0.99))] ?? 0;
        checks.push(
          check(
            `p99 from 202 to decided <= ${options.p99GoalMs} ms`,
            Number(l.p99) <= options.p99GoalMs,
            `commit of the request to commit of its decision (PostgreSQL's clock), ${l.n} requests: p50 ${Number(l.p50).toFixed(0)} ms, p99 ${Number(l.p99).toFixed(0)} ms, max ${Number(l.max).toFixed(0)} ms; as the students saw it (202 to the poll that saw it decided, polling as told): p99 ${clientP99.toFixed(0)} ms`,
          ),
        );
      } finally {
        await pool.end();
      }
      return checks;
    },
  };
}
