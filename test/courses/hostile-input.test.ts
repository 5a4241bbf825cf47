import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { admin, useInstance } from '../helpers.js';
import { course, setUpTerm } from './helpers.js';

/**
 * Hostile and malformed input, at every course registration route: each case gets a 4xx with the
 * error body and changes nothing (no seq taken, no row written).
 */
describe('courses: hostile input', () => {
  // With its background work: what it accepts (the bulk's refresh entry) it decides, leaving no
  // term waiting for a decider in the test files that come after.
  const instance = useInstance();
  let termId: string;
  let apiKey: string;

  before(async () => {
    ({ termId, apiKey } = await setUpTerm(instance.app, {
      courses: [course('A'), course('B', { linked: ['A'] })],
      students: ['s'],
    }));
  });

  const counts = async () => {
    const { rows } = await instance.ctx.infra.pool.query(
      `SELECT (SELECT count(*)::int FROM course_requests WHERE term_id = $1) AS requests,
              (SELECT count(*)::int FROM courses WHERE term_id = $1) AS courses,
              (SELECT count(*)::int FROM students WHERE term_id = $1) AS students,
              (SELECT count(*)::int FROM terms) AS terms`,
      [termId],
    );
    const seq = await instance.ctx.infra.redis.hget(`${instance.prefix}:{term:${termId}}:st`, 'seq');
    return { ...rows[0], seq };
  };

  const send = (method: 'POST' | 'PATCH' | 'GET', url: string, payload: string | undefined, headers: Record<string, string>) =>
    instance.app.inject({
      method,
      url,
      headers: { 'content-type': 'application/json', ...headers },
      ...(payload !== undefined ? { payload } : {}),
    });

  it('malformed requests are refused with 4xx and change nothing', async () => {
    const before = await counts();
    const partner = { 'x-api-key': apiKey };
    const request = (body: unknown) => ['POST', `/v1/terms/${termId}/requests`, JSON.stringify(body), partner] as const;
    const tooMany = Array.from({ length: 21 }, () => ({ add: 'A' }));
    const cases: Array<readonly [string, 'POST' | 'PATCH' | 'GET', string, string | undefined, Record<string, string>]> = [
      [
        'prototype pollution',
        'POST',
        `/v1/terms/${termId}/requests`,
        '{"studentId":"s","actions":[{"add":"A"}],"__proto__":{"x":1}}',
        partner,
      ],
      ['constructor key', ...request({ studentId: 's', actions: [{ add: 'A', constructor: { prototype: {} } }] })],
      ['no actions', ...request({ studentId: 's', actions: [] })],
      ['21 actions', ...request({ studentId: 's', actions: tooMany })],
      ['an action with two verbs', ...request({ studentId: 's', actions: [{ add: 'A', drop: 'B' }] })],
      ['an unknown verb', ...request({ studentId: 's', actions: [{ enroll: 'A' }] })],
      ['a number as a course', ...request({ studentId: 's', actions: [{ add: 42 }] })],
      ['a course id with a slash', ...request({ studentId: 's', actions: [{ add: '../etc' }] })],
      ['a course id of 65 characters', ...request({ studentId: 's', actions: [{ add: 'x'.repeat(65) }] })],
      ['a control character in the student id', ...request({ studentId: 's\u0007', actions: [{ add: 'A' }] })],
      ['a student id of 129 characters', ...request({ studentId: 'x'.repeat(129), actions: [{ add: 'A' }] })],
      ['allOrNothing as a string', ...request({ studentId: 's', actions: [{ add: 'A' }], allOrNothing: 'yes' })],
      ['an unknown field', ...request({ studentId: 's', actions: [{ add: 'A' }], priority: 1 })],
      ['a swap missing its add', ...request({ studentId: 's', actions: [{ swap: { drop: 'A' } }] })],
      ['a swap of a course with itself', ...request({ studentId: 's', actions: [{ swap: { drop: 'A', add: 'A' } }] })],
      ['an unknown course', ...request({ studentId: 's', actions: [{ add: 'ZZZ' }] })],
      ['an unknown student', ...request({ studentId: 'nobody', actions: [{ add: 'A' }] })],
      ['not JSON', 'POST', `/v1/terms/${termId}/requests`, '{"studentId":', partner],
      ['a lone surrogate', 'POST', `/v1/terms/${termId}/requests`, '{"studentId":"\\ud800","actions":[{"add":"A"}]}', partner],
      ['a body over the limit', ...request({ studentId: 's', actions: [{ add: 'A' }], pad: 'x'.repeat(20_000) })],
      ['an unknown term', 'POST', '/v1/terms/nope/requests', JSON.stringify({ studentId: 's', actions: [{ add: 'A' }] }), partner],
      ['a term id with a dot', 'POST', '/v1/terms/a.b/requests', JSON.stringify({ studentId: 's', actions: [{ add: 'A' }] }), partner],
      ['a request id with a leading zero', 'GET', `/v1/terms/${termId}/requests/01.${'A'.repeat(22)}`, undefined, partner],
      ['a request id of 65 characters', 'GET', `/v1/terms/${termId}/requests/${'1'.repeat(65)}`, undefined, partner],
      ['a negative capacity', 'PATCH', `/v1/terms/${termId}/courses/A`, JSON.stringify({ capacity: -1 }), admin],
      ['a capacity as a string', 'PATCH', `/v1/terms/${termId}/courses/A`, JSON.stringify({ capacity: '5' }), admin],
      ['an empty change', 'PATCH', `/v1/terms/${termId}/courses/A`, JSON.stringify({}), admin],
      ['a change of an unknown course', 'PATCH', `/v1/terms/${termId}/courses/NOPE`, JSON.stringify({ capacity: 5 }), admin],
      [
        'a meeting ending before it starts',
        'POST',
        `/v1/terms/${termId}/courses`,
        JSON.stringify({ courses: [course('M', { meetings: [{ day: 'MON', start: '10:00', end: '09:00' }] })] }),
        admin,
      ],
      [
        'a meeting on a day that is not one',
        'POST',
        `/v1/terms/${termId}/courses`,
        JSON.stringify({ courses: [course('M', { meetings: [{ day: 'FUNDAY', start: '09:00', end: '10:00' }] })] }),
        admin,
      ],
      [
        'a time of 24:00',
        'POST',
        `/v1/terms/${termId}/courses`,
        JSON.stringify({ courses: [course('M', { meetings: [{ day: 'MON', start: '09:00', end: '24:00' }] })] }),
        admin,
      ],
      [
        'a course linked to nothing',
        'POST',
        `/v1/terms/${termId}/courses`,
        JSON.stringify({ courses: [course('M', { linked: ['GHOST'] })] }),
        admin,
      ],
      ['a course twice in one bulk', 'POST', `/v1/terms/${termId}/courses`, JSON.stringify({ courses: [course('M'), course('M')] }), admin],
      [
        'a known course redefined',
        'POST',
        `/v1/terms/${termId}/courses`,
        JSON.stringify({ courses: [course('A', { credits: 4 })] }),
        admin,
      ],
      [
        '5,001 courses',
        'POST',
        `/v1/terms/${termId}/courses`,
        JSON.stringify({ courses: Array.from({ length: 5001 }, (_, i) => course(`X${i}`)) }),
        admin,
      ],
      ['credits of 1,000', 'POST', `/v1/terms/${termId}/courses`, JSON.stringify({ courses: [course('M', { credits: 1000 })] }), admin],
      [
        'a student twice in one bulk',
        'POST',
        `/v1/terms/${termId}/students`,
        JSON.stringify({
          students: [
            { id: 'q', group: 'g' },
            { id: 'q', group: 'g' },
          ],
        }),
        admin,
      ],
      ['a student without a group', 'POST', `/v1/terms/${termId}/students`, JSON.stringify({ students: [{ id: 'q' }] }), admin],
      [
        'minCredits over maxCredits',
        'POST',
        '/v1/terms',
        JSON.stringify({ id: 'bad-term', name: 'x', minCredits: 20, maxCredits: 18 }),
        admin,
      ],
      [
        'a window that is not a date',
        'POST',
        '/v1/terms',
        JSON.stringify({ id: 'bad-term', name: 'x', maxCredits: 18, windows: [{ group: 'g', opensAt: 'soon' }] }),
        admin,
      ],
      [
        'a window after closing',
        'POST',
        '/v1/terms',
        JSON.stringify({
          id: 'bad-term',
          name: 'x',
          maxCredits: 18,
          windows: [{ group: 'g', opensAt: '2031-01-01T00:00:00Z' }],
          closesAt: '2030-01-01T00:00:00Z',
        }),
        admin,
      ],
      [
        'a room that is no room',
        'POST',
        '/v1/terms',
        JSON.stringify({ id: 'bad-term', name: 'x', maxCredits: 18, roomId: 'no-such-room' }),
        admin,
      ],
      [
        'a webhook that is not http',
        'POST',
        '/v1/terms',
        JSON.stringify({ id: 'bad-term', name: 'x', maxCredits: 18, webhookUrl: 'file:///etc/passwd' }),
        admin,
      ],
    ];
    for (const [label, method, url, payload, headers] of cases) {
      const res = await send(method, url, payload, headers);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${label}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      const body = res.json();
      assert.equal(typeof body.error?.code, 'string', `${label}: an error body`);
      assert.equal(typeof body.error?.message, 'string', label);
    }
    assert.deepEqual(await counts(), before, 'nothing changed');
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  it('bulks at their limits: 5,000 courses and 5,000 students in one call each, sent twice (idempotent)', async () => {
    const term = await setUpTerm(instance.app, { courses: [course('SEED')], students: ['seed'] });
    const meetings = [
      { day: 'MON', start: '09:00', end: '10:15' },
      { day: 'WED', start: '09:00', end: '10:15' },
    ];
    const courses = Array.from({ length: 5000 }, (_, i) =>
      course(`C${i}`, { meetings, requires: ['SEED'], linked: i % 2 ? [`C${i - 1}`] : [] }),
    );
    const students = Array.from({ length: 5000 }, (_, i) => ({ id: `student-${i}`, group: `g${i % 3}`, completed: ['SEED'] }));
    for (const round of [1, 2]) {
      const c = await send('POST', `/v1/terms/${term.termId}/courses`, JSON.stringify({ courses }), admin);
      assert.equal(c.statusCode, 201, c.body.slice(0, 200));
      assert.deepEqual(c.json(), round === 1 ? { created: 5000, unchanged: 0 } : { created: 0, unchanged: 5000 });
      const s = await send('POST', `/v1/terms/${term.termId}/students`, JSON.stringify({ students }), admin);
      assert.equal(s.statusCode, 201, s.body.slice(0, 200));
      assert.deepEqual(s.json(), round === 1 ? { created: 5000, updated: 0, unchanged: 0 } : { created: 0, updated: 0, unchanged: 5000 });
    }
    const list = await send('GET', `/v1/terms/${term.termId}/courses`, undefined, {});
    assert.equal(list.json().courses.length, 5001);
  });
});
