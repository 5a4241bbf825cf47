import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admin, createRoom, enter, poll, uniqueId, useInstance } from '../helpers.js';

describe('waiting room: entry and room administration', () => {
  const instance = useInstance({}, { background: false });

  const room = (extra: Record<string, unknown> = {}) => ({
    id: uniqueId('room'),
    admitPerSecond: 10,
    maxActive: 5,
    sessionSeconds: 60,
    ...extra,
  });

  it('creates a room, returns it with live stats, and refuses a duplicate id', async () => {
    const body = room({ maxExtensions: 2, targetUrl: 'https://shop.example/checkout' });
    const created = await createRoom(instance.app, body);
    assert.equal(created.id, body.id);
    assert.equal(created.maxExtensions, 2);
    assert.deepEqual(created.stats, {
      waiting: 0,
      active: 0,
      admittedTotal: 0,
      observedAdmitPerSecond: null,
      oldestWaitSeconds: null,
      opened: true,
    });
    const again = await instance.app.inject({ method: 'POST', url: '/v1/rooms', headers: admin, payload: body });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'room_exists');
  });

  it('gives each user one ticket: entering again returns the same ticket and place', async () => {
    const { id } = await createRoom(instance.app, room());
    const alice = await enter(instance.app, id, 'alice');
    const bob = await enter(instance.app, id, 'bob');
    assert.equal(alice.status, 201);
    assert.equal(bob.status, 201);
    assert.equal(alice.body.state, 'waiting');
    assert.equal(alice.body.position, 1);
    assert.equal(bob.body.position, 2);
    assert.ok(alice.body.pollAfterMs >= 800);
    assert.ok(bob.body.etaSeconds >= 1);

    // refresh, second tab, second device: all concurrent
    const again = await Promise.all(Array.from({ length: 20 }, () => enter(instance.app, id, 'alice')));
    for (const reply of again) {
      assert.equal(reply.status, 200);
      assert.equal(reply.body.ticketId, alice.body.ticketId);
      assert.equal(reply.body.position, 1);
    }
    const polled = await poll(instance.app, id, bob.body.ticketId);
    assert.equal(polled.status, 200);
    assert.equal(polled.body.position, 2);

    const { stats } = (await instance.app.inject({ url: `/v1/rooms/${id}`, headers: admin })).json();
    assert.equal(stats.waiting, 2);
    assert.ok(stats.oldestWaitSeconds >= 0);
  });

  it('gives a new user who enters many times at once (double click, several tabs) one ticket', async () => {
    const { id } = await createRoom(instance.app, room());
    await enter(instance.app, id, 'first');
    // Concurrent entries share one script run: the user's later entries in the same run must see
    // the ticket its first one created.
    const replies = await Promise.all(Array.from({ length: 12 }, () => enter(instance.app, id, 'carol')));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    assert.equal(new Set(replies.map((r) => r.body.ticketId)).size, 1);
    assert.ok(replies.every((r) => r.body.position === 2));
    const next = await enter(instance.app, id, 'dave');
    assert.equal(next.body.position, 3);
    const { stats } = (await instance.app.inject({ url: `/v1/rooms/${id}`, headers: admin })).json();
    assert.equal(stats.waiting, 3);
  });

  it('answers 404 for an unknown room, and for unknown or forged tickets', async () => {
    const unknownRoom = await enter(instance.app, 'no-such-room', 'alice');
    assert.equal(unknownRoom.status, 404);
    assert.equal(unknownRoom.body.error.code, 'room_not_found');

    const { id } = await createRoom(instance.app, room());
    const { body } = await enter(instance.app, id, 'carol');
    const [number, mac] = body.ticketId.split('.');
    for (const forged of [`${Number(number) + 1}.${mac}`, `${number}.AAAAAAAAAAAAAAAAAAAAAA`, 'garbage', `99.${mac}`]) {
      const reply = await poll(instance.app, id, forged);
      assert.equal(reply.status, 404, forged);
      assert.equal(reply.body.error.code, 'ticket_not_found');
    }
    // a ticket of one room is not a ticket of another
    const other = await createRoom(instance.app, room());
    assert.equal((await poll(instance.app, other.id, body.ticketId)).status, 404);
  });

  it('rejects bad input with a 4xx and a clear message, changing nothing', async () => {
    const { id } = await createRoom(instance.app, room());
    const bad: Array<{ payload: string; contentType?: string; status: number; code: string }> = [
      { payload: JSON.stringify({ userId: 'dave', identityToken: 'a.b.c' }), status: 400, code: 'invalid_request' },
      { payload: JSON.stringify({ userId: '' }), status: 400, code: 'invalid_request' },
      { payload: JSON.stringify({ userId: 'da\u0000ve' }), status: 400, code: 'invalid_encoding' },
      { payload: '{"userId":"\\ud800ve"}', status: 400, code: 'invalid_encoding' },
      { payload: JSON.stringify({ userId: 'da\u0007ve' }), status: 400, code: 'invalid_request' },
      { payload: JSON.stringify({ userId: 42 }), status: 400, code: 'invalid_request' },
      { payload: JSON.stringify({ userId: 'x'.repeat(129) }), status: 400, code: 'invalid_request' },
      { payload: JSON.stringify({ userId: 'dave', admin: true }), status: 400, code: 'invalid_request' },
      { payload: '{"userId": ', status: 400, code: 'invalid_json' },
      { payload: JSON.stringify({ userId: 'x'.repeat(20_000) }), status: 413, code: 'payload_too_large' },
      { payload: 'userId=dave', contentType: 'text/plain', status: 415, code: 'unsupported_media_type' },
    ];
    for (const { payload, contentType, status, code } of bad) {
      const res = await instance.app.inject({
        method: 'POST',
        url: `/v1/rooms/${id}/tickets`,
        payload,
        headers: { ...admin, 'content-type': contentType ?? 'application/json' },
      });
      assert.equal(res.statusCode, status, payload.slice(0, 40));
      const body = res.json();
      assert.equal(body.error.code, code);
      assert.ok(body.error.message.length > 0);
      assert.doesNotMatch(res.body, /at .*\.(ts|js):\d+/); // no stack trace
    }
    const { stats } = (await instance.app.inject({ url: `/v1/rooms/${id}`, headers: admin })).json();
    assert.equal(stats.waiting, 0);

    const invalidRooms = [
      room({ admitPerSecond: 0 }),
      room({ maxActive: -1 }),
      room({ sessionSeconds: 1.5 }),
      room({ prequeue: 'random' }),
      room({ opensAt: 'tomorrow' }),
      room({ targetUrl: 'javascript:alert(1)' }),
      room({ id: 'has space' }),
      room({ unknown: 1 }),
    ];
    for (const body of invalidRooms) {
      const res = await instance.app.inject({ method: 'POST', url: '/v1/rooms', headers: admin, payload: body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().error.code, 'invalid_request');
      const lookup = await instance.app.inject({ url: `/v1/rooms/${encodeURIComponent(String(body.id))}`, headers: admin });
      assert.ok(lookup.statusCode === 404 || lookup.statusCode === 400);
    }
  });

  it('requires the admin token for the admin API', async () => {
    const body = room();
    for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: 'Basic abc' }]) {
      const res = await instance.app.inject({ method: 'POST', url: '/v1/rooms', headers, payload: body });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'unauthorized');
    }
    assert.equal((await instance.app.inject({ url: `/v1/rooms/${body.id}`, headers: admin })).statusCode, 404);
  });

  it('updates a room: PATCH changes rate, capacity and pause, and validates', async () => {
    const { id } = await createRoom(instance.app, room());
    const res = await instance.app.inject({
      method: 'PATCH',
      url: `/v1/rooms/${id}`,
      headers: admin,
      payload: { admitPerSecond: 25, maxActive: 7, paused: true },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().admitPerSecond, 25);
    assert.equal(res.json().maxActive, 7);
    assert.equal(res.json().paused, true);
    const bad = await instance.app.inject({ method: 'PATCH', url: `/v1/rooms/${id}`, headers: admin, payload: { sessionSeconds: 5 } });
    assert.equal(bad.statusCode, 400);
    const missing = await instance.app.inject({ method: 'PATCH', url: '/v1/rooms/nope', headers: admin, payload: { paused: false } });
    assert.equal(missing.statusCode, 404);
  });
});
