import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { pooled } from '../claims/helpers.js';
import { deletePrefix, type Instance, startInstance, testPrefix } from '../helpers.js';
import { assertAudited, course, decided, setUpTerm } from './helpers.js';

describe('1,000 students racing for 30 seats, through two instances', () => {
  const prefix = testPrefix();
  const instances: Instance[] = [];
  const origins: string[] = [];
  before(async () => {
    for (let i = 0; i < 2; i++) {
      const instance = await startInstance({ redisPrefix: prefix });
      instances.push(instance);
      origins.push(await instance.app.listen({ port: 0, host: '127.0.0.1' }));
    }
  });
  after(async () => {
    for (const instance of instances) await instance.close();
    await deletePrefix(prefix);
  });

  it('exactly 30 enrolled, the first 30 in arrival order; the next 20 waitlisted in order; the rest full', async () => {
    const [a] = instances;
    const students = Array.from({ length: 1000 }, (_, i) => `student-${i}`);
    const { termId, apiKey } = await setUpTerm(a!.app, { courses: [course('HOT', { capacity: 30, waitlist: 20 })], students });
    const clients = origins.map((origin) => new Pool(origin, { connections: 64 }));
    try {
      const accepted = await pooled(
        students.map((studentId, i) => async () => {
          const res = await clients[i % 2]!.request({
            method: 'POST',
            path: `/v1/terms/${termId}/requests`,
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
            body: JSON.stringify({ studentId, actions: [{ add: 'HOT' }] }),
          });
          const body = (await res.body.json()) as { requestId: string };
          assert.equal(res.statusCode, 202, JSON.stringify(body));
          return { studentId, requestId: body.requestId, seq: Number(body.requestId.split('.')[0]) };
        }),
        128,
      );
      assert.equal(new Set(accepted.map((r) => r.seq)).size, 1000, 'every request has its own place');
      const results = await pooled(
        accepted.map((r) => async () => ({ ...r, result: (await decided(a!.app, termId, apiKey, r.requestId, 20_000))[0]! })),
        50,
      );
      const inOrder = results.sort((x, y) => x.seq - y.seq);
      const enrolled = inOrder.filter((r) => r.result.outcome === 'enrolled');
      const waitlisted = inOrder.filter((r) => r.result.outcome === 'waitlisted');
      const full = inOrder.filter((r) => r.result.outcome === 'rejected');
      assert.equal(enrolled.length, 30);
      assert.deepEqual(
        enrolled.map((r) => r.seq),
        inOrder.slice(0, 30).map((r) => r.seq),
        'the 30 first to arrive',
      );
      assert.deepEqual(
        waitlisted.map((r) => r.seq),
        inOrder.slice(30, 50).map((r) => r.seq),
        'the next 20',
      );
      assert.deepEqual(
        waitlisted.map((r) => r.result.waitlistPosition),
        Array.from({ length: 20 }, (_, i) => i + 1),
        'in order',
      );
      assert.ok(full.every((r) => r.result.reason === 'full'));
      assert.equal(full.length, 950);

      const { rows } = await a!.ctx.infra.pool.query<{ enrolled: number; waitlisted: number; n: number }>(
        `SELECT c.enrolled, c.waitlisted, (SELECT count(*)::int FROM enrollments e WHERE e.term_id = c.term_id AND e.course_id = c.id) AS n
           FROM courses c WHERE c.term_id = $1`,
        [termId],
      );
      assert.deepEqual(rows[0], { enrolled: 30, waitlisted: 20, n: 30 });
      await assertAudited(a!.ctx, termId);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
