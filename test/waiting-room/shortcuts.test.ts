import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admin, assertShortcutParity, createRoom, enter, eventually, poll, uniqueId, useListeningInstance } from '../helpers.js';

/** pollAfterMs is drawn at random from 80-100% of one interval on every answer (domain/polling.ts). */
const withoutPollAfter = (body: any) => {
  if (body && typeof body === 'object' && 'pollAfterMs' in body) {
    const { pollAfterMs, ...rest } = body;
    assert.equal(typeof pollAfterMs, 'number');
    return rest;
  }
  return body;
};

describe('waiting room: the poll, entry and complete shortcuts', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });
  const json = { 'content-type': 'application/json' };

  it('answers polls of waiting and admitted tickets as the route does, and hands forged or foreign ids to it', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('fast'), admitPerSecond: 100, maxActive: 1, sessionSeconds: 60 });
    const tickets: string[] = [];
    for (const user of ['a', 'b', 'c']) tickets.push((await enter(instance.app, id, user)).body.ticketId as string);
    await eventually(async () => ((await poll(instance.app, id, tickets[0]!)).body.state === 'admitted' ? true : undefined));

    for (const ticketId of tickets) {
      const answer = await assertShortcutParity(
        instance,
        { method: 'GET', path: `/v1/rooms/${id}/tickets/${ticketId}` },
        { taken: true, normalise: withoutPollAfter },
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.headers['cache-control'], 'no-store');
    }
    const [number] = tickets[1]!.split('.');
    const notTickets = [
      `${number}.AAAAAAAAAAAAAAAAAAAAAA`, // forged MAC: canonical form, so the shortcut takes it, fails, hands it over
      `0${tickets[1]}`, // a second spelling of the same ticket is no ticket
      `${tickets[1]}=`,
      `+${tickets[1]}`,
    ];
    const [forged, ...otherSpellings] = notTickets;
    const answer = await assertShortcutParity(instance, { method: 'GET', path: `/v1/rooms/${id}/tickets/${forged}` }, { taken: false });
    assert.equal(answer.status, 404);
    for (const ticketId of otherSpellings) {
      const other = await assertShortcutParity(
        instance,
        { method: 'GET', path: `/v1/rooms/${id}/tickets/${encodeURIComponent(ticketId)}` },
        { taken: false },
      );
      assert.equal(other.status, 404, ticketId);
      assert.equal(other.body.error.code, 'ticket_not_found');
    }
    await assertShortcutParity(instance, { method: 'GET', path: `/v1/rooms/no-such-room/tickets/${tickets[1]}` }, { taken: false });
  });

  it('answers entries as the route does (a backend naming the user, an anonymous visitor), and hands invalid ones to it', async () => {
    const { id } = await createRoom(instance.app, {
      id: uniqueId('enter'),
      admitPerSecond: 1,
      maxActive: 1,
      sessionSeconds: 60,
      clientRate: null,
    });
    const backend = { ...json, ...admin };
    const entry = (payload: string, headers: Record<string, string> = backend, roomId = id) => ({
      method: 'POST' as const,
      path: `/v1/rooms/${roomId}/tickets`,
      headers,
      payload,
    });
    const newTicket = (body: any) => ({
      ...withoutPollAfter(body),
      ticketId: typeof body.ticketId,
      position: typeof body.position,
      etaSeconds: typeof body.etaSeconds,
    });
    // a backend names the user; entering is idempotent: the second entry (the route's) returns the same ticket
    const first = await assertShortcutParity(instance, entry(JSON.stringify({ userId: 'ann' })), {
      taken: true,
      route: entry(JSON.stringify({ userId: 'bea' })),
      normalise: newTicket,
    });
    assert.equal(first.status, 201);
    await assertShortcutParity(instance, entry(JSON.stringify({ userId: 'ann' })), { taken: true, normalise: withoutPollAfter });
    // an anonymous visitor: a new identity each, kept in a cookie
    const anonymous = await assertShortcutParity(instance, entry('{}', json), { taken: true, normalise: newTicket });
    assert.equal(anonymous.status, 201);

    // every other entry: the route's own answer
    for (const [payload, headers] of [
      [JSON.stringify({ userId: 'x', extra: 1 }), backend],
      [JSON.stringify({ userId: '' }), backend],
      ['{"userId": ', backend],
      [JSON.stringify({ userId: 'x' }), { ...admin, 'content-type': 'text/plain' }],
      ['{"userId":"a\\u0000b"}', backend],
      ['{"userId":"\\ud800"}', backend],
      [JSON.stringify({ userId: 'carol' }), json], // naming a user without a backend's credential
    ] as Array<[string, Record<string, string>]>) {
      const answer = await assertShortcutParity(instance, entry(payload, headers), { taken: false });
      assert.ok(answer.status >= 400 && answer.status < 500, `${payload}: ${answer.status}`);
    }
    // an unknown room: taken, refused, then run again by the route (entering is idempotent)
    await assertShortcutParity(instance, entry(JSON.stringify({ userId: 'x' }), backend, 'no-such-room'), { taken: false });
  });

  it('answers completions as the route does, including their refusals (a completion is not idempotent)', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('done'), admitPerSecond: 100, maxActive: 3, sessionSeconds: 60 });
    const tickets: string[] = [];
    for (const user of ['a', 'b', 'c']) tickets.push((await enter(instance.app, id, user)).body.ticketId as string);
    const tokens = await Promise.all(
      tickets.map((t) => eventually(async () => (await poll(instance.app, id, t)).body.accessToken as string | undefined)),
    );
    const complete = (headers: Record<string, string>, payload?: string) => ({
      method: 'POST' as const,
      path: `/v1/rooms/${id}/sessions/complete`,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    // the shortcut completes a's session, the route b's: both 204
    const done = await assertShortcutParity(instance, complete(bearer(tokens[0]!)), { taken: true, route: complete(bearer(tokens[1]!)) });
    assert.equal(done.status, 204);
    // again: both 409, answered by the shortcut itself
    const again = await assertShortcutParity(instance, complete(bearer(tokens[0]!)), { taken: true });
    assert.equal(again.status, 409);
    const tampered = await assertShortcutParity(instance, complete(bearer(`${tokens[2]!.slice(0, -4)}AAAA`)), { taken: true });
    assert.equal(tampered.status, 401);
    // without a bearer token, or with a body: the route's
    for (const headers of [{}, { authorization: 'Basic abc' }] as Array<Record<string, string>>) {
      assert.equal((await assertShortcutParity(instance, complete(headers), { taken: false })).status, 401);
    }
    assert.equal((await poll(instance.app, id, tickets[2]!)).body.state, 'admitted', 'none of these completed c');
    const withBody = await instance.app.inject({
      method: 'POST',
      url: `/v1/rooms/${id}/sessions/complete`,
      headers: { ...bearer(tokens[2]!), ...json },
      payload: '{}',
    });
    assert.equal(withBody.statusCode, 204);
  });
});
