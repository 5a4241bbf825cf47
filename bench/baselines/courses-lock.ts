// Seed 000's first design, behind Floodgate's HTTP contract for course requests, so the same load
// drives both (npm run bench -- --compare). Not part of the product.
//
// A Redis FIFO lock per term: waiters block on BLPOP of a list holding one token (first come,
// first served), the holder records itself (SET owner), checks and inserts in the database
// (capacity, credits, clashes), then a Lua script hands the token back. 4-6 Redis operations per
// request and one blocked Redis connection per waiter, as the seed describes; a waiter that
// cannot get the token within 5 s is answered 503.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureDatabase } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';

await ensureDatabase(process.env.DATABASE_URL!, (url) => createPool(url, 1));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const redisUrl = process.env.REDIS_URL!;
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const prefix = `bl000-${randomBytes(3).toString('hex')}`;
const LOCK_WAIT_SECONDS = 5;

await pool.query(`
  CREATE TABLE IF NOT EXISTS bl_terms (id text PRIMARY KEY, max_credits int NOT NULL);
  CREATE TABLE IF NOT EXISTS bl_courses (term_id text, id text, credits int NOT NULL, capacity int NOT NULL, meetings jsonb NOT NULL, PRIMARY KEY (term_id, id));
  CREATE TABLE IF NOT EXISTS bl_students (term_id text, id text, PRIMARY KEY (term_id, id));
  CREATE TABLE IF NOT EXISTS bl_enrollments (term_id text, course_id text, student_id text, enrolled_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (term_id, course_id, student_id));
  CREATE INDEX IF NOT EXISTS bl_enrollments_student ON bl_enrollments (term_id, student_id);`);

/** Blocking connections for the waiters: BLPOP holds its connection until it gets the token. */
const idle: Redis[] = [];
const borrow = () => idle.pop() ?? new Redis(redisUrl, { maxRetriesPerRequest: null });
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('LPUSH', KEYS[2], 'token') return 1`;

async function withLock<T>(termId: string, work: () => Promise<T>): Promise<T | null> {
  const list = `${prefix}:lock:${termId}`;
  const owner = `${prefix}:owner:${termId}`;
  const me = randomBytes(6).toString('hex');
  const connection = borrow();
  try {
    if (!(await connection.blpop(list, LOCK_WAIT_SECONDS))) return null;
  } finally {
    idle.push(connection);
  }
  await redis.set(owner, me, 'EX', 30);
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 2, owner, list, me);
  }
}

interface Meeting {
  day: string;
  start: string;
  end: string;
}
const overlaps = (a: Meeting, b: Meeting) => a.day === b.day && a.start < b.end && b.start < a.end;

/** Check-then-insert, for each add in order (the lock makes it safe). */
async function decide(termId: string, studentId: string, actions: Array<{ add: string }>) {
  const term = (await pool.query('SELECT max_credits FROM bl_terms WHERE id = $1', [termId])).rows[0];
  const results = [];
  for (const action of actions) {
    const course = (
      await pool.query('SELECT credits, capacity, meetings FROM bl_courses WHERE term_id = $1 AND id = $2', [termId, action.add])
    ).rows[0];
    const taken = (
      await pool.query('SELECT count(*)::int AS n FROM bl_enrollments WHERE term_id = $1 AND course_id = $2', [termId, action.add])
    ).rows[0].n;
    const mine = (
      await pool.query(
        'SELECT c.id, c.credits, c.meetings FROM bl_enrollments e JOIN bl_courses c ON c.term_id = e.term_id AND c.id = e.course_id WHERE e.term_id = $1 AND e.student_id = $2',
        [termId, studentId],
      )
    ).rows;
    let reason: string | null = null;
    if (mine.some((m) => m.id === action.add)) reason = null;
    else if (taken >= course.capacity) reason = 'full';
    else if (mine.reduce((sum, m) => sum + m.credits, 0) + course.credits > term.max_credits) reason = 'credit_limit';
    else if (mine.some((m) => (m.meetings as Meeting[]).some((x) => (course.meetings as Meeting[]).some((y) => overlaps(x, y)))))
      reason = 'time_clash';
    else
      await pool.query('INSERT INTO bl_enrollments (term_id, course_id, student_id) VALUES ($1, $2, $3)', [termId, action.add, studentId]);
    results.push(reason ? { action, outcome: 'rejected', reason } : { action, outcome: 'enrolled' });
  }
  return results;
}

function send(res: ServerResponse, status: number, body: object) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function body(req: IncomingMessage): Promise<any> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

const server = createServer(async (req, res) => {
  try {
    const url = req.url ?? '/';
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && url === '/readyz') return send(res, 200, { status: 'ok' });
    if (req.method === 'POST' && url === '/v1/partners') return send(res, 201, { partnerId: 'baseline', apiKey: 'baseline' });
    if (req.method === 'POST' && url === '/v1/terms') {
      const { id, maxCredits } = await body(req);
      await pool.query('INSERT INTO bl_terms (id, max_credits) VALUES ($1, $2)', [id, maxCredits]);
      await redis.lpush(`${prefix}:lock:${id}`, 'token');
      return send(res, 201, { id });
    }
    if (req.method === 'POST' && (m = /^\/v1\/terms\/([^/]+)\/courses$/.exec(url))) {
      const { courses } = await body(req);
      await pool.query(
        `INSERT INTO bl_courses (term_id, id, credits, capacity, meetings)
         SELECT $1, id, credits, capacity, meetings FROM jsonb_to_recordset($2::jsonb) AS c(id text, credits int, capacity int, meetings jsonb)`,
        [m[1], JSON.stringify(courses)],
      );
      return send(res, 201, { created: courses.length });
    }
    if (req.method === 'POST' && (m = /^\/v1\/terms\/([^/]+)\/students$/.exec(url))) {
      const { students } = await body(req);
      await pool.query('INSERT INTO bl_students (term_id, id) SELECT $1, unnest($2::text[])', [
        m[1],
        students.map((s: { id: string }) => s.id),
      ]);
      return send(res, 201, { created: students.length });
    }
    if (req.method === 'POST' && (m = /^\/v1\/terms\/([^/]+)\/requests$/.exec(url))) {
      const termId = decodeURIComponent(m[1]!);
      const { studentId, actions } = await body(req);
      const results = await withLock(termId, () => decide(termId, studentId, actions));
      if (!results) return send(res, 503, { error: { code: 'lock_timeout' } });
      return send(res, 201, { status: 'decided', results });
    }
    send(res, 404, { error: { code: 'not_found' } });
  } catch (err) {
    send(res, 500, { error: { code: 'internal_error', message: (err as Error).message } });
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
