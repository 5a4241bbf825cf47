import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { waitingRoom } from '../../src/waiting-room/definition.js';
import { admin, createRoom, enter, eventually, poll, scriptRuns, sleep, uniqueId, useInstance } from '../helpers.js';

async function admittedToken(app: FastifyInstance, roomId: string, ticketId: string, timeoutMs = 3000): Promise<string> {
  return eventually(async () => {
    const { body } = await poll(app, roomId, ticketId);
    return body.state === 'admitted' ? (body.accessToken as string) : undefined;
  }, timeoutMs);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('waiting room: sessions', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });
  const prefix = instance.prefix;

  // One slot, fast admission: whoever is admitted next shows which slot was freed and when.
  const oneSlot = async (extra: Record<string, unknown> = {}) =>
    (await createRoom(instance.app, { id: uniqueId('slot'), admitPerSecond: 100, maxActive: 1, sessionSeconds: 60, ...extra }))
      .id as string;

  it('an expired session frees its slot, and its token stops verifying', async () => {
    const roomId = await oneSlot({ sessionSeconds: 1 });
    const a = (await enter(instance.app, roomId, 'a')).body.ticketId;
    const b = (await enter(instance.app, roomId, 'b')).body.ticketId;
    const tokenA = await admittedToken(instance.app, roomId, a);
    assert.equal((await poll(instance.app, roomId, b)).body.state, 'waiting');
    const verified = await instance.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token: tokenA } });
    assert.equal(verified.statusCode, 200);

    await admittedToken(instance.app, roomId, b);
    assert.equal((await poll(instance.app, roomId, a)).body.state, 'expired');
    const after = await instance.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token: tokenA } });
    assert.equal(after.statusCode, 401);
  });

  it('extends at most maxExtensions times, only with the newest token', async () => {
    const roomId = await oneSlot({ maxExtensions: 2 });
    const ticket = (await enter(instance.app, roomId, 'ext')).body.ticketId;
    let token = await admittedToken(instance.app, roomId, ticket);
    const first = token;
    let previousExpiry = 0;
    for (let i = 1; i <= 2; i++) {
      await sleep(1100); // expiry has a resolution of one second in the token
      const res = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/extend`, headers: bearer(token) });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().extensions, i);
      const expiry = Date.parse(res.json().expiresAt);
      assert.ok(expiry > previousExpiry);
      previousExpiry = expiry;
      token = res.json().accessToken;
    }
    const limit = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/extend`, headers: bearer(token) });
    assert.equal(limit.statusCode, 409);
    assert.equal(limit.json().error.code, 'extension_limit');
    const stale = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/extend`, headers: bearer(first) });
    assert.equal(stale.statusCode, 401);
    const none = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/extend` });
    assert.equal(none.statusCode, 401);
    // polling returns the newest token
    assert.equal((await poll(instance.app, roomId, ticket)).body.accessToken, token);
  });

  it('complete frees the slot at once and revokes the token', async () => {
    const roomId = await oneSlot();
    const a = (await enter(instance.app, roomId, 'a')).body.ticketId;
    const b = (await enter(instance.app, roomId, 'b')).body.ticketId;
    const token = await admittedToken(instance.app, roomId, a);
    await sleep(300);
    assert.equal((await poll(instance.app, roomId, b)).body.state, 'waiting');
    const done = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/complete`, headers: bearer(token) });
    assert.equal(done.statusCode, 204);
    await admittedToken(instance.app, roomId, b, 1000);
    assert.equal((await poll(instance.app, roomId, a)).body.state, 'completed');
    const again = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/complete`, headers: bearer(token) });
    assert.equal(again.statusCode, 409);
    const verify = await instance.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token } });
    assert.equal(verify.statusCode, 401);
  });

  it('leaving frees an active slot, and a ticket that left while waiting is passed over', async () => {
    const roomId = await oneSlot();
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (u) => (await enter(instance.app, roomId, u)).body.ticketId as string));
    // enter is concurrent: find who holds the first place
    const order = (await Promise.all([a, b, c].map(async (t) => ({ t, p: (await poll(instance.app, roomId, t!)).body.position }))))
      .sort((x, y) => x.p - y.p)
      .map((x) => x.t!);
    const [first, second, third] = order as [string, string, string];
    await admittedToken(instance.app, roomId, first);
    const leaveSecond = await instance.app.inject({ method: 'DELETE', url: `/v1/rooms/${roomId}/tickets/${second}` });
    assert.equal(leaveSecond.statusCode, 204);
    assert.equal((await poll(instance.app, roomId, second)).body.state, 'left');
    const leaveFirst = await instance.app.inject({ method: 'DELETE', url: `/v1/rooms/${roomId}/tickets/${first}` });
    assert.equal(leaveFirst.statusCode, 204);
    await admittedToken(instance.app, roomId, third, 1000);
    assert.equal((await poll(instance.app, roomId, second)).body.state, 'left');
    // leaving twice is harmless; an unknown ticket is a 404
    assert.equal((await instance.app.inject({ method: 'DELETE', url: `/v1/rooms/${roomId}/tickets/${second}` })).statusCode, 204);
    assert.equal((await instance.app.inject({ method: 'DELETE', url: `/v1/rooms/${roomId}/tickets/999.abc` })).statusCode, 404);
    // a user who left may enter again, at the back
    const back = await enter(instance.app, roomId, 'b');
    assert.equal(back.status, 201);
  });

  it('skips abandoned tickets: not polled for abandonAfterSeconds', async () => {
    const roomId = await oneSlot({ abandonAfterSeconds: 3 });
    const holder = (await enter(instance.app, roomId, 'holder')).body.ticketId;
    const token = await admittedToken(instance.app, roomId, holder);
    const gone = (await enter(instance.app, roomId, 'gone')).body.ticketId;
    const loyal = (await enter(instance.app, roomId, 'loyal')).body.ticketId;
    // the loyal user polls as told; "gone" never polls again
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const { body } = await poll(instance.app, roomId, loyal);
      assert.equal(body.state, 'waiting');
      assert.ok(body.pollAfterMs <= 1000, `pollAfterMs ${body.pollAfterMs} must stay below abandonAfterSeconds / 3`);
      await sleep(body.pollAfterMs);
    }
    await instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/complete`, headers: bearer(token) });
    await admittedToken(instance.app, roomId, loyal, 2000);
    assert.equal((await poll(instance.app, roomId, gone)).body.state, 'expired');
  });

  it('polls, completions and leaves arriving together are each decided for their own ticket', async () => {
    // Concurrent requests to one room share script runs (ticket-batchers.ts): every answer must
    // still be its own ticket's, and each session must end exactly once.
    const roomId = (await createRoom(instance.app, { id: uniqueId('batch'), admitPerSecond: 1000, maxActive: 30, sessionSeconds: 60 }))
      .id as string;
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const tickets: string[] = [];
    for (const user of users) tickets.push((await enter(instance.app, roomId, user)).body.ticketId);
    await eventually(async () => ((await instance.ctx.infra.redis.zcard(`${prefix}:{room:${roomId}}:active`)) === 30 ? true : undefined));
    // The instance's cached counters may predate the admissions (they are renewed every ~100 ms):
    // read them after, so that every admitted ticket is known to be past the front.
    await instance.ctx.get(waitingRoom).service.views.get(roomId, { fresh: true });

    const sessionRunsBefore = await scriptRuns(instance.ctx, 'session');
    // every ticket polled twice at once
    const polls = await Promise.all([...tickets, ...tickets].map((t) => poll(instance.app, roomId, t)));
    assert.ok((await scriptRuns(instance.ctx, 'session')) - sessionRunsBefore < 60, 'the admitted tickets polls share script runs');
    const tokens = new Map<string, string>();
    polls.forEach(({ status, body }, i) => {
      const ticket = tickets[i % 40]!;
      assert.equal(status, 200);
      assert.equal(body.ticketId, ticket);
      if (i % 40 >= 30) {
        assert.equal(body.state, 'waiting');
        return;
      }
      assert.equal(body.state, 'admitted');
      const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
      assert.equal(claims.tid, ticket);
      assert.equal(claims.sub, users[i % 40]);
      if (tokens.has(ticket)) assert.equal(body.accessToken, tokens.get(ticket), 'both polls open the same session');
      tokens.set(ticket, body.accessToken);
    });

    // every session completed twice at once, every waiting ticket left twice at once
    const completions = await Promise.all(
      [...tokens.values(), ...tokens.values()].map((token) =>
        instance.app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/sessions/complete`, headers: bearer(token) }),
      ),
    );
    const waiting = tickets.slice(30);
    const leaves = await Promise.all(
      [...waiting, ...waiting].map((t) => instance.app.inject({ method: 'DELETE', url: `/v1/rooms/${roomId}/tickets/${t}` })),
    );
    assert.equal(completions.filter((r) => r.statusCode === 204).length, 30);
    assert.deepEqual(
      completions.filter((r) => r.statusCode !== 204).map((r) => [r.statusCode, r.json().error.code]),
      Array.from({ length: 30 }, () => [409, 'session_not_active']),
    );
    assert.ok(leaves.every((r) => r.statusCode === 204));
    for (const [i, t] of tickets.entries()) assert.equal((await poll(instance.app, roomId, t)).body.state, i < 30 ? 'completed' : 'left');
    const room = await instance.app.inject({ method: 'GET', url: `/v1/rooms/${roomId}`, headers: admin });
    assert.equal(room.json().stats.active, 0);
    assert.equal(room.json().stats.waiting, 0);
  });

  it('an admitted user who never comes back for the token loses the slot after arrivalSeconds', async () => {
    const roomId = await oneSlot({ arrivalSeconds: 1 });
    const noShow = (await enter(instance.app, roomId, 'no-show')).body.ticketId;
    const next = (await enter(instance.app, roomId, 'next')).body.ticketId;
    const admittedAt = await eventually(async () =>
      (await instance.ctx.infra.redis.zcard(`${prefix}:{room:${roomId}}:active`)) === 1 ? Date.now() : undefined,
    );
    await admittedToken(instance.app, roomId, next, 4000);
    assert.ok(Date.now() - admittedAt >= 900, 'the slot was held for arrivalSeconds');
    assert.equal((await poll(instance.app, roomId, noShow)).body.state, 'expired');
  });
});
