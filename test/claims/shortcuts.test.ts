import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { request } from 'undici';
import { claimShortcut } from '../../src/claims/fast-claim.js';
import { createRoom, enter, eventually, poll, uniqueId, useListeningInstance } from '../helpers.js';
import { createCampaign, createPartner } from './helpers.js';

describe('claims: the claim shortcut', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });
  let apiKey: string;

  before(async () => {
    ({ apiKey } = await createPartner(instance.app));
  });

  const headersFor = (extra: Record<string, string>, type = 'application/json') => ({
    'content-type': type,
    'x-api-key': apiKey,
    ...extra,
  });

  /** The same claim through the shortcut (HTTP) and through the route (inject). */
  async function viaShortcut(campaignId: string, payload: string, extra: Record<string, string> = {}, type?: string) {
    const res = await request(`${instance.origin}/v1/campaigns/${campaignId}/claims`, {
      method: 'POST',
      headers: headersFor(extra, type),
      body: payload,
    });
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
  }
  async function viaRoute(campaignId: string, payload: string, extra: Record<string, string> = {}, type?: string) {
    const res = await instance.app.inject({
      method: 'POST',
      url: `/v1/campaigns/${campaignId}/claims`,
      headers: headersFor(extra, type),
      payload,
    });
    return { status: res.statusCode, headers: res.headers, body: res.json() as Record<string, any> };
  }

  /** Claim ids and campaign ids differ between two campaigns; everything else must not. */
  function normalised(body: Record<string, any>, campaignId: string) {
    return JSON.parse(
      JSON.stringify(body)
        .replaceAll(campaignId, '<campaign>')
        .replace(/cl_(\d+)_[A-Za-z0-9_-]{12}/g, 'cl_$1'),
    );
  }

  it('answers every outcome of a plain claim exactly as the route does', async () => {
    const config = { stock: 2, perUserLimit: 1 };
    const shortcutCampaign = (await createCampaign(instance.app, { id: uniqueId('fast'), ...config })).id as string;
    const routeCampaign = (await createCampaign(instance.app, { id: uniqueId('route'), ...config })).id as string;
    const later = (
      await createCampaign(instance.app, { id: uniqueId('later'), stock: 5, opensAt: new Date(Date.now() + 3_600_000).toISOString() })
    ).id as string;

    const answeredBefore = claimShortcut.answered;
    const steps = ['ann', 'ann', 'bob', 'cat']; // confirmed, already claimed, confirmed, sold out
    const statuses: number[] = [];
    for (const user of steps) {
      const payload = JSON.stringify({ userId: user });
      const a = await viaShortcut(shortcutCampaign, payload);
      const b = await viaRoute(routeCampaign, payload);
      assert.equal(a.status, b.status, user);
      assert.deepEqual(normalised(a.body, shortcutCampaign), normalised(b.body, routeCampaign), user);
      assert.match(String(a.headers['content-type']), /^application\/json/);
      statuses.push(a.status);
    }
    assert.deepEqual(statuses, [201, 409, 201, 410]);
    const notOpen = await viaShortcut(later, JSON.stringify({ userId: 'dan' }));
    assert.equal(notOpen.status, 425);
    assert.deepEqual(notOpen.body, (await viaRoute(later, JSON.stringify({ userId: 'dan' }))).body);
    assert.equal(claimShortcut.answered - answeredBefore, steps.length + 1, 'all of them were answered by the shortcut');

    // the shortcut's claims are the rows, as the route's are
    const rows = await instance.ctx.pool.query('SELECT user_id FROM claims WHERE campaign_id = $1 ORDER BY seq', [shortcutCampaign]);
    assert.deepEqual(
      rows.rows.map((r) => r.user_id),
      ['ann', 'bob'],
    );
  });

  it('hands everything decided before the claim to the route: same answers, nothing claimed', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('fallback'), stock: 5 });
    const cases: Array<[string, string, Record<string, string>, string?]> = [
      [id, JSON.stringify({ userId: 'x' }), { 'x-api-key': 'fgk_not-a-key' }],
      ['no-such-campaign', JSON.stringify({ userId: 'x' }), {}],
      [id, JSON.stringify({}), {}],
      [id, JSON.stringify({ userId: 'x', extra: 1 }), {}],
      [id, JSON.stringify({ userId: '' }), {}],
      [id, '{"userId": ', {}],
      [id, JSON.stringify({ userId: 'x' }), {}, 'text/plain'],
    ];
    const answeredBefore = claimShortcut.answered;
    for (const [campaignId, payload, extra, type] of cases) {
      const a = await viaShortcut(campaignId, payload, extra, type);
      const b = await viaRoute(campaignId, payload, extra, type);
      assert.equal(a.status, b.status, payload);
      assert.ok(a.status >= 400, `${payload}: ${a.status}`);
      assert.deepEqual(a.body, b.body, payload);
    }
    assert.equal(claimShortcut.answered, answeredBefore, 'none of these was answered by the shortcut');
    const rows = await instance.ctx.pool.query('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1', [id]);
    assert.equal(rows.rows[0].n, 0);
  });

  it('never replays a claim into the route once it may have been decided: failures are answered where they happen', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('nofallback'), stock: 5, perUserLimit: 3 });
    const service = instance.ctx.claims;
    const original = service.claim.bind(service);
    let decisions = 0;
    const failWith = (message: string) => {
      service.claim = async () => {
        decisions++;
        throw new Error(message);
      };
    };
    try {
      failWith('Connection is closed.'); // Redis went away mid-claim
      const down = await viaShortcut(id, JSON.stringify({ userId: 'eve' }));
      assert.equal(down.status, 503);
      assert.equal(down.body.error.code, 'unavailable');
      assert.equal(down.headers['retry-after'], '1');
      assert.equal(decisions, 1, 'decided once, not replayed into the route');
      assert.deepEqual(down.body, (await viaRoute(id, JSON.stringify({ userId: 'eve' }))).body);

      failWith('something unexpected');
      decisions = 0;
      const broken = await viaShortcut(id, JSON.stringify({ userId: 'eve' }));
      assert.equal(broken.status, 500);
      assert.deepEqual(broken.body, { error: { code: 'internal_error', message: 'Something went wrong on our side' } });
      assert.equal(decisions, 1);
    } finally {
      service.claim = original;
    }
  });

  it('claims for the holder of a room access token, for the token own user only', async () => {
    const roomId = (await createRoom(instance.app, { id: uniqueId('gate'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 }))
      .id as string;
    const { id } = await createCampaign(instance.app, { id: uniqueId('gated'), stock: 5, roomId });
    const ticketId = (await enter(instance.app, roomId, 'fay')).body.ticketId as string;
    const token = await eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
    const answeredBefore = claimShortcut.answered;
    const mine = await viaShortcut(id, JSON.stringify({ userId: 'fay' }), { authorization: `Bearer ${token}` });
    assert.equal(mine.status, 201);
    assert.equal(mine.body.userId, 'fay');
    assert.equal(claimShortcut.answered - answeredBefore, 1);
    const someoneElse = await viaShortcut(id, JSON.stringify({ userId: 'gus' }), { authorization: `Bearer ${token}` });
    assert.equal(someoneElse.status, 403);
    assert.equal(someoneElse.body.error.code, 'not_admitted');
  });
});
