import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { entryShortcut } from '../../src/waiting-room/fast-enter.js';
import { assertSameTicketAnswer, createRoom, enter, eventually, poll, uniqueId, useListeningInstance } from '../helpers.js';

describe('waiting room: the poll and entry shortcuts', () => {
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

      // admitted: the route (a token needs Redis); forged: the route's 404
      const admitted = await httpPoll(id, tickets[0]!);
      assert.equal(admitted.body.state, 'admitted');
      assert.ok(admitted.body.accessToken);
      const forged = await httpPoll(id, `${tickets[1]!.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`);
      assert.equal(forged.status, 404);
      assert.deepEqual((forged.body as { error: { code: string } }).error.code, 'ticket_not_found');
    } finally {
      instance.ctx.waitingRoom.pollFromCache = original;
    }
  });

  it('answers plain entries as the Fastify route does, and hands every other entry to it', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('enter'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const httpEnter = async (roomId: string, payload: string, contentType = 'application/json') => {
      const res = await request(`${instance.origin}/v1/rooms/${roomId}/tickets`, { method: 'POST', headers: { 'content-type': contentType }, body: payload });
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
        const direct = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${room}/tickets`, payload, headers: { 'content-type': type ?? 'application/json' } });
        assert.equal(viaShortcut.status, direct.statusCode, payload);
        assert.deepEqual(viaShortcut.body, direct.json(), payload);
      }
      assert.equal(entryShortcut.answered, answeredBeforeErrors, 'none of these was answered by the shortcut');
    } finally {
      (instance.app as { inject: unknown }).inject = inject;
    }
  });
});
