import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRoom, enter, eventually, poll, uniqueId, useInstance } from '../helpers.js';
import { createPartner, simpleShow } from './helpers.js';

describe('seats: a show behind a waiting room', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });

  async function tokenFor(roomId: string, userId: string): Promise<string> {
    const ticketId = (await enter(instance.app, roomId, userId)).body.ticketId;
    return eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
  }
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const post = (url: string, headers: Record<string, string>, payload?: object) =>
    instance.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });

  it('accepts only live access tokens of its room, for the token own user, on every hold operation', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('gate'), admitPerSecond: 100, maxActive: 100, sessionSeconds: 2 });
    const otherRoom = await createRoom(instance.app, { id: uniqueId('other'), admitPerSecond: 100, maxActive: 100, sessionSeconds: 60 });
    const { showId } = await simpleShow(instance.app, { show: { roomId: room.id } });
    const { apiKey } = await createPartner(instance.app);
    const holds = `/v1/shows/${showId}/holds`;

    const alice = await tokenFor(room.id, 'alice');
    const ok = await post(holds, bearer(alice), { seats: ['A-1-1'] });
    assert.equal(ok.statusCode, 201, ok.body);
    const { holdId } = ok.json();

    const cases: Array<[string, Record<string, string>, object]> = [
      ['no token', {}, { seats: ['A-1-2'], userId: 'bob' }],
      ['a partner key is not enough', { 'x-api-key': apiKey }, { seats: ['A-1-2'], userId: 'bob' }],
      ['a token of another room', bearer(await tokenFor(otherRoom.id, 'bob')), { seats: ['A-1-2'] }],
      ['a garbage token', bearer('abc.def.ghi'), { seats: ['A-1-2'] }],
      ["holding for someone else with one's token", bearer(alice), { seats: ['A-1-2'], userId: 'mallory' }],
    ];
    for (const [label, headers, payload] of cases) {
      const res = await post(holds, headers, payload);
      assert.equal(res.statusCode, 403, `${label}: ${res.body}`);
      assert.equal(res.json().error.code, 'not_admitted', label);
    }

    // another admitted user cannot touch alice's hold
    const carol = await tokenFor(room.id, 'carol');
    for (const [method, url, headers] of [
      ['POST', `${holds}/${holdId}/extend`, bearer(carol)],
      ['POST', `${holds}/${holdId}/confirm`, { ...bearer(carol), 'idempotency-key': 'c' }],
      ['DELETE', `${holds}/${holdId}`, bearer(carol)],
    ] as const) {
      const res = await instance.app.inject({ method, url, headers });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'hold_not_found');
    }
    const booked = await post(`${holds}/${holdId}/confirm`, { ...bearer(alice), 'idempotency-key': 'a' });
    assert.equal(booked.statusCode, 201, booked.body);
    const read = await instance.app.inject({ url: `/v1/shows/${showId}/bookings/${booked.json().bookingId}`, headers: bearer(alice) });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().userId, 'alice');
    const foreign = await instance.app.inject({ url: `/v1/shows/${showId}/bookings/${booked.json().bookingId}`, headers: bearer(carol) });
    assert.equal(foreign.statusCode, 404);

    // expired: the session lasted 2 s
    const dave = await tokenFor(room.id, 'dave');
    await eventually(
      async () => {
        const res = await instance.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token: dave } });
        return res.statusCode === 401 ? true : undefined;
      },
      5000,
      250,
    );
    const expired = await post(holds, bearer(dave), { seats: ['A-1-3'] });
    assert.equal(expired.statusCode, 403);
    assert.equal(expired.json().error.code, 'not_admitted');
    const held = await instance.ctx.infra.redis.hgetall(`${instance.prefix}:{show:${showId}}:users`);
    assert.deepEqual(held, { alice: '1' }, 'only alice holds or bought anything');
  });
});
