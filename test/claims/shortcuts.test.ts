import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { claims } from '../../src/claims/definition.js';
import { assertShortcutParity, createRoom, enter, eventually, type HttpCase, poll, uniqueId, useListeningInstance } from '../helpers.js';
import { createCampaign, createPartner } from './helpers.js';

describe('claims: the claim shortcut', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });
  let apiKey: string;

  before(async () => {
    ({ apiKey } = await createPartner(instance.app));
  });

  const claimCase = (campaignId: string, payload: string, extra: Record<string, string> = {}, type = 'application/json'): HttpCase => ({
    method: 'POST',
    path: `/v1/campaigns/${campaignId}/claims`,
    headers: { 'content-type': type, 'x-api-key': apiKey, ...extra },
    payload,
  });

  /** Claim ids and campaign ids differ between two twin campaigns; everything else must not. */
  const twins = (a: string, b: string) => (body: unknown, side: 'shortcut' | 'route') =>
    JSON.parse(
      JSON.stringify(body)
        .replaceAll(side === 'shortcut' ? a : b, '<campaign>')
        .replace(/cl_(\d+)_[A-Za-z0-9_-]{12}/g, 'cl_$1'),
    );

  it('answers every outcome of a claim exactly as the route does, on twin campaigns', async () => {
    const config = { stock: 2, perUserLimit: 1 };
    const viaShortcut = (await createCampaign(instance.app, { id: uniqueId('fast'), ...config })).id as string;
    const viaRoute = (await createCampaign(instance.app, { id: uniqueId('route'), ...config })).id as string;
    const statuses: number[] = [];
    for (const user of ['ann', 'ann', 'bob', 'cat']) {
      const payload = JSON.stringify({ userId: user });
      const answer = await assertShortcutParity(instance, claimCase(viaShortcut, payload), {
        taken: true,
        route: claimCase(viaRoute, payload),
        normalise: twins(viaShortcut, viaRoute),
      });
      statuses.push(answer.status);
    }
    assert.deepEqual(statuses, [201, 409, 201, 410], 'confirmed, already claimed, confirmed, sold out');
    const later = (
      await createCampaign(instance.app, { id: uniqueId('later'), stock: 5, opensAt: new Date(Date.now() + 3_600_000).toISOString() })
    ).id as string;
    assert.equal((await assertShortcutParity(instance, claimCase(later, JSON.stringify({ userId: 'dan' })), { taken: true })).status, 425);

    // the shortcut's claims are the rows, as the route's are
    const rows = await instance.ctx.infra.pool.query<{ user_id: string }>(
      'SELECT user_id FROM claims WHERE campaign_id = $1 ORDER BY seq',
      [viaShortcut],
    );
    assert.deepEqual(
      rows.rows.map((r) => r.user_id),
      ['ann', 'bob'],
    );
  });

  it('refuses what is wrong before any decision as the route does, and claims nothing', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('refuse'), stock: 5 });
    const refusedHere: HttpCase[] = [
      claimCase(id, JSON.stringify({ userId: 'x' }), { 'x-api-key': 'fgk_not-a-key' }),
      claimCase('no-such-campaign', JSON.stringify({ userId: 'x' })),
    ];
    for (const c of refusedHere) assert.ok((await assertShortcutParity(instance, c, { taken: true })).status >= 400);
    const handedOver: HttpCase[] = [
      claimCase(id, JSON.stringify({ userId: 'x', extra: 1 })),
      claimCase(id, JSON.stringify({ userId: '' })),
      claimCase(id, '{"userId": '),
      claimCase(id, JSON.stringify({ userId: 'x' }), {}, 'text/plain'),
      claimCase(id, '{"userId":"a\\u0000"}'),
    ];
    for (const c of handedOver) {
      const answer = await assertShortcutParity(instance, c, { taken: false });
      assert.ok(answer.status >= 400 && answer.status < 500, `${c.payload}: ${answer.status}`);
    }
    // A partner's claim without a userId is the route's to refuse (the body schema allows it for room tokens).
    assert.equal((await assertShortcutParity(instance, claimCase(id, JSON.stringify({})), { taken: true })).status, 400);
    const rows = await instance.ctx.infra.pool.query('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1', [id]);
    assert.equal(rows.rows[0].n, 0);
  });

  it('never replays a claim into the route once it may have been decided: failures are answered where they happen', async () => {
    const { id } = await createCampaign(instance.app, { id: uniqueId('nofallback'), stock: 5, perUserLimit: 3 });
    const service = instance.ctx.get(claims).service;
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
      const down = await assertShortcutParity(instance, claimCase(id, JSON.stringify({ userId: 'eve' })), { taken: true });
      assert.equal(down.status, 503);
      assert.equal(down.body.error.code, 'dependency_unavailable');
      assert.equal(down.headers['retry-after'], '1');
      assert.equal(decisions, 2, 'decided once by the shortcut (not replayed into the route), once by the route');

      failWith('something unexpected');
      const broken = await assertShortcutParity(instance, claimCase(id, JSON.stringify({ userId: 'eve' })), { taken: true });
      assert.equal(broken.status, 500);
      assert.deepEqual(broken.body, { error: { code: 'internal_error', message: 'Something went wrong on our side' } });
    } finally {
      service.claim = original;
    }
  });

  it('claims for the holder of a room access token, for the token own user only', async () => {
    const roomId = (await createRoom(instance.app, { id: uniqueId('gate'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 }))
      .id as string;
    const viaShortcut = (await createCampaign(instance.app, { id: uniqueId('gated'), stock: 5, roomId })).id as string;
    const viaRoute = (await createCampaign(instance.app, { id: uniqueId('gated'), stock: 5, roomId })).id as string;
    const ticketId = (await enter(instance.app, roomId, 'fay')).body.ticketId as string;
    const token = await eventually(async () => {
      const { body } = await poll(instance.app, roomId, ticketId);
      return body.state === 'admitted' ? (body.accessToken as string) : undefined;
    });
    const bearer = { authorization: `Bearer ${token}` };
    const normalise = twins(viaShortcut, viaRoute);
    const mine = await assertShortcutParity(instance, claimCase(viaShortcut, JSON.stringify({ userId: 'fay' }), bearer), {
      taken: true,
      route: claimCase(viaRoute, JSON.stringify({ userId: 'fay' }), bearer),
      normalise,
    });
    assert.equal(mine.status, 201);
    assert.equal(mine.body.userId, 'fay');
    const someoneElse = await assertShortcutParity(instance, claimCase(viaShortcut, JSON.stringify({ userId: 'gus' }), bearer), {
      taken: true,
    });
    assert.equal(someoneElse.status, 403);
    assert.equal(someoneElse.body.error.code, 'not_admitted');
  });
});
