import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { admin, deletePrefix, eventually, type Instance, startInstance, testPrefix, uniqueId } from '../helpers.js';
import { claim, createCampaign, createPartner, describeCampaign, pooled } from './helpers.js';

describe('claims: first come, first served', () => {
  const prefix = testPrefix();
  let first: Instance;
  let second: Instance;
  let apiKey: string;
  let origins: string[];

  before(async () => {
    first = await startInstance({ redisPrefix: prefix });
    second = await startInstance({ redisPrefix: prefix });
    origins = [await first.app.listen({ port: 0, host: '127.0.0.1' }), await second.app.listen({ port: 0, host: '127.0.0.1' })];
    ({ apiKey } = await createPartner(first.app));
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await deletePrefix(prefix);
  });

  async function httpClaim(i: number, campaignId: string, userId: string) {
    const res = await request(`${origins[i % 2]}/v1/campaigns/${campaignId}/claims`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify({ userId }),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  const rows = async (campaignId: string) =>
    (
      await first.ctx.infra.pool.query<{ n: number; users: number; max: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users, coalesce(max(seq), 0)::int AS max FROM claims WHERE campaign_id = $1',
        [campaignId],
      )
    ).rows[0]!;

  it('1,000 concurrent users for 250 places on two instances: exactly 250 confirmed, 250 rows', async () => {
    const { id } = await createCampaign(first.app, { id: uniqueId('c250'), stock: 250 });
    const results = await pooled(
      Array.from({ length: 1000 }, (_, i) => () => httpClaim(i, id, `user-${i}`)),
      200,
    );
    const confirmed = results.filter((r) => r.status === 201);
    const soldOut = results.filter((r) => r.status === 410);
    assert.equal(confirmed.length, 250);
    assert.equal(soldOut.length, 750);
    for (const r of soldOut) assert.equal((r.body.error as { code: string }).code, 'sold_out');
    assert.deepEqual(new Set(confirmed.map((r) => r.body.seq)).size, 250);
    for (const r of confirmed) assert.equal(r.body.status, 'confirmed');
    // 201 means committed: the rows are there now, not eventually
    assert.deepEqual(await rows(id), { n: 250, users: 250, max: 250 });
    const stats = await describeCampaign(first.app, id);
    assert.equal(stats.claimed, 250);
    assert.equal(stats.remaining, 0);
    assert.equal(stats.persisted, 250);
    assert.equal(stats.pending, 0);
    // the writers delete committed claims' log entries themselves, in bulk, well before the
    // sweeper would take them for orphans (3 s)
    const since = Date.now();
    await eventually(async () => ((await first.ctx.infra.redis.xlen(`${prefix}:{camp:${id}}:log`)) === 0 ? true : undefined), 2000, 20);
    assert.ok(Date.now() - since < 1000, 'log trimmed within a second of the answers');
  });

  it("one user's parallel duplicates: one success, the rest already_claimed with that claim", async () => {
    const { id } = await createCampaign(first.app, { id: uniqueId('dup'), stock: 10 });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => httpClaim(i, id, 'eager')));
    const ok = results.filter((r) => r.status === 201);
    assert.equal(ok.length, 1);
    const dupes = results.filter((r) => r.status === 409);
    assert.equal(dupes.length, 49);
    for (const d of dupes) {
      const error = d.body.error as { code: string; claims: Array<{ claimId: string }> };
      assert.equal(error.code, 'already_claimed');
      assert.equal(error.claims[0]!.claimId, ok[0]!.body.claimId);
    }
    assert.equal((await rows(id)).n, 1);
  });

  it('perUserLimit > 1: each user gets up to the limit, never more', async () => {
    const { id } = await createCampaign(first.app, { id: uniqueId('lim'), stock: 100, perUserLimit: 3 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => httpClaim(i, id, `u${i % 5}`)));
    assert.equal(results.filter((r) => r.status === 201).length, 15);
    assert.equal(results.filter((r) => r.status === 409).length, 25);
    const perUser = await first.ctx.infra.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1 GROUP BY user_id',
      [id],
    );
    assert.deepEqual(
      perUser.rows.map((r) => r.n),
      [3, 3, 3, 3, 3],
    );
    const status = await first.app.inject({ url: `/v1/campaigns/${id}/claims/u0`, headers: { 'x-api-key': apiKey } });
    assert.equal(status.statusCode, 200);
    assert.equal(status.json().claims.length, 3);
    assert.equal(status.json().status, 'confirmed');
  });

  it('redeem races: exactly one 200, every other attempt 409 already_redeemed', async () => {
    const { id } = await createCampaign(first.app, { id: uniqueId('redeem'), stock: 5 });
    const { body } = await claim(first.app, id, 'buyer', apiKey);
    const attempts = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(`${origins[i % 2]}/v1/campaigns/${id}/claims/${body.claimId}/redeem`, {
          method: 'POST',
          headers: { 'x-api-key': apiKey },
        }).then(async (r) => ({ status: r.statusCode, body: (await r.body.json()) as { error?: { code: string } } })),
      ),
    );
    assert.equal(attempts.filter((a) => a.status === 200).length, 1);
    const rest = attempts.filter((a) => a.status !== 200);
    assert.equal(rest.length, 39);
    for (const r of rest) {
      assert.equal(r.status, 409);
      assert.equal(r.body.error?.code, 'already_redeemed');
    }
    const unknown = await first.app.inject({
      method: 'POST',
      url: `/v1/campaigns/${id}/claims/cl_nope/redeem`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(unknown.statusCode, 404);
  });

  it('answers the documented errors, and bad input changes nothing', async () => {
    const { id } = await createCampaign(first.app, { id: uniqueId('err'), stock: 1 });
    assert.equal((await claim(first.app, 'no-such-campaign', 'u', apiKey)).status, 404);
    const noKey = await first.app.inject({ method: 'POST', url: `/v1/campaigns/${id}/claims`, payload: { userId: 'u' } });
    assert.equal(noKey.statusCode, 401);
    assert.equal(noKey.json().error.code, 'invalid_api_key');
    assert.equal((await claim(first.app, id, 'u', 'fgk_wrong')).status, 401);
    for (const payload of [{}, { userId: '' }, { userId: 7 }, { userId: 'u', extra: 1 }]) {
      const res = await first.app.inject({ method: 'POST', url: `/v1/campaigns/${id}/claims`, headers: { 'x-api-key': apiKey }, payload });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
    }
    assert.equal((await describeCampaign(first.app, id)).claimed, 0);
    for (const body of [
      { id: uniqueId('x'), stock: -1 },
      { id: uniqueId('x'), stock: 5, daily: { opensAt: '25:00', timeZone: 'UTC', quota: 1 } },
      { id: uniqueId('x'), stock: 5, daily: { opensAt: '09:00', timeZone: 'Mars/Olympus', quota: 1 } },
      { id: uniqueId('x'), stock: 5, roomId: 'no-such-room' },
      { id: uniqueId('x'), stock: 5, opensAt: '2030-01-02T00:00:00Z', closesAt: '2030-01-01T00:00:00Z' },
    ]) {
      const res = await first.app.inject({ method: 'POST', url: '/v1/campaigns', headers: admin, payload: body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal((await first.app.inject({ url: `/v1/campaigns/${body.id}`, headers: admin })).statusCode, 404);
    }
    const again = await first.app.inject({ method: 'POST', url: '/v1/campaigns', headers: admin, payload: { id, stock: 1 } });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'campaign_exists');
  });

  it('a revoked API key stops working on every instance within a few seconds', async () => {
    const { id } = await createCampaign(first.app, { id: uniqueId('rev'), stock: 100 });
    const partner = await createPartner(first.app, 'temporary');
    assert.equal((await claim(second.app, id, 'a', partner.apiKey)).status, 201);
    const revoke = await first.app.inject({ method: 'DELETE', url: `/v1/partners/${partner.partnerId}`, headers: admin });
    assert.equal(revoke.statusCode, 204);
    assert.equal((await claim(first.app, id, 'b', partner.apiKey)).status, 401);
    const deadline = Date.now() + 5000;
    let status = 201;
    while (Date.now() < deadline && status !== 401) {
      status = (await claim(second.app, id, `c${Date.now()}`, partner.apiKey)).status;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 401);
  });
});
