import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { admin, eventually, useInstance } from '../helpers.js';
import { addStudents, assertAudited, course, coursesOf, decided, outcomes, register, scheduleOf, setUpTerm, submit } from './helpers.js';

const meeting = (day: string, start: string, end: string) => ({ day, start, end });

describe('course registration rules, through the API', () => {
  const instance = useInstance();

  it('every reason: full, credit_limit, time_clash, requires, linked, hold, not_open, closed, not_enrolled', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const { termId, apiKey } = await setUpTerm(instance.app, {
      term: {
        maxCredits: 9,
        windows: [
          { group: 'early', opensAt: past },
          { group: 'late', opensAt: future },
        ],
      },
      courses: [
        course('FULL', { capacity: 0 }),
        course('BIG', { credits: 8 }),
        course('MON9', { meetings: [meeting('MON', '09:00', '10:15')] }),
        course('MON10', { meetings: [meeting('MON', '10:00', '11:00')] }),
        course('ADV', { requires: ['INTRO'] }),
        course('LEC', { linked: ['LAB'] }),
        course('LAB', { credits: 1, linked: ['LEC'] }),
      ],
      students: [
        { id: 'ann', group: 'early' },
        { id: 'bob', group: 'early', holds: ['unpaid fees'] },
        { id: 'cat', group: 'late' },
        { id: 'dan', group: 'nobody' },
      ],
    });
    const r = (student: string, actions: Parameters<typeof register>[4]) => register(instance.app, termId, apiKey, student, actions);
    assert.deepEqual(outcomes(await r('ann', [{ add: 'FULL' }])), ['rejected:full']);
    assert.deepEqual(outcomes(await r('ann', [{ add: 'MON9' }, { add: 'MON10' }, { add: 'ADV' }, { add: 'LEC' }, { add: 'BIG' }])), [
      'enrolled',
      'rejected:time_clash',
      'rejected:requires',
      'rejected:linked',
      'rejected:credit_limit',
    ]);
    assert.deepEqual(outcomes(await r('ann', [{ drop: 'ADV' }])), ['rejected:not_enrolled']);
    assert.deepEqual(outcomes(await r('bob', [{ add: 'MON9' }])), ['rejected:hold']);
    assert.deepEqual(outcomes(await r('cat', [{ add: 'MON9' }])), ['rejected:not_open'], 'before the group opens');
    assert.deepEqual(outcomes(await r('dan', [{ add: 'MON9' }])), ['rejected:not_open'], 'a group without a window');

    const closed = await setUpTerm(instance.app, {
      term: { closesAt: past, minCredits: 0 },
      courses: [course('A')],
      students: ['eve'],
    });
    assert.deepEqual(outcomes(await register(instance.app, closed.termId, closed.apiKey, 'eve', [{ add: 'A' }])), ['rejected:closed']);
    const listed = (await instance.app.inject({ url: '/v1/terms', headers: admin })).json().terms;
    const mine = listed.find((t: { id: string }) => t.id === closed.termId);
    assert.deepEqual([mine.accepted, mine.decided], [1, 1], 'the term list says how far each term is');
    await assertAudited(instance.ctx, termId);
  });

  it('the 202 says queued with a place in line and when to ask again; the status gives each action a result', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [course('A'), course('B', { capacity: 0, waitlist: 3 })],
      students: ['s'],
    });
    const { status, body } = await submit(instance.app, termId, apiKey, 's', [{ add: 'A' }, { add: 'B' }]);
    assert.equal(status, 202);
    assert.equal(body.status, 'queued');
    assert.match(body.requestId, /^[1-9][0-9]*\.[A-Za-z0-9_-]{22}$/);
    assert.ok(body.position >= 1);
    assert.ok(body.pollAfterMs >= 200 && body.pollAfterMs <= 5000);
    const results = await decided(instance.app, termId, apiKey, body.requestId);
    assert.deepEqual(results, [
      { action: { add: 'A' }, outcome: 'enrolled' },
      { action: { add: 'B' }, outcome: 'waitlisted', waitlistPosition: 1 },
    ]);
    const schedule = await scheduleOf(instance.app, termId, apiKey, 's');
    assert.deepEqual(
      schedule.enrolled.map((c: { courseId: string }) => c.courseId),
      ['A'],
    );
    assert.equal(schedule.credits, 3);
    assert.deepEqual(schedule.waitlists, [{ courseId: 'B', title: 'Course B', position: 1, skippedBecause: null }]);
  });

  it('swap: the drop happens only if the add enrolls, and the add is judged without the dropped course', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [
        course('S1', { meetings: [meeting('TUE', '13:00', '14:15')] }),
        course('S2', { meetings: [meeting('TUE', '13:30', '14:45')] }),
        course('GONE', { capacity: 0, waitlist: 5 }),
      ],
      students: ['s'],
    });
    await register(instance.app, termId, apiKey, 's', [{ add: 'S1' }]);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 's', [{ swap: { drop: 'S1', add: 'GONE' } }])), [
      'rejected:full',
    ]);
    let schedule = await scheduleOf(instance.app, termId, apiKey, 's');
    assert.deepEqual(
      schedule.enrolled.map((c: { courseId: string }) => c.courseId),
      ['S1'],
      'S1 kept',
    );
    assert.deepEqual(schedule.waitlists, [], 'not waitlisted by a swap');
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 's', [{ swap: { drop: 'S1', add: 'S2' } }])), ['enrolled']);
    schedule = await scheduleOf(instance.app, termId, apiKey, 's');
    assert.deepEqual(
      schedule.enrolled.map((c: { courseId: string }) => c.courseId),
      ['S2'],
    );
    await assertAudited(instance.ctx, termId);
  });

  it('allOrNothing: one action that does not apply and none does', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [course('A'), course('B'), course('C', { capacity: 1 })],
      students: ['first', 's'],
    });
    await register(instance.app, termId, apiKey, 'first', [{ add: 'C' }]);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 's', [{ add: 'A' }, { add: 'B' }, { add: 'C' }], true)), [
      'rejected:all_or_nothing',
      'rejected:all_or_nothing',
      'rejected:full',
    ]);
    assert.deepEqual((await scheduleOf(instance.app, termId, apiKey, 's')).enrolled, []);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 's', [{ add: 'A' }, { add: 'B' }], true)), [
      'enrolled',
      'enrolled',
    ]);
    const fill = await coursesOf(instance.app, termId);
    assert.equal(fill.get('A')!.enrolled, 1);
    await assertAudited(instance.ctx, termId);
  });

  it('linked lecture and lab: together in one request, or not at all', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [course('LEC', { linked: ['LAB'], capacity: 5 }), course('LAB', { credits: 1, linked: ['LEC'], capacity: 1 })],
      students: ['a', 'b', 'c'],
    });
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 'a', [{ add: 'LEC' }])), ['rejected:linked']);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 'a', [{ add: 'LAB' }, { add: 'LEC' }])), [
      'enrolled',
      'enrolled',
    ]);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 'b', [{ add: 'LEC' }, { add: 'LAB' }])), [
      'rejected:linked',
      'rejected:full',
    ]);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 'a', [{ drop: 'LEC' }])), ['rejected:linked']);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 'a', [{ drop: 'LEC' }, { drop: 'LAB' }])), [
      'dropped',
      'dropped',
    ]);
    assert.deepEqual(outcomes(await register(instance.app, termId, apiKey, 'c', [{ add: 'LEC' }, { add: 'LAB' }])), [
      'enrolled',
      'enrolled',
    ]);
    const fill = await coursesOf(instance.app, termId);
    assert.deepEqual([fill.get('LEC')!.enrolled, fill.get('LAB')!.enrolled], [1, 1]);
    await assertAudited(instance.ctx, termId);
  });

  it('a drop promotes the first eligible waitlisted student in the same step; the ineligible keep their place and are told why', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [
        course('C', { capacity: 1, waitlist: 5, meetings: [meeting('WED', '09:00', '10:00')] }),
        course('X', { meetings: [meeting('WED', '09:30', '10:30')] }),
      ],
      students: ['holder', 'clash', 'hold', 'ok', 'later'],
    });
    const r = (student: string, actions: Parameters<typeof register>[4]) => register(instance.app, termId, apiKey, student, actions);
    await r('holder', [{ add: 'C' }]);
    for (const s of ['clash', 'hold', 'ok', 'later']) assert.deepEqual(outcomes(await r(s, [{ add: 'C' }])), ['waitlisted']);
    await r('clash', [{ add: 'X' }]);
    await addStudents(instance.app, termId, [{ id: 'hold', group: 'all', holds: ['library fine'] }]);
    assert.deepEqual(outcomes(await r('holder', [{ drop: 'C' }])), ['dropped']);
    const ok = await scheduleOf(instance.app, termId, apiKey, 'ok');
    assert.deepEqual(
      ok.enrolled.map((c: { courseId: string; promoted: boolean }) => [c.courseId, c.promoted]),
      [['C', true]],
    );
    assert.deepEqual((await scheduleOf(instance.app, termId, apiKey, 'clash')).waitlists, [
      { courseId: 'C', title: 'Course C', position: 1, skippedBecause: 'time_clash' },
    ]);
    assert.deepEqual((await scheduleOf(instance.app, termId, apiKey, 'hold')).waitlists, [
      { courseId: 'C', title: 'Course C', position: 2, skippedBecause: 'hold' },
    ]);
    assert.deepEqual((await scheduleOf(instance.app, termId, apiKey, 'later')).waitlists[0].position, 3);
    // the hold is lifted: the next seat goes to them (they are ahead of "later")
    await addStudents(instance.app, termId, [{ id: 'hold', group: 'all' }]);
    await r('ok', [{ drop: 'C' }]);
    assert.deepEqual(
      (await scheduleOf(instance.app, termId, apiKey, 'hold')).enrolled.map((c: { courseId: string }) => c.courseId),
      ['C'],
    );
    await assertAudited(instance.ctx, termId);
  });

  it('a capacity increase promotes in order, skipping the ineligible; a decrease below the enrolled is refused', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [course('C', { capacity: 1, waitlist: 5, credits: 4 }), course('BIG', { credits: 15 })],
      students: ['a', 'b', 'heavy', 'c'],
    });
    const r = (student: string, actions: Parameters<typeof register>[4]) => register(instance.app, termId, apiKey, student, actions);
    for (const s of ['a', 'b', 'heavy', 'c']) await r(s, [{ add: 'C' }]);
    await r('heavy', [{ add: 'BIG' }]); // C would now take heavy to 19 credits > 18
    const patch = (body: object) =>
      instance.app.inject({ method: 'PATCH', url: `/v1/terms/${termId}/courses/C`, headers: admin, payload: body });
    const up = await patch({ capacity: 3 });
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().capacity, 3);
    assert.equal(up.json().enrolled, 3);
    assert.equal(up.json().waitlisted, 1);
    assert.deepEqual((await scheduleOf(instance.app, termId, apiKey, 'heavy')).waitlists[0].skippedBecause, 'credit_limit');
    assert.deepEqual(
      (await scheduleOf(instance.app, termId, apiKey, 'c')).enrolled.map((x: { courseId: string }) => x.courseId),
      ['C'],
    );
    const down = await patch({ capacity: 2 });
    assert.equal(down.statusCode, 409, down.body);
    assert.equal(down.json().error.code, 'capacity_below_enrolled');
    assert.equal(down.json().error.enrolled, 3);
    await assertAudited(instance.ctx, termId);
  });

  it('webhooks: enrollment.decided for each request and waitlist.promoted for each promotion, through the outbox', async () => {
    const received: Array<{ key: string; body: Record<string, any> }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ key: String(req.headers['idempotency-key']), body: JSON.parse(body) });
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
      const { termId, apiKey } = await setUpTerm(instance.app, {
        term: { webhookUrl: hook },
        courses: [course('C', { capacity: 1, waitlist: 2 })],
        students: ['a', 'b'],
      });
      await register(instance.app, termId, apiKey, 'a', [{ add: 'C' }]);
      await register(instance.app, termId, apiKey, 'b', [{ add: 'C' }]);
      await register(instance.app, termId, apiKey, 'a', [{ drop: 'C' }]);
      await eventually(async () => (received.length >= 4 ? true : undefined), 10_000);
      const decidedEvents = received.filter((r) => r.body.event === 'enrollment.decided');
      assert.equal(decidedEvents.length, 3);
      assert.deepEqual(decidedEvents.map((e) => e.body.studentId).sort(), ['a', 'a', 'b']);
      const promoted = received.filter((r) => r.body.event === 'waitlist.promoted');
      assert.equal(promoted.length, 1);
      assert.deepEqual([promoted[0]!.body.courseId, promoted[0]!.body.studentId], ['C', 'b']);
      assert.match(promoted[0]!.key, /^waitlist\.promoted:/);
    } finally {
      receiver.close();
    }
  });
});
