import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claims } from '../../src/claims/definition.js';
import { campaignKeys } from '../../src/claims/keys.js';
import type { AcceptedClaim } from '../../src/claims/repository.js';
import { PersistenceRefused } from '../../src/durable/log.js';
import { Parking } from '../../src/durable/parking.js';
import { claim, createCampaign, createPartner, describeCampaign } from '../claims/helpers.js';
import { admin, createRoom, uniqueId, useInstance } from '../helpers.js';

/** Issue 19, defect 1: one hostile string must neither lose claims nor wedge recovery. */
describe('hostile strings: refused before anything is decided; a bad row fails alone', () => {
  const instance = useInstance({}, { background: false });
  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    instance.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload });

  it('NUL, control characters, lone surrogates and invalid UTF-8 are a 400 on every kind of string, and change nothing', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('nul'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    const { id: campaignId } = await createCampaign(instance.app, { id: uniqueId('nul'), stock: 5 });
    const { apiKey } = await createPartner(instance.app);
    const partner = { 'x-api-key': apiKey };
    const cases: Array<[string, string | Buffer, Record<string, string>]> = [
      [`/v1/rooms/${room.id}/tickets`, '{"userId":"anon\\u0000"}', admin],
      [`/v1/rooms/${room.id}/tickets`, '{"userId":"anon\\u0001"}', admin],
      [`/v1/rooms/${room.id}/tickets`, '{"userId":"\\udc00anon"}', admin],
      [
        `/v1/rooms/${room.id}/tickets`,
        Buffer.from([0x7b, 0x22, 0x75, 0x73, 0x65, 0x72, 0x49, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        admin,
      ],
      [`/v1/campaigns/${campaignId}/claims`, '{"userId":"anon\\u0000"}', partner],
      [`/v1/campaigns/${campaignId}/claims`, '{"userId":"\\ud83d"}', partner],
      [
        '/v1/rooms',
        JSON.stringify({ id: uniqueId('r'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60, targetUrl: 'https://x\u0000.example/' }),
        admin,
      ],
      ['/v1/campaigns', JSON.stringify({ id: uniqueId('c'), stock: 1, webhookUrl: 'https://example.com/\u0000' }), admin],
      [
        '/v1/campaigns',
        JSON.stringify({ id: uniqueId('c'), stock: 1, daily: { opensAt: '09:00', timeZone: 'UTC\u0000', quota: 1 } }),
        admin,
      ],
      ['/v1/partners', JSON.stringify({ name: 'shop\u0000' }), admin],
      ['/v1/partners', '{"name":"shop\\ud800"}', admin],
    ];
    const partnersBefore = (await instance.app.inject({ url: '/v1/partners', headers: admin })).json().partners.length;
    for (const [url, payload, headers] of cases) {
      const res = await post(url, payload, headers);
      assert.equal(res.statusCode, 400, `${url} ${payload.toString()}`);
      assert.ok(['invalid_request', 'invalid_encoding'].includes(res.json().error.code), res.body);
    }
    const roomStats = (await instance.app.inject({ url: `/v1/rooms/${room.id}`, headers: admin })).json().stats;
    assert.equal(roomStats.waiting + roomStats.active, 0, 'no ticket was issued');
    assert.equal((await describeCampaign(instance.app, campaignId)).claimed, 0, 'nothing was claimed');
    assert.equal((await instance.app.inject({ url: '/v1/partners', headers: admin })).json().partners.length, partnersBefore);
  });

  it('the writer commits the rest of a batch a row of which PostgreSQL refuses, and parks that row with its reason', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('batch'), stock: 10 });
    const { durable } = instance.ctx.get(claims);
    const redis = instance.ctx.infra.redis;
    const log = campaignKeys(instance.prefix, id).log;
    const entry = (seq: number, userId: string): AcceptedClaim => ({
      campaignId: id,
      seq,
      userId,
      userClaimNo: 1,
      claimId: `cl_${seq}_test`,
      day: null,
      daySeq: null,
      claimedAt: Date.now(),
    });
    const logged = await Promise.all(
      [entry(1, 'ann'), entry(2, 'bad\u0000user'), entry(3, 'cat')].map(async (e) => ({
        entity: id,
        logId: (await redis.xadd(log, '*', 'c', `${e.seq}|1|0||${e.claimedAt}|${e.userId}`))!,
        entry: e,
      })),
    );
    // the three share one batch (handed over in the same turn)
    const outcomes = await Promise.allSettled(logged.map((l) => durable.commit(l)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok((outcomes[1] as PromiseRejectedResult).reason instanceof PersistenceRefused);
    const rows = await instance.ctx.infra.pool.query<{ user_id: string }>(
      'SELECT user_id FROM claims WHERE campaign_id = $1 ORDER BY seq',
      [id],
    );
    assert.deepEqual(
      rows.rows.map((r) => r.user_id),
      ['ann', 'cat'],
    );
    const parked = await new Parking(instance.ctx.infra.pool).list('claims', id);
    assert.equal(parked.length, 1);
    assert.match(parked[0]!.reason, /^22021/);
    await durable.flush();
    assert.equal(await redis.xlen(log), 0, 'the log keeps nothing: stored rows trimmed, the bad one parked');
  });

  it('a campaign whose sweep fails does not keep the others from being swept', async () => {
    const good = await createCampaign(instance.app, { id: uniqueId('good'), stock: 5 });
    const broken = await createCampaign(instance.app, { id: uniqueId('broken'), stock: 5 });
    const redis = instance.ctx.infra.redis;
    const at = Date.now() - 60_000;
    // logged a minute ago by a writer that died (the sweeper takes entries older than 3 s)
    await redis.xadd(campaignKeys(instance.prefix, good.id).log, `${at}-0`, 'c', `1|1|0||${at}|ann`);
    // a key of the wrong type stands in for any failure of one campaign's sweep
    await redis.set(campaignKeys(instance.prefix, broken.id).log, 'not a stream');
    await assert.rejects(instance.ctx.get(claims).durable.sweepAll([broken.id, good.id]), new RegExp(broken.id));
    assert.equal((await describeCampaign(instance.app, good.id)).persisted, 1, 'the campaign after the broken one was swept');
    await redis.del(campaignKeys(instance.prefix, broken.id).log);
  });

  it('a user id of 128 characters, multi-byte, works on every route that takes one', async () => {
    const userId = 'é'.repeat(60) + '😀'.repeat(68); // 128 code points, 256 bytes
    const { id } = await createCampaign(instance.app, { id: uniqueId('long'), stock: 5 });
    const { apiKey } = await createPartner(instance.app);
    assert.equal((await claim(instance.app, id, userId, apiKey)).status, 201);
    const readBack = await instance.app.inject({
      url: `/v1/campaigns/${id}/claims/${encodeURIComponent(userId)}`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(readBack.statusCode, 200, readBack.body);
    assert.equal(readBack.json().userId, userId);
    const tooLong = await instance.app.inject({
      url: `/v1/campaigns/${id}/claims/${encodeURIComponent(`${userId}x`)}`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(tooLong.statusCode, 400);
  });
});
