// Course registration's benchmarks (hooked into bench/run.ts):
// - npm run bench: a student's request answered 202 once durable, closed loop, with its ratio to
//   the bare node:http server; and the decider's throughput: actions decided and committed per
//   second, in-process against PostgreSQL (decision-store.ts, one transaction per batch).
// - npm run bench -- --compare: seed 000's Redis FIFO lock around check-then-insert
//   (bench/baselines/courses-lock.ts) against Floodgate: 1,000 students racing for 30 seats
//   (correctness), then a closed loop of carts (throughput).
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Pool as HttpPool } from 'undici';
import { auditFailures, auditTerm } from '../src/courses/audit.js';
import { TermDecider } from '../src/courses/decider.js';
import { DecisionStore } from '../src/courses/decision-store.js';
import { createPool } from '../src/db/pool.js';
import { Outbox } from '../src/outbox/port.js';
import type { LoadResult } from './closed-loop.js';
import type { CourseLoadJob } from './courses-load-worker.js';
import type { ProcessSource } from './load-job.js';
import { startProcess } from './processes.js';
import { runWorkerProcess } from './worker-process.js';

const COURSES = 300;
const STUDENTS = 50_000;
const CART = 5;

async function call(origin: string, token: string, method: string, path: string, body?: object) {
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** A term where no request is ever refused for seats: 300 roomy courses without meetings, 50,000 students. */
async function benchTerm(origin: string, token: string, options: { hot?: boolean } = {}) {
  const termId = `bench-courses-${randomBytes(3).toString('hex')}`;
  await call(origin, token, 'POST', '/v1/terms', { id: termId, name: 'Bench', maxCredits: 18 });
  const courses = Array.from({ length: COURSES }, (_, i) => ({
    id: `B${i}`,
    title: `Bench ${i}`,
    credits: 3,
    capacity: 100_000,
    meetings: [],
  }));
  if (options.hot) courses.push({ id: 'HOT', title: 'Hot', credits: 3, capacity: 30, meetings: [] });
  await call(origin, token, 'POST', `/v1/terms/${termId}/courses`, { courses });
  for (let i = 0; i < STUDENTS; i += 5000) {
    const students = Array.from({ length: 5000 }, (_, k) => ({ id: `bs-${i + k}`, group: 'all' }));
    await call(origin, token, 'POST', `/v1/terms/${termId}/students`, { students });
  }
  const { apiKey } = await call(origin, token, 'POST', '/v1/partners', { name: termId });
  return { termId, apiKey: apiKey as string, courses: courses.filter((c) => c.id !== 'HOT').map((c) => c.id) };
}

const carts = (
  origin: string,
  term: { termId: string; apiKey: string; courses: string[] },
  seconds: number,
  connections: number,
  watch: Record<string, ProcessSource[]>,
) =>
  runWorkerProcess<LoadResult>(new URL('./courses-load-worker.ts', import.meta.url), {
    origin,
    connections,
    seconds,
    path: `/v1/terms/${term.termId}/requests`,
    headers: { 'x-api-key': term.apiKey },
    studentPrefix: 'bs-',
    students: STUDENTS,
    courses: term.courses,
    cart: CART,
    watch,
  } satisfies CourseLoadJob);

export interface CourseMeasure {
  path: string;
  run(origin: string, round: number, connections: number): Promise<LoadResult>;
  calibration(bareOrigin: string, round: number, connections: number): Promise<LoadResult>;
}

/** npm run bench: a cart of 5 adds, answered 202 once durable; the term's decider works meanwhile, in the same process. */
export async function courseMeasures(
  origin: string,
  options: { adminToken: string; seconds: number; watch: Record<string, ProcessSource[]>; calibration: CourseMeasure['calibration'] },
): Promise<CourseMeasure[]> {
  const term = await benchTerm(origin, options.adminToken);
  return [
    {
      path: 'courses: request of 5 adds, answered 202 once durable (POST /v1/terms/:id/requests)',
      calibration: options.calibration,
      run: (o, _round, connections) => carts(o, term, options.seconds, connections, options.watch),
    },
  ];
}

/**
 * The decider alone: `requests` carts of 5 adds written straight into the term's request table
 * (as the group commit would), then one TermDecider deciding them all, in batches, each batch one
 * transaction. Measures actions decided and committed per second.
 */
export async function deciderThroughput(databaseUrl: string, requests = 20_000) {
  const pool = createPool(databaseUrl, 4);
  try {
    const termId = `bench-decider-${randomBytes(3).toString('hex')}`;
    await pool.query(`INSERT INTO terms (id, name, max_credits) VALUES ($1, 'Decider bench', 18)`, [termId]);
    await pool.query(
      `INSERT INTO courses (term_id, id, title, credits, capacity, waitlist_size, created_capacity, created_waitlist_size, meetings)
       SELECT $1, 'B' || i, 'Bench', 3, 100000, 0, 100000, 0, '[]' FROM generate_series(0, $2 - 1) i`,
      [termId, COURSES],
    );
    await pool.query(`INSERT INTO students (term_id, id, grp) SELECT $1, 'bs-' || i, 'all' FROM generate_series(1, $2) i`, [
      termId,
      requests,
    ]);
    await pool.query(
      `INSERT INTO course_requests (term_id, seq, kind, student_id, body, accepted_at)
       SELECT $1, g, 'request', 'bs-' || g,
              jsonb_build_object('allOrNothing', false, 'actions',
                (SELECT jsonb_agg(jsonb_build_object('add', 'B' || ((g * 7 + k * 13) % $3))) FROM generate_series(0, $4 - 1) k)),
              now()
         FROM generate_series(1, $2) g`,
      [termId, requests, COURSES, CART],
    );
    const store = new DecisionStore(pool, new Outbox(pool));
    const lease = (await store.acquire(termId, 'bench', 60_000))!;
    let batches = 0;
    const decider = new TermDecider(termId, lease.fence, lease.decidedSeq, {
      store,
      log: pino({ level: 'silent' }) as never,
      requestId: () => '',
      publish: async () => {},
      onBatch: () => void batches++,
      now: () => Date.now(),
    });
    await decider.prepare();
    const cpu = process.cpuUsage();
    const started = performance.now();
    while (decider.decidedSeq < requests) await decider.step();
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM enrollments WHERE term_id = $1', [termId]);
    if (rows[0]!.n !== requests * CART) throw new Error(`enrolled ${rows[0]!.n}, expected ${requests * CART}`);
    return {
      requests,
      actions: requests * CART,
      ms: Math.round(ms),
      batches,
      actionsPerSecond: Math.round((requests * CART * 1000) / ms),
      deciderCpuMs: Math.round((used.user + used.system) / 1000),
    };
  } finally {
    await pool.end();
  }
}

interface CompareRow {
  design: string;
  perSecond: number;
  p99Ms: number;
  errors: number;
  statuses: string;
  race: string;
  audit: string;
}

/** npm run bench -- --compare: seed 000's lock design, then Floodgate, under the same loads. */
export async function coursesCompare(options: {
  redisUrl: string;
  databaseUrl: string;
  seconds: number;
  connections: number;
}): Promise<CompareRow[]> {
  const baselineDb = new URL(options.databaseUrl);
  baselineDb.pathname = '/floodgate_baselines';
  const token = `cmp-${randomBytes(12).toString('hex')}`;
  const designs = [
    {
      design: 'seed 000: Redis FIFO lock (BLPOP) around check-then-insert',
      args: ['--import', 'tsx', 'bench/baselines/courses-lock.ts'],
      env: { DATABASE_URL: baselineDb.toString(), REDIS_URL: options.redisUrl },
      floodgate: false,
    },
    {
      design: 'floodgate: queued (202 once durable), one fenced decider per term',
      args: ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        FLOODGATE_ADMIN_TOKEN: token,
        FLOODGATE_REDIS_PREFIX: `fgcmp:${randomBytes(3).toString('hex')}`,
        LOG_LEVEL: 'warn',
      },
      floodgate: true,
    },
  ];
  const rows: CompareRow[] = [];
  for (const d of designs) {
    const server = await startProcess(d.args, d.env, '/readyz');
    try {
      const term = await benchTerm(server.origin, token, { hot: true });
      // correctness: 1,000 students racing for the 30 seats of HOT, all at once
      const http = new HttpPool(server.origin, { connections: 256 });
      const answers = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const res = await http.request({
            method: 'POST',
            path: `/v1/terms/${term.termId}/requests`,
            headers: { 'content-type': 'application/json', 'x-api-key': term.apiKey },
            body: JSON.stringify({ studentId: `bs-${i}`, actions: [{ add: 'HOT' }] }),
          });
          return { status: res.statusCode, body: (await res.body.json()) as any };
        }),
      );
      let race: string;
      let audit = 'n/a';
      const byStatus = new Map<number, number>();
      for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
      const statusText = [...byStatus].map(([s, n]) => `${n}×${s}`).join(' ');
      if (d.floodgate) {
        const accepted = answers.filter((a) => a.status === 202).map((a) => a.body.requestId as string);
        const outcomes = new Map<string, number>();
        for (const id of accepted) {
          for (;;) {
            const res = await http.request({
              method: 'GET',
              path: `/v1/terms/${term.termId}/requests/${id}`,
              headers: { 'x-api-key': term.apiKey },
            });
            const body = (await res.body.json()) as any;
            if (body.status === 'decided') {
              const key = body.results[0].reason ?? body.results[0].outcome;
              outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
              break;
            }
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        const pool = createPool(options.databaseUrl, 1);
        try {
          const failures = auditFailures(await auditTerm(pool, term.termId));
          audit = failures.length === 0 ? 'PASS (replayed in arrival order)' : `FAIL: ${failures.join('; ')}`;
        } finally {
          await pool.end();
        }
        race = `${statusText}; decided: ${[...outcomes].map(([k, n]) => `${n} ${k}`).join(', ')}`;
      } else {
        const enrolled = answers.filter((a) => a.status === 201 && a.body.results[0].outcome === 'enrolled').length;
        race = `${statusText}; ${enrolled} enrolled (arrival order not checkable: the lock's order is BLPOP's)`;
      }
      await http.close();
      const load = await carts(server.origin, term, options.seconds, options.connections, {});
      rows.push({
        design: d.design,
        perSecond: load.perSecond,
        p99Ms: load.p99Ms,
        errors: load.errors,
        statuses: Object.entries(load.statuses)
          .map(([s, n]) => `${n}×${s}`)
          .join(' '),
        race,
        audit,
      });
      console.error(`${d.design}: ${load.perSecond} requests/s, p99 ${load.p99Ms} ms; race: ${race}; audit ${audit}`);
    } finally {
      await server.stop();
    }
  }
  return rows;
}

