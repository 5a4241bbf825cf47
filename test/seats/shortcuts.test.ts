import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assertShortcutParity, type HttpCase, useListeningInstance } from '../helpers.js';
import { createPartner, simpleShow } from './helpers.js';

describe('seats: the hold shortcut', () => {
  const instance = useListeningInstance();
  let apiKey: string;
  before(async () => {
    ({ apiKey } = await createPartner(instance.app));
  });

  const holdCase = (showId: string, payload: string, extra: Record<string, string> = {}, type = 'application/json'): HttpCase => ({
    method: 'POST',
    path: `/v1/shows/${showId}/holds`,
    headers: { 'content-type': type, 'x-api-key': apiKey, ...extra },
    payload,
  });

  /** Hold ids, show ids and expiry times differ between twin shows; nothing else may. */
  const twins = (a: string, b: string) => (body: unknown, side: 'shortcut' | 'route') =>
    JSON.parse(
      JSON.stringify(body)
        .replaceAll(side === 'shortcut' ? a : b, '<show>')
        .replace(/hd_[A-Za-z0-9_-]{16}/g, 'hd_')
        .replace(/"expiresAt":"[^"]+"/g, '"expiresAt":"…"'),
    );

  it('answers every outcome of a hold exactly as the route does, on twin shows', async () => {
    const config = { rows: 1, seats: 4, show: { maxSeatsPerUser: 3 } };
    const viaShortcut = (await simpleShow(instance.app, config)).showId;
    const viaRoute = (await simpleShow(instance.app, config)).showId;
    const statuses: number[] = [];
    for (const body of [
      { seats: ['A-1-1', 'A-1-2'], userId: 'ann' },
      { seats: ['A-1-2', 'A-1-3'], userId: 'bob' },
      { best: { count: 2 }, userId: 'ann' },
      { best: { count: 2 }, userId: 'bob' },
      { best: { count: 1 }, userId: 'cat' },
    ]) {
      const payload = JSON.stringify(body);
      const answer = await assertShortcutParity(instance, holdCase(viaShortcut, payload), {
        taken: true,
        route: holdCase(viaRoute, payload),
        normalise: twins(viaShortcut, viaRoute),
      });
      statuses.push(answer.status);
    }
    assert.deepEqual(statuses, [201, 409, 409, 201, 410], 'held, seats unavailable, seat limit, held, sold out');
    const later = (await simpleShow(instance.app, { show: { salesOpenAt: new Date(Date.now() + 3_600_000).toISOString() } })).showId;
    const early = await assertShortcutParity(instance, holdCase(later, JSON.stringify({ seats: ['A-1-1'], userId: 'dan' })), {
      taken: true,
    });
    assert.equal(early.status, 425);
  });

  it('refuses what is wrong as the route does, and holds nothing', async () => {
    const { showId } = await simpleShow(instance.app);
    const refusedHere: HttpCase[] = [
      holdCase(showId, JSON.stringify({ seats: ['A-1-1'], userId: 'x' }), { 'x-api-key': 'fgk_not-a-key' }),
      holdCase('no-such-show', JSON.stringify({ seats: ['A-1-1'], userId: 'x' })),
      holdCase(showId, JSON.stringify({ seats: ['A-9-1'], userId: 'x' })),
      holdCase(showId, JSON.stringify({ seats: ['A-1-1'] })),
    ];
    for (const c of refusedHere) {
      const answer = await assertShortcutParity(instance, c, { taken: true });
      assert.ok(answer.status >= 400 && answer.status < 500, `${c.payload}: ${answer.status}`);
    }
    const handedOver: HttpCase[] = [
      holdCase(showId, JSON.stringify({ seats: ['A-1-1'], userId: 'x', extra: 1 })),
      holdCase(showId, JSON.stringify({ seats: ['A-1-1'], best: { count: 1 }, userId: 'x' })),
      holdCase(showId, '{"seats": '),
      holdCase(showId, JSON.stringify({ seats: ['A-1-1'], userId: 'x' }), {}, 'text/plain'),
      holdCase(showId, '{"seats":["A-1-1"],"userId":"a\\u0000"}'),
    ];
    for (const c of handedOver) {
      const answer = await assertShortcutParity(instance, c, { taken: false });
      assert.ok(answer.status >= 400 && answer.status < 500, `${c.payload}: ${answer.status}`);
    }
    const users = await instance.ctx.infra.redis.hgetall(`${instance.prefix}:{show:${showId}}:users`);
    assert.deepEqual(users, {});
  });
});
