import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  admin,
  assertShortcutParity,
  createRoom,
  enter,
  eventually,
  type HttpCase,
  poll,
  uniqueId,
  useListeningInstance,
} from '../helpers.js';
import { addCourses, addStudents, course, createPartner, createTerm, decided, setUpTerm } from './helpers.js';

describe('courses: who may register and read, and the shortcuts', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });
  let roomId: string;
  let termId: string;
  let apiKey: string;

  async function tokenFor(userId: string): Promise<string> {
    const ticketId = (await enter(instance.app, roomId, userId)).body.ticketId;
    return eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
  }

  before(async () => {
    roomId = (await createRoom(instance.app, { id: uniqueId('reg'), admitPerSecond: 100, maxActive: 100, sessionSeconds: 120 })).id;
    termId = (await createTerm(instance.app, { roomId })).id;
    await addCourses(instance.app, termId, [course('A'), course('B')]);
    await addStudents(
      instance.app,
      termId,
      ['alice', 'bob', 'carol'].map((id) => ({ id, group: 'all' })),
    );
    apiKey = await createPartner(instance.app);
  });

  const post = (headers: Record<string, string>, payload: object) =>
    instance.app.inject({ method: 'POST', url: `/v1/terms/${termId}/requests`, headers, payload });
  const get = (url: string, headers: Record<string, string>) => instance.app.inject({ url, headers });

  it('a term behind a waiting room: a student registers with a live token of its room, for themselves only', async () => {
    const alice = await tokenFor('alice');
    const ok = await post({ authorization: `Bearer ${alice}` }, { actions: [{ add: 'A' }] });
    assert.equal(ok.statusCode, 202, ok.body);
    const requestId = ok.json().requestId;

    for (const [label, headers, payload] of [
      ['no credentials', {}, { actions: [{ add: 'A' }] }],
      ['a garbage token', { authorization: 'Bearer x.y.z' }, { actions: [{ add: 'A' }] }],
      ["someone else's name with one's token", { authorization: `Bearer ${alice}` }, { studentId: 'bob', actions: [{ add: 'A' }] }],
    ] as Array<[string, Record<string, string>, object]>) {
      const res = await post(headers, payload);
      assert.equal(res.statusCode, 403, label);
      assert.equal(res.json().error.code, 'not_admitted', label);
    }
    // a partner's backend may register any student, naming them
    assert.equal((await post({ 'x-api-key': apiKey }, { studentId: 'bob', actions: [{ add: 'B' }] })).statusCode, 202);
    assert.equal((await post({ 'x-api-key': 'fgk_nope' }, { studentId: 'bob', actions: [{ add: 'B' }] })).statusCode, 401);
    assert.equal((await post({ 'x-api-key': apiKey }, { actions: [{ add: 'B' }] })).statusCode, 400, 'a partner names the student');

    // the student reads their own request and schedule; not another's
    const results = await eventually(async () => {
      const res = await get(`/v1/terms/${termId}/requests/${requestId}`, { authorization: `Bearer ${alice}` });
      assert.equal(res.statusCode, 200, res.body);
      return res.json().status === 'decided' ? res.json().results : undefined;
    });
    assert.deepEqual(results, [{ action: { add: 'A' }, outcome: 'enrolled' }]);
    const carol = await tokenFor('carol');
    assert.equal((await get(`/v1/terms/${termId}/requests/${requestId}`, { authorization: `Bearer ${carol}` })).statusCode, 404);
    assert.equal((await get(`/v1/terms/${termId}/students/alice`, { authorization: `Bearer ${alice}` })).statusCode, 200);
    assert.equal((await get(`/v1/terms/${termId}/students/alice`, { authorization: `Bearer ${carol}` })).statusCode, 404);
    assert.equal((await get(`/v1/terms/${termId}/students/alice`, {})).statusCode, 403);
    // operators and partners read any
    assert.equal((await get(`/v1/terms/${termId}/requests/${requestId}`, admin)).json().status, 'decided');
    assert.equal((await get(`/v1/terms/${termId}/students/alice`, { 'x-api-key': apiKey })).statusCode, 200);
    // a forged id names no request: a valid seq with a MAC that is not this student's
    const forged = `${requestId.split('.')[0]}.${'A'.repeat(22)}`;
    assert.equal((await get(`/v1/terms/${termId}/requests/${forged}`, { authorization: `Bearer ${alice}` })).statusCode, 404);
    assert.equal((await get(`/v1/terms/${termId}/requests/${forged}`, admin)).statusCode, 404);
  });

  it('operators alone create terms, courses and students, and change capacities', async () => {
    const cases: Array<[string, string, object]> = [
      ['POST', '/v1/terms', { id: uniqueId('t'), name: 'x', maxCredits: 1 }],
      ['POST', `/v1/terms/${termId}/courses`, { courses: [course('Z')] }],
      ['POST', `/v1/terms/${termId}/students`, { students: [{ id: 'z', group: 'g' }] }],
      ['PATCH', `/v1/terms/${termId}/courses/A`, { capacity: 99 }],
    ];
    for (const [method, url, payload] of cases) {
      for (const headers of [{}, { 'x-api-key': apiKey }, { authorization: 'Bearer not-the-admin-token' }]) {
        const res = await instance.app.inject({ method: method as 'POST', url, headers, payload });
        assert.equal(res.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}`);
      }
    }
    assert.equal((await get(`/v1/terms/${termId}`, {})).statusCode, 401);
    assert.equal((await get(`/v1/terms/${termId}/courses`, {})).statusCode, 200, 'the catalogue is public');
  });

  it('the request and poll shortcuts answer exactly as their routes', async () => {
    const a = await setUpTerm(instance.app, { courses: [course('C', { capacity: 1 })], students: ['s', 't'] });
    const b = await setUpTerm(instance.app, { courses: [course('C', { capacity: 1 })], students: ['s', 't'] });
    const requestCase = (term: string, key: string, payload: object): HttpCase => ({
      method: 'POST',
      path: `/v1/terms/${term}/requests`,
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      payload: JSON.stringify(payload),
    });
    const twins = (body: unknown, side: 'shortcut' | 'route') =>
      JSON.parse(
        JSON.stringify(body)
          .replaceAll(side === 'shortcut' ? a.termId : b.termId, '<term>')
          .replace(/"requestId":"(\d+)\.[A-Za-z0-9_-]{22}"/g, '"requestId":"$1"')
          .replace(/"pollAfterMs":\d+/g, '"pollAfterMs":0')
          .replace(/"position":\d+/g, '"position":0'),
      );
    const ids: string[] = [];
    for (const payload of [
      { studentId: 's', actions: [{ add: 'C' }] },
      { studentId: 't', actions: [{ add: 'C' }, { drop: 'C' }], allOrNothing: true },
      { studentId: 'nobody', actions: [{ add: 'C' }] },
      { studentId: 's', actions: [{ add: 'NOPE' }] },
      { studentId: 's', actions: [{ swap: { drop: 'C', add: 'C' } }] },
    ]) {
      const answer = await assertShortcutParity(instance, requestCase(a.termId, a.apiKey, payload), {
        taken: true,
        route: requestCase(b.termId, b.apiKey, payload),
        normalise: twins,
      });
      if (answer.status === 202) ids.push(answer.body.requestId);
    }
    assert.equal(ids.length, 2, 'two accepted, three refused (unknown student, unknown course, a swap of a course with itself)');
    // polls: queued or decided, unknown, forged
    const first = ids[0]!;
    await decided(instance.app, a.termId, a.apiKey, first);
    const pollCase = (requestId: string): HttpCase => ({
      method: 'GET',
      path: `/v1/terms/${a.termId}/requests/${requestId}`,
      headers: { 'x-api-key': a.apiKey },
    });
    const decidedAnswer = await assertShortcutParity(instance, pollCase(first), { taken: true });
    assert.equal(decidedAnswer.body.status, 'decided');
    assert.equal(decidedAnswer.headers['cache-control'], 'no-store');
    // an id that is not in the canonical form goes to the route (404 there)
    assert.equal((await assertShortcutParity(instance, pollCase('007.abc'), { taken: false })).status, 404);
    // a poll whose answer is an error is handed to the route, which answers it
    assert.equal((await assertShortcutParity(instance, pollCase(`99999.${'A'.repeat(22)}`), { taken: false })).status, 404);
  });
});
