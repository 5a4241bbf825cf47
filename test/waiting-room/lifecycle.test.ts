import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roomKeys } from '../../src/waiting-room/keys.js';
import { claim, createCampaign, createPartner } from '../claims/helpers.js';
import { admin, createRoom, enter, eventually, poll, sleep, uniqueId, useInstance } from '../helpers.js';

/** Issue 20: rooms, campaigns and partners have a lifecycle; sessions extend from their expiry; the ETA tells the truth. */
describe('lifecycle: archive, delete, list', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });
  const call = (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: object) =>
    instance.app.inject({ method, url, headers: admin, ...(payload ? { payload } : {}) });

  it('an archived room takes no one new, admits no one, is hidden from the default list and listed with ?archived=true', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('arch'), admitPerSecond: 100, maxActive: 1, sessionSeconds: 60 });
    await enter(instance.app, id, 'first');
    const waiting = (await enter(instance.app, id, 'second')).body.ticketId as string;
    const archived = await call('POST', `/v1/rooms/${id}/archive`);
    assert.equal(archived.statusCode, 200);
    assert.ok(archived.json().archivedAt);
    const refused = await enter(instance.app, id, 'third');
    assert.equal(refused.status, 410);
    assert.equal(refused.body.error.code, 'room_closed');
    assert.ok(!(await call('GET', '/v1/rooms')).json().rooms.some((r: { id: string }) => r.id === id));
    assert.ok((await call('GET', '/v1/rooms?archived=true')).json().rooms.some((r: { id: string }) => r.id === id));
    // the one who was waiting keeps a readable ticket, and is not admitted any more
    await call('PATCH', `/v1/rooms/${id}`, { maxActive: 10 });
    await sleep(300);
    assert.equal((await poll(instance.app, id, waiting)).body.state, 'waiting');
    assert.equal((await call('GET', `/v1/rooms/${id}`)).statusCode, 200, 'its record is kept');
  });

  it('deletes a room nothing refers to (its queue with it), and refuses one a campaign refers to', async () => {
    const free = await createRoom(instance.app, { id: uniqueId('del'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    await enter(instance.app, free.id, 'ann');
    assert.equal((await call('DELETE', `/v1/rooms/${free.id}`)).statusCode, 204);
    assert.equal((await call('GET', `/v1/rooms/${free.id}`)).statusCode, 404);
    assert.equal(await instance.ctx.infra.redis.exists(...Object.values(roomKeys(instance.prefix, free.id))), 0, 'its Redis keys are gone');
    assert.equal((await call('DELETE', `/v1/rooms/${free.id}`)).statusCode, 404);

    const used = await createRoom(instance.app, { id: uniqueId('used'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    await createCampaign(instance.app, { id: uniqueId('ref'), stock: 1, roomId: used.id });
    const refused = await call('DELETE', `/v1/rooms/${used.id}`);
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'room_in_use');
  });

  it('archives a campaign (claims refused, kept) and deletes one only while it holds no claim', async () => {
    const { apiKey } = await createPartner(instance.app);
    const sold = await createCampaign(instance.app, { id: uniqueId('sold'), stock: 5 });
    assert.equal((await claim(instance.app, sold.id, 'ann', apiKey)).status, 201);
    const kept = await call('DELETE', `/v1/campaigns/${sold.id}`);
    assert.equal(kept.statusCode, 409);
    assert.equal(kept.json().error.code, 'campaign_not_empty');
    assert.equal((await call('POST', `/v1/campaigns/${sold.id}/archive`)).statusCode, 200);
    const closed = await claim(instance.app, sold.id, 'bob', apiKey);
    assert.equal(closed.status, 410);
    assert.equal(closed.body.error.code, 'closed');
    assert.ok(!(await call('GET', '/v1/campaigns')).json().campaigns.some((c: { id: string }) => c.id === sold.id));
    assert.ok((await call('GET', '/v1/campaigns?archived=true')).json().campaigns.some((c: { id: string }) => c.id === sold.id));

    const empty = await createCampaign(instance.app, { id: uniqueId('empty'), stock: 5 });
    assert.equal((await call('DELETE', `/v1/campaigns/${empty.id}`)).statusCode, 204);
    assert.equal((await call('GET', `/v1/campaigns/${empty.id}`)).statusCode, 404);
  });

  it('lists partners without their keys; operators read a user’s claims and redeem with the admin token', async () => {
    const { apiKey, partnerId } = await createPartner(instance.app, 'listed');
    const listed = await call('GET', '/v1/partners');
    assert.equal(listed.statusCode, 200);
    const entry = listed.json().partners.find((p: { partnerId: string }) => p.partnerId === partnerId);
    assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'name', 'partnerId', 'revokedAt']);
    assert.doesNotMatch(listed.body, new RegExp(apiKey));

    const { id } = await createCampaign(instance.app, { id: uniqueId('ops'), stock: 5 });
    const claimed = await claim(instance.app, id, 'cora', apiKey);
    const read = await call('GET', `/v1/campaigns/${id}/claims/cora`);
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().claimId, claimed.body.claimId);
    const redeemed = await call('POST', `/v1/campaigns/${id}/claims/${claimed.body.claimId}/redeem`);
    assert.equal(redeemed.statusCode, 200);
    assert.ok(redeemed.json().redeemedAt);
  });
});

describe('sessions and ETAs', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });

  it('an extension adds sessionSeconds to the current expiry', async () => {
    const { id } = await createRoom(instance.app, {
      id: uniqueId('ext'),
      admitPerSecond: 100,
      maxActive: 5,
      sessionSeconds: 300,
      maxExtensions: 1,
    });
    const ticketId = (await enter(instance.app, id, 'ed')).body.ticketId as string;
    const admitted = await eventually(async () => {
      const { body } = await poll(instance.app, id, ticketId);
      return body.state === 'admitted' ? body : undefined;
    });
    const before = Date.parse(admitted.expiresAt);
    const extended = await instance.app.inject({
      method: 'POST',
      url: `/v1/rooms/${id}/sessions/extend`,
      headers: { authorization: `Bearer ${admitted.accessToken}` },
    });
    assert.equal(extended.statusCode, 200);
    assert.equal(Date.parse(extended.json().expiresAt) - before, 300_000, 'the whole sessionSeconds, from the current expiry');
  });

  it('says when a room is paused or full instead of an ETA nobody will meet', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('eta'), admitPerSecond: 100, maxActive: 1, sessionSeconds: 300 });
    await enter(instance.app, id, 'inside');
    const waiting = (await enter(instance.app, id, 'outside')).body.ticketId as string;
    // full: the one inside holds the only slot; the waiting move only as places free up
    const full = await eventually(async () => {
      const { body } = await poll(instance.app, id, waiting);
      return body.waitingFor === 'full' ? body : undefined;
    });
    assert.equal(full.state, 'waiting');
    await instance.app.inject({ method: 'PATCH', url: `/v1/rooms/${id}`, headers: admin, payload: { paused: true, maxActive: 10 } });
    const paused = await eventually(async () => {
      const { body } = await poll(instance.app, id, waiting);
      return body.waitingFor === 'paused' ? body : undefined;
    });
    assert.equal(paused.etaSeconds, null);
  });
});
