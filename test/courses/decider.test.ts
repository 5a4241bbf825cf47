import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TermDecider } from '../../src/courses/decider.js';
import { FenceLost } from '../../src/courses/decision-store.js';
import { courses } from '../../src/courses/definition.js';
import { pooled } from '../claims/helpers.js';
import { deletePrefix, eventually, type Instance, startInstance, testPrefix } from '../helpers.js';
import { assertAudited, course, decided, outcomes, setUpTerm, submit } from './helpers.js';

describe('one decider per term, fenced by PostgreSQL', () => {
  const prefix = testPrefix();
  let quiet: Instance;
  before(async () => {
    // An instance that accepts requests but never decides: the tests drive deciders by hand.
    quiet = await startInstance({ redisPrefix: prefix }, { background: false });
    await quiet.ctx.get(courses).deciders.close();
  });
  after(async () => {
    await quiet.close();
    await deletePrefix(prefix);
  });

  const deciderFor = (termId: string, lease: { fence: number; decidedSeq: number }) => {
    const capability = quiet.ctx.get(courses);
    return new TermDecider(termId, lease.fence, lease.decidedSeq, { ...capability.deciders.deciderDeps });
  };

  it('a paused decider whose lease was taken over is refused by PostgreSQL: nothing of its batch is written', async () => {
    const { termId, apiKey } = await setUpTerm(quiet.app, { courses: [course('C', { capacity: 2 })], students: ['a', 'b', 'c'] });
    const store = quiet.ctx.get(courses).store;
    const oldLease = (await store.acquire(termId, 'old', 60_000))!;
    const old = deciderFor(termId, oldLease);
    await old.prepare(); // the old decider has the state in memory... and pauses (a GC, a partition)

    for (const s of ['a', 'b', 'c']) assert.equal((await submit(quiet.app, termId, apiKey, s, [{ add: 'C' }])).status, 202);
    // its lease runs out meanwhile; another decider takes the term over with a new fence
    await quiet.ctx.infra.pool.query(`UPDATE terms SET lease_until = now() - interval '1 second' WHERE id = $1`, [termId]);
    const newLease = (await store.acquire(termId, 'new', 60_000))!;
    assert.equal(newLease.fence, oldLease.fence + 1);
    const fresh = deciderFor(termId, newLease);
    await fresh.prepare();
    assert.equal(await fresh.step(), true);
    assert.equal(fresh.decidedSeq, 3);

    // the old one wakes up and decides the same requests from its stale memory: refused
    await assert.rejects(() => old.step(), FenceLost);
    const { rows } = await quiet.ctx.infra.pool.query<{ seq: number; fence: number }>(
      'SELECT seq, fence FROM course_decisions WHERE term_id = $1 ORDER BY seq',
      [termId],
    );
    assert.deepEqual(
      rows.map((r) => [Number(r.seq), Number(r.fence)]),
      [1, 2, 3].map((seq) => [seq, newLease.fence]),
      "every decision is the new decider's, once",
    );
    await assertAudited(quiet.ctx, termId);
  });

  it('a decider that took over after another committed decides from where it stopped, never again what was decided', async () => {
    const { termId, apiKey } = await setUpTerm(quiet.app, {
      courses: [course('C', { capacity: 5, waitlist: 5 })],
      students: ['a', 'b', 'c', 'd'],
    });
    const store = quiet.ctx.get(courses).store;
    const first = deciderFor(termId, (await store.acquire(termId, 'first', 60_000))!);
    await first.prepare();
    await submit(quiet.app, termId, apiKey, 'a', [{ add: 'C' }]);
    await submit(quiet.app, termId, apiKey, 'b', [{ add: 'C' }]);
    await first.step();
    assert.equal(first.decidedSeq, 2);
    await submit(quiet.app, termId, apiKey, 'c', [{ add: 'C' }]);
    await submit(quiet.app, termId, apiKey, 'a', [{ drop: 'C' }]);
    await quiet.ctx.infra.pool.query(`UPDATE terms SET lease_until = now() - interval '1 second' WHERE id = $1`, [termId]);
    const second = deciderFor(termId, (await store.acquire(termId, 'second', 60_000))!);
    await second.prepare();
    await second.step();
    assert.equal(second.decidedSeq, 4);
    await assert.rejects(() => first.step(), FenceLost);
    await assertAudited(quiet.ctx, termId);
  });

  it('a decider that stops renewing (dead) is replaced by another instance within about five seconds', async () => {
    const deciding = await startInstance({ redisPrefix: prefix });
    try {
      const { termId, apiKey } = await setUpTerm(quiet.app, { courses: [course('C', { capacity: 100 })], students: ['a', 'b'] });
      // a decider that took the lease and died at once: it never renews, never decides
      await quiet.ctx.get(courses).store.acquire(termId, 'ghost', 3_000);
      const diedAt = Date.now();
      const { body } = await submit(quiet.app, termId, apiKey, 'a', [{ add: 'C' }]);
      const results = await decided(quiet.app, termId, apiKey, body.requestId, 10_000);
      const tookOverMs = Date.now() - diedAt;
      assert.deepEqual(outcomes(results), ['enrolled']);
      assert.ok(tookOverMs >= 2_500, `not before the lease ran out (${tookOverMs} ms)`);
      assert.ok(tookOverMs < 5_500, `taken over within about 5 s (${tookOverMs} ms)`);
      const { rows } = await quiet.ctx.infra.pool.query('SELECT decider FROM terms WHERE id = $1', [termId]);
      assert.equal(rows[0].decider, deciding.ctx.get(courses).deciders.id);
    } finally {
      await deciding.close();
    }
  });

  it('two instances accepting and deciding: one decider at a time, fences only ever grow with the seqs, the record replays', async () => {
    const a = await startInstance({ redisPrefix: prefix });
    const b = await startInstance({ redisPrefix: prefix });
    try {
      const students = Array.from({ length: 200 }, (_, i) => `s${i}`);
      const { termId, apiKey } = await setUpTerm(a.app, {
        courses: [course('A', { capacity: 50, waitlist: 20 }), course('B', { capacity: 50, waitlist: 20 }), course('C', { capacity: 30 })],
        students,
      });
      const requests = await pooled(
        students.map((s, i) => async () => {
          const instance = i % 2 ? a : b;
          const { status, body } = await submit(instance.app, termId, apiKey, s, [{ add: 'A' }, { add: 'B' }, { add: 'C' }]);
          assert.equal(status, 202);
          // half-way, the deciding instance hands over (as on a deploy)
          if (i === 100) {
            const holder = [a, b].find((x) => x.ctx.get(courses).deciders.count > 0);
            await holder?.ctx.get(courses).deciders.close();
          }
          return body.requestId as string;
        }),
        20,
      );
      await pooled(
        requests.map((id) => () => decided(a.app, termId, apiKey, id, 15_000)),
        20,
      );
      const { rows } = await a.ctx.infra.pool.query<{ seq: number; fence: number }>(
        'SELECT seq, fence FROM course_decisions WHERE term_id = $1 ORDER BY seq',
        [termId],
      );
      assert.equal(rows.length, 200);
      const fences = rows.map((r) => Number(r.fence));
      assert.ok(
        fences.every((f, i) => i === 0 || f >= fences[i - 1]!),
        'a later seq is never decided under an older fence',
      );
      await assertAudited(a.ctx, termId);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a seq that never reaches PostgreSQL (its Redis lost it) is voided after the wait; a late copy of it is never confirmed', async () => {
    const { termId, apiKey } = await setUpTerm(quiet.app, { courses: [course('C')], students: ['a', 'b'] });
    const capability = quiet.ctx.get(courses);
    // seq 1 is given but its request is lost on the way (what a Redis that lost its state does to it)
    await quiet.ctx.infra.redis.hincrby(`${prefix}:{term:${termId}}:st`, 'seq', 1);
    const { body } = await submit(quiet.app, termId, apiKey, 'a', [{ add: 'C' }]);
    assert.equal(body.requestId.split('.')[0], '2');
    const lease = (await capability.store.acquire(termId, 'voider', 60_000))!;
    const decider = new TermDecider(termId, lease.fence, lease.decidedSeq, { ...capability.deciders.deciderDeps, voidAfterMs: 200 });
    await decider.prepare();
    assert.equal(await decider.step(), false, 'it waits for seq 1');
    await eventually(async () => ((await decider.step()) ? true : undefined), 3_000, 50);
    await decider.step();
    assert.equal(decider.decidedSeq, 2);
    // the lost request turns up after all (a sweeper, a retry): it collides with its void
    const verdicts = await capability.repository.persist([
      { termId, seq: 1, kind: 'request', studentId: 'b', body: { actions: [{ add: 'C' }], allOrNothing: false }, at: Date.now() },
    ]);
    assert.deepEqual(verdicts, ['conflict']);
    const audit = await assertAudited(quiet.ctx, termId);
    assert.equal(audit.voids, 1);
    assert.equal(audit.decided, 1);
  });
});
