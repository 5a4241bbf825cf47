import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitingRoom } from '../../src/waiting-room/definition.js';
import { createCampaign } from '../claims/helpers.js';
import {
  admin,
  createRoom,
  deletePrefix,
  enter,
  eventually,
  type Instance,
  poll,
  startInstance,
  testPrefix,
  uniqueId,
} from '../helpers.js';

describe('sessions across instances', () => {
  const prefix = testPrefix();
  let a: Instance;
  let b: Instance;
  before(async () => {
    a = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 50 });
    b = await startInstance({ redisPrefix: prefix, admissionIntervalMs: 50 });
  });
  after(async () => {
    await a.close();
    await b.close();
    await deletePrefix(prefix);
  });

  it('a token replaced by an extension fails every online check: verify, a gated claim (issue 19, defect 3)', async () => {
    const room = await createRoom(a.app, { id: uniqueId('ext'), admitPerSecond: 100, maxActive: 5, sessionSeconds: 60, maxExtensions: 2 });
    const campaign = await createCampaign(a.app, { id: uniqueId('gated'), stock: 10, roomId: room.id });
    const ticketId = (await enter(a.app, room.id, 'gina')).body.ticketId as string;
    const first = await eventually(async () => (await poll(a.app, room.id, ticketId)).body.accessToken as string | undefined);
    const extended = await a.app.inject({
      method: 'POST',
      url: `/v1/rooms/${room.id}/sessions/extend`,
      headers: { authorization: `Bearer ${first}` },
    });
    assert.equal(extended.statusCode, 200);
    const second = extended.json().accessToken as string;
    for (const app of [a.app, b.app]) {
      const old = await app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token: first } });
      assert.equal(old.statusCode, 401, 'the superseded token does not verify');
      const now = await app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token: second } });
      assert.equal(now.statusCode, 200, 'the newest one does');
    }
    const claimWith = (token: string) =>
      b.app.inject({
        method: 'POST',
        url: `/v1/campaigns/${campaign.id}/claims`,
        headers: { authorization: `Bearer ${token}` },
        payload: {},
      });
    const refused = await claimWith(first);
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().error.code, 'not_admitted');
    assert.equal((await claimWith(second)).statusCode, 201);
  });

  it('a ticket that left on one instance reads "left" on every other within a second, from memory (issue 19, defect 4)', async () => {
    const room = await createRoom(a.app, { id: uniqueId('left'), admitPerSecond: 0.01, maxActive: 1, sessionSeconds: 60 });
    const tickets: string[] = [];
    for (const user of ['u1', 'u2', 'u3', 'u4']) tickets.push((await enter(a.app, room.id, user)).body.ticketId as string);
    const leaving = tickets[3]!;
    // B has the room's counters cached and answers the waiting ticket from memory
    assert.equal((await poll(b.app, room.id, leaving)).body.state, 'waiting');
    const service = b.ctx.get(waitingRoom).service;
    assert.equal(service.pollFromCache(room.id, leaving)?.state, 'waiting');

    const left = await a.app.inject({ method: 'DELETE', url: `/v1/rooms/${room.id}/tickets/${leaving}` });
    assert.equal(left.statusCode, 204);
    const leftAt = Date.now();
    await eventually(async () => (service.pollFromCache(room.id, leaving)?.state === 'left' ? true : undefined), 2_000, 20);
    assert.ok(Date.now() - leftAt <= 1_000, `B learnt of it ${Date.now() - leftAt} ms later`);
    assert.equal((await poll(b.app, room.id, leaving)).body.state, 'left');
    assert.equal((await poll(b.app, room.id, tickets[2]!)).body.state, 'waiting', 'the others still wait');
    const stats = (await b.app.inject({ url: `/v1/rooms/${room.id}`, headers: admin })).json().stats;
    assert.equal(stats.waiting, 3 - stats.active);
  });
});
