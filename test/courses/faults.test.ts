import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { Pool } from 'undici';
import { courses } from '../../src/courses/definition.js';
import { pooled } from '../claims/helpers.js';
import { ADMIN_TOKEN, deletePrefix, eventually, killServe, startInstance, startServe, testPrefix, uniqueId } from '../helpers.js';
import { TcpProxy } from '../tcp-proxy.js';
import { assertAudited, course, decided, setUpTerm, statusOf, submit } from './helpers.js';

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

describe('course registration under faults: nothing accepted is lost, nothing decided twice', () => {
  const prefixes: string[] = [];
  after(async () => {
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  it('the deciding `serve` process killed with SIGKILL mid-batch: the other takes over, every 202 is decided once', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const servers = await Promise.all([startServe(prefix), startServe(prefix)]);
    const observer = await startInstance({ redisPrefix: prefix }, { background: false });
    await observer.ctx.get(courses).deciders.close();
    const clients = servers.map((s) => new Pool(s.origin, { connections: 32 }));
    try {
      const students = Array.from({ length: 800 }, (_, i) => `s${i}`);
      const post = async (path: string, body: object) => {
        const res = await fetch(`${servers[0]!.origin}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
        const text = await res.text();
        assert.ok(res.status < 300, `${path}: ${res.status} ${text}`);
        return JSON.parse(text);
      };
      const termId = uniqueId('kill');
      await post('/v1/terms', { id: termId, name: 'Kill', maxCredits: 18 });
      await post(`/v1/terms/${termId}/courses`, {
        courses: Array.from({ length: 20 }, (_, i) => course(`C${i}`, { capacity: 60, waitlist: 10, credits: 3 })),
      });
      await post(`/v1/terms/${termId}/students`, { students: students.map((id) => ({ id, group: 'all' })) });
      const { apiKey } = (await post('/v1/partners', { name: 'kill' })) as { apiKey: string };

      const accepted: string[] = [];
      let killed: ChildProcess | null = null;
      const deciderPid = async () => {
        const { rows } = await observer.ctx.infra.pool.query<{ decider: string | null; decided_seq: number }>(
          'SELECT decider, decided_seq FROM terms WHERE id = $1',
          [termId],
        );
        return { pid: Number(rows[0]!.decider?.split(':')[1]), decided: Number(rows[0]!.decided_seq) };
      };
      await pooled(
        students.map((studentId, i) => async () => {
          const alive = servers.filter((s) => s.child !== killed);
          const target = clients[servers.indexOf(alive[i % alive.length]!)]!;
          try {
            const res = await target.request({
              method: 'POST',
              path: `/v1/terms/${termId}/requests`,
              headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
              body: JSON.stringify({ studentId, actions: [0, 1, 2, 3, 4].map((k) => ({ add: `C${(i + k * 3) % 20}` })) }),
            });
            const body = (await res.body.json()) as { requestId?: string };
            if (res.statusCode === 202) accepted.push(body.requestId!);
          } catch {
            // the connection died with the process: not answered, so not promised
          }
          if (i === 300 && !killed) {
            const { pid } = await deciderPid();
            killed = servers.find((s) => s.child.pid === pid)?.child ?? null;
            assert.ok(killed, 'one of the two servers is deciding');
            killed.kill('SIGKILL');
          }
        }),
        48,
      );
      assert.ok(killed, 'the decider was killed mid-run');
      const k = killed as ChildProcess;
      if (k.exitCode === null && k.signalCode === null) await once(k, 'exit');
      // every request answered 202 is decided (by the survivor, within the takeover time)
      await pooled(
        accepted.map((id) => async () => decided(observer.app, termId, apiKey, id, 20_000)),
        32,
      );
      const { rows } = await observer.ctx.infra.pool.query<{ decisions: number; requests: number; fences: number }>(
        `SELECT (SELECT count(*)::int FROM course_decisions WHERE term_id = $1) AS decisions,
                (SELECT count(*)::int FROM course_requests WHERE term_id = $1 AND kind <> 'void') AS requests,
                (SELECT count(DISTINCT fence)::int FROM course_decisions WHERE term_id = $1) AS fences`,
        [termId],
      );
      assert.ok(rows[0]!.fences >= 2, 'decided by two deciders, one after the other');
      await eventually(async () => {
        const r = await observer.ctx.infra.pool.query<{ n: number; d: number }>(
          `SELECT (SELECT count(*)::int FROM course_requests WHERE term_id = $1 AND kind <> 'void') AS n,
                  (SELECT count(*)::int FROM course_decisions WHERE term_id = $1) AS d`,
          [termId],
        );
        return r.rows[0]!.n === r.rows[0]!.d ? true : undefined;
      }, 15_000);
      assert.ok(rows[0]!.requests >= accepted.length);
      const audit = await assertAudited(observer.ctx, termId);
      assert.ok(audit.decided >= accepted.length);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(servers.map(killServe));
      await observer.close();
    }
  });

  it('Redis loses the term mid-burst: its counters are restored above every seq PostgreSQL holds; every 202 is decided', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const instance = await startInstance({ redisPrefix: prefix });
    instance.ctx.get(courses).deciders.deciderDeps.voidAfterMs = 1_000;
    try {
      const students = Array.from({ length: 600 }, (_, i) => `s${i}`);
      const { termId, apiKey } = await setUpTerm(instance.app, {
        courses: Array.from({ length: 10 }, (_, i) => course(`C${i}`, { capacity: 40, waitlist: 10 })),
        students,
      });
      const accepted = new Map<string, string>();
      const refused = new Set<string>();
      let flushed = false;
      const attempt = async (studentId: string, i: number) => {
        const { status, body } = await submit(instance.app, termId, apiKey, studentId, [
          { add: `C${i % 10}` },
          { add: `C${(i + 3) % 10}` },
        ]);
        if (status === 202) {
          accepted.set(studentId, body.requestId);
          refused.delete(studentId);
        } else {
          assert.equal(status, 503, JSON.stringify(body));
          refused.add(studentId);
        }
        if (!flushed && accepted.size >= 200) {
          flushed = true;
          await deletePrefix(prefix); // a restart without persistence, a FLUSHALL
        }
      };
      await pooled(
        students.map((s, i) => () => attempt(s, i)),
        30,
      );
      assert.ok(flushed);
      assert.ok(refused.size > 0, 'requests were refused (503) while the counters were restored');
      // those refused try again, as clients told "retry shortly" do
      await eventually(
        async () => {
          await pooled(
            [...refused].map((s) => () => attempt(s, Number(s.slice(1)))),
            10,
          );
          return refused.size === 0 ? true : undefined;
        },
        20_000,
        300,
      );
      await pooled(
        [...accepted.values()].map((id) => () => decided(instance.app, termId, apiKey, id, 20_000)),
        20,
      );
      const audit = await assertAudited(instance.ctx, termId);
      assert.equal(audit.decided, 600);
      assert.ok(audit.voids > 0, 'the seqs skipped by the restore were voided');
      const { rows } = await instance.ctx.infra.pool.query<{ max: number }>(
        `SELECT max(seq)::int AS max FROM course_requests WHERE term_id = $1 AND kind = 'request'`,
        [termId],
      );
      assert.ok(rows[0]!.max > 10_000, 'seqs after the restore start above the margin: none was given twice');
    } finally {
      await instance.close();
    }
  });

  it('PostgreSQL unreachable: the request is not confirmed (503 with its id); once it is back, the request is decided', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const target = new URL(process.env.TEST_DATABASE_URL!);
    const proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
    const instance = await startInstance({ redisPrefix: prefix, databaseUrl: proxy.url(process.env.TEST_DATABASE_URL!) });
    try {
      const { termId, apiKey } = await setUpTerm(instance.app, { courses: [course('C')], students: ['a', 'b'] });
      // the catalogue is cached: only the durability step needs PostgreSQL
      assert.equal((await submit(instance.app, termId, apiKey, 'a', [{ add: 'C' }])).status, 202);
      proxy.down();
      const during = await submit(instance.app, termId, apiKey, 'b', [{ add: 'C' }]);
      assert.equal(during.status, 503, JSON.stringify(during.body));
      assert.equal(during.body.error.code, 'request_not_durable');
      const requestId = during.body.error.requestId as string;
      assert.match(requestId, /^\d+\.[A-Za-z0-9_-]{22}$/);
      proxy.up();
      const results = await decided(instance.app, termId, apiKey, requestId, 15_000);
      assert.deepEqual(results, [{ action: { add: 'C' }, outcome: 'enrolled' }]);
      assert.equal((await statusOf(instance.app, termId, apiKey, requestId)).body.status, 'decided');
      await assertAudited(instance.ctx, termId);
    } finally {
      await instance.close();
      await proxy.close();
    }
  });
});
