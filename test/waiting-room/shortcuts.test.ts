import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { completeShortcut } from '../../src/waiting-room/fast-complete.js';
import { entryShortcut } from '../../src/waiting-room/fast-enter.js';
import { pollShortcut } from '../../src/waiting-room/fast-poll.js';
import { assertSameTicketAnswer, createRoom, enter, eventually, poll, uniqueId, useListeningInstance } from '../helpers.js';

describe('waiting room: the poll, entry and complete shortcuts', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });

  async function httpPoll(roomId: string, ticketId: string) {
    const res = await request(`${instance.origin}/v1/rooms/${roomId}/tickets/${ticketId}`);
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, unknown> };
  }

  it('answers waiting tickets exactly as the Fastify route does, and hands everything else to it', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('fast'), admitPerSecond: 100, maxActive: 1, sessionSeconds: 60 });
    const tickets: string[] = [];
    for (const user of ['a', 'b', 'c']) tickets.push((await enter(instance.app, id, user)).body.ticketId as string);
    await eventually(async () => ((await poll(instance.app, id, tickets[0]!)).body.state === 'admitted' ? true : undefined));

    let shortcuts = 0;
    const original = instance.ctx.waitingRoom.pollFromCache.bind(instance.ctx.waitingRoom);
    instance.ctx.waitingRoom.pollFromCache = (roomId, ticketId) => {
      const answer = original(roomId, ticketId);
      if (answer) shortcuts++;
      return answer;
    };
    try {
      for (const ticketId of tickets.slice(1)) {
        await httpPoll(id, ticketId); // warms the counters if they were stale
        const viaShortcut = await httpPoll(id, ticketId);
        const viaRoute = await poll(instance.app, id, ticketId);
        assert.equal(viaShortcut.status, 200);
        assertSameTicketAnswer(viaShortcut.body, viaRoute.body);
        assert.equal(viaShortcut.headers['cache-control'], 'no-store');
        assert.match(String(viaShortcut.headers['content-type']), /^application\/json/);
      }
      assert.ok(shortcuts >= 2, `the shortcut answered ${shortcuts} polls`);

      // admitted: the service's full poll (a token needs Redis), still answered by the shortcut,
      // the same token as the route's; forged: handed to the route, its 404
      const throughServiceBefore = pollShortcut.throughService;
      const admitted = await httpPoll(id, tickets[0]!);
      assert.equal(pollShortcut.throughService - throughServiceBefore, 1);
      assert.equal(admitted.body.state, 'admitted');
      assert.equal(admitted.headers['cache-control'], 'no-store');
      assert.deepEqual(admitted.body, (await poll(instance.app, id, tickets[0]!)).body);
      const forged = await httpPoll(id, `${tickets[1]!.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`);
      assert.equal(forged.status, 404);
      assert.deepEqual(forged.body, (await poll(instance.app, id, `${tickets[1]!.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`)).body);
      assert.equal(pollShortcut.throughService - throughServiceBefore, 1, 'the forged id went to the route');
    } finally {
      instance.ctx.waitingRoom.pollFromCache = original;
    }
  });

  it('answers plain entries as the Fastify route does, and hands every other entry to it', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('enter'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const httpEnter = async (roomId: string, payload: string, contentType = 'application/json') => {
      const res = await request(`${instance.origin}/v1/rooms/${roomId}/tickets`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: payload,
      });
      return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
    };
    let replayed = 0;
    const inject = instance.app.inject.bind(instance.app);
    (instance.app as { inject: unknown }).inject = (...args: Parameters<typeof inject>) => {
      replayed++;
      return inject(...args);
    };
    try {
      const answeredBefore = entryShortcut.answered;
      const first = await httpEnter(id, JSON.stringify({ userId: 'ann' }));
      const again = await httpEnter(id, JSON.stringify({ userId: 'ann' }));
      const viaRoute = await enter(instance.app, id, 'ann');
      assert.equal(entryShortcut.answered - answeredBefore, 2, 'plain entries were answered by the shortcut');
      assert.equal(replayed, 1, 'and not replayed into the route (only the direct inject counted)');
      assert.equal(first.status, 201);
      assert.equal(again.status, 200);
      assertSameTicketAnswer(again.body, viaRoute.body);
      assert.match(String(first.headers['content-type']), /^application\/json/);

      // everything else: the route's own answers, byte for byte the same errors
      const cases: Array<[string, string, string?]> = [
        ['no-such-room', JSON.stringify({ userId: 'x' })],
        [id, JSON.stringify({ userId: 'x', extra: 1 })],
        [id, JSON.stringify({ userId: '' })],
        [id, '{"userId": '],
        [id, JSON.stringify({ userId: 'x' }), 'text/plain'],
      ];
      const answeredBeforeErrors = entryShortcut.answered;
      for (const [room, payload, type] of cases) {
        const viaShortcut = await httpEnter(room, payload, type);
        const direct = await instance.app.inject({
          method: 'POST',
          url: `/v1/rooms/${room}/tickets`,
          payload,
          headers: { 'content-type': type ?? 'application/json' },
        });
        assert.equal(viaShortcut.status, direct.statusCode, payload);
        assert.deepEqual(viaShortcut.body, direct.json(), payload);
      }
      assert.equal(entryShortcut.answered, answeredBeforeErrors, 'none of these was answered by the shortcut');
    } finally {
      (instance.app as { inject: unknown }).inject = inject;
    }
  });

  it('answers plain completions as the Fastify route does, and hands every other one to it', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('done'), admitPerSecond: 100, maxActive: 2, sessionSeconds: 60 });
    const tickets: string[] = [];
    for (const user of ['a', 'b']) tickets.push((await enter(instance.app, id, user)).body.ticketId as string);
    const tokens = await Promise.all(
      tickets.map((t) => eventually(async () => (await poll(instance.app, id, t)).body.accessToken as string | undefined)),
    );
    const url = `/v1/rooms/${id}/sessions/complete`;
    const httpComplete = async (headers: Record<string, string>, body?: string) => {
      const res = await request(`${instance.origin}${url}`, { method: 'POST', headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.body.text();
      return { status: res.statusCode, body: text ? JSON.parse(text) : null };
    };
    const viaRoute = async (headers: Record<string, string>, payload?: string) => {
      const res = await instance.app.inject({ method: 'POST', url, headers, ...(payload !== undefined ? { payload } : {}) });
      return { status: res.statusCode, body: res.body ? res.json() : null };
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    const answeredBefore = completeShortcut.answered;
    assert.deepEqual(await httpComplete(bearer(tokens[0]!)), { status: 204, body: null });
    const again = await httpComplete(bearer(tokens[0]!));
    assert.equal(again.status, 409);
    assert.deepEqual(again, await viaRoute(bearer(tokens[0]!)));
    const tampered = await httpComplete(bearer(`${tokens[1]!.slice(0, -4)}AAAA`));
    assert.equal(tampered.status, 401);
    assert.deepEqual(tampered, await viaRoute(bearer(`${tokens[1]!.slice(0, -4)}AAAA`)));
    assert.equal(completeShortcut.answered - answeredBefore, 3);

    // without a bearer token: the route's own 401s
    for (const headers of [{}, { authorization: 'Basic abc' }] as Array<Record<string, string>>) {
      const viaShortcut = await httpComplete(headers);
      assert.equal(viaShortcut.status, 401);
      assert.deepEqual(viaShortcut, await viaRoute(headers));
    }
    assert.equal(completeShortcut.answered - answeredBefore, 3, 'none of these was answered by the shortcut');
    assert.equal((await poll(instance.app, id, tickets[1]!)).body.state, 'admitted', 'and none completed the session');
    // a request with a body is the route's to judge, whatever it decides
    const withBody = await httpComplete({ ...bearer(tokens[1]!), 'content-type': 'application/json' }, '{}');
    assert.equal(completeShortcut.answered - answeredBefore, 3);
    assert.deepEqual(withBody, { status: 204, body: null });
  });
});
