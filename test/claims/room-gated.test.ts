import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRoom, enter, eventually, poll, uniqueId, useInstance } from '../helpers.js';
import { createCampaign, createPartner } from './helpers.js';

describe('claims: a campaign behind a waiting room', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });

  async function tokenFor(roomId: string, userId: string): Promise<string> {
    const ticketId = (await enter(instance.app, roomId, userId)).body.ticketId;
    return eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
  }

  const claimWith = (campaignId: string, headers: Record<string, string>, payload: object = {}) =>
    instance.app.inject({ method: 'POST', url: `/v1/campaigns/${campaignId}/claims`, headers, payload });

  it('accepts only live access tokens of its room, for the token own user', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('gate'), admitPerSecond: 100, maxActive: 100, sessionSeconds: 2 });
    const otherRoom = await createRoom(instance.app, { id: uniqueId('other'), admitPerSecond: 100, maxActive: 100, sessionSeconds: 60 });
    const { id } = await createCampaign(instance.app, { id: uniqueId('gated'), stock: 10, roomId: room.id });
    const { apiKey } = await createPartner(instance.app);

    const alice = await tokenFor(room.id, 'alice');
    const ok = await claimWith(id, { authorization: `Bearer ${alice}` });
    assert.equal(ok.statusCode, 201, ok.body);
    assert.equal(ok.json().userId, 'alice');

    const cases: Array<[string, Record<string, string>, object]> = [
      ['no token', {}, { userId: 'bob' }],
      ['a partner key is not enough', { 'x-api-key': apiKey }, { userId: 'bob' }],
      ['a token of another room', { authorization: `Bearer ${await tokenFor(otherRoom.id, 'bob')}` }, {}],
      ['a garbage token', { authorization: 'Bearer abc.def.ghi' }, {}],
    ];
    const carol = await tokenFor(room.id, 'carol');
    cases.push(["claiming for someone else with one's token", { authorization: `Bearer ${carol}` }, { userId: 'mallory' }]);
    for (const [label, headers, payload] of cases) {
      const res = await claimWith(id, headers, payload);
      assert.equal(res.statusCode, 403, label);
      assert.equal(res.json().error.code, 'not_admitted', label);
    }

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
    const expired = await claimWith(id, { authorization: `Bearer ${dave}` });
    assert.equal(expired.statusCode, 403);
    assert.equal(expired.json().error.code, 'not_admitted');
    const rows = await instance.ctx.infra.pool.query<{ user_id: string }>(
      'SELECT user_id FROM claims WHERE campaign_id = $1 ORDER BY seq',
      [id],
    );
    assert.deepEqual(
      rows.rows.map((r) => r.user_id),
      ['alice'],
    );
  });
});