export function formatCoursesCompare(rows: CompareRow[]): string {
  const floodgate = rows.find((r) => r.design.startsWith('floodgate'))!;
  const lines = [
    '| design | requests/s (closed loop, carts of 5) | p99 ms | errors | statuses | 1,000 students for 30 seats | audit | Floodgate ÷ design |',
    '|---|---:|---:|---:|---|---|---|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.design} | ${r.perSecond} | ${r.p99Ms.toFixed(1)} | ${r.errors} | ${r.statuses} | ${r.race} | ${r.audit} | ${(floodgate.perSecond / r.perSecond).toFixed(1)}x |`,
    );
  }
  return lines.join('\n');
}

/** Three rounds of deciderThroughput, each on a fresh term; the median, as one line. */
export async function deciderSummary(databaseUrl: string): Promise<string> {
  const runs = [];
  for (let round = 0; round < 3; round++) runs.push(await deciderThroughput(databaseUrl));
  const median = [...runs].sort((a, b) => a.actionsPerSecond - b.actionsPerSecond)[1]!;
  return (
    `courses decider: ${median.actions} actions (${median.requests} carts of ${CART} adds) decided and committed in ${median.ms} ms, ` +
    `${median.actionsPerSecond} actions/s durable (median of ${runs.map((r) => r.actionsPerSecond).join(', ')}; ${median.batches} batches, ` +
    `the decider's own CPU ${median.deciderCpuMs} ms)`
  );
}
