import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { admin, useInstance } from '../helpers.js';
import { confirm, createPartner, describeShow, hold, seatMap, simpleShow, statuses } from './helpers.js';

describe('seats: holds', () => {
  const instance = useInstance();
  let apiKey: string;
  before(async () => {
    ({ apiKey } = await createPartner(instance.app));
  });

  it('200 buyers holding the same seat at once: exactly one 201, the rest 409 naming the seat', async () => {
    const { showId } = await simpleShow(instance.app);
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => hold(instance.app, showId, apiKey, { seats: ['A-3-5'], userId: `u${i}` })),
    );
    const won = results.filter((r) => r.status === 201);
    assert.equal(won.length, 1);
    assert.deepEqual(won[0]!.body.seats, ['A-3-5']);
    assert.equal(won[0]!.body.together, true);
    for (const r of results.filter((r) => r.status !== 201)) {
      assert.equal(r.status, 409);
      assert.equal(r.body.error.code, 'seats_unavailable');
      assert.deepEqual(r.body.error.seats, ['A-3-5']);
    }
    const show = await describeShow(instance.app, showId);
    assert.deepEqual([show.free, show.held, show.sold], [49, 1, 0]);
    assert.equal(statuses(await seatMap(instance.app, showId)).get('A-3-5'), 'h');
  });

  it('overlapping multi-seat holds are all or nothing', async () => {
    const { showId } = await simpleShow(instance.app, { rows: 1, seats: 12 });
    // 11 overlapping windows of 2 seats over one row of 12, each asked by 10 buyers at once
    const asks = Array.from({ length: 110 }, (_, i) => {
      const start = (i % 11) + 1;
      return { seats: [`A-1-${start}`, `A-1-${start + 1}`], userId: `u${i}` };
    });
    const results = await Promise.all(asks.map((body) => hold(instance.app, showId, apiKey, body)));
    const held = results.filter((r) => r.status === 201).flatMap((r) => r.body.seats as string[]);
    assert.equal(new Set(held).size, held.length, 'no seat in two holds');
    const map = statuses(await seatMap(instance.app, showId));
    for (const [seat, status] of map) assert.equal(status, held.includes(seat) ? 'h' : 'f', seat);
    for (const r of results.filter((r) => r.status !== 201)) {
      assert.equal(r.body.error.code, 'seats_unavailable');
      assert.ok(r.body.error.seats.length >= 1);
    }
    const show = await describeShow(instance.app, showId);
    assert.equal(show.held, held.length);
    assert.equal(show.free + show.held + show.sold, 12);
  });

  it('refuses what a user may not hold: the seat limit counts holds and bookings', async () => {
    const { showId } = await simpleShow(instance.app, { show: { maxSeatsPerUser: 4 } });
    const first = await hold(instance.app, showId, apiKey, { seats: ['A-1-1', 'A-1-2', 'A-1-3'], userId: 'ann' });
    assert.equal(first.status, 201);
    const over = await hold(instance.app, showId, apiKey, { best: { count: 2 }, userId: 'ann' });
    assert.equal(over.status, 409);
    assert.equal(over.body.error.code, 'seat_limit');
    assert.deepEqual([over.body.error.limit, over.body.error.seatsAlready], [4, 3]);
    assert.equal((await confirm(instance.app, showId, first.body.holdId, apiKey, 'k1')).status, 201);
    assert.equal((await hold(instance.app, showId, apiKey, { seats: ['A-2-1', 'A-2-2'], userId: 'ann' })).body.error.code, 'seat_limit');
    assert.equal((await hold(instance.app, showId, apiKey, { seats: ['A-2-1'], userId: 'ann' })).status, 201);
  });

  it('best available: together in the best row, centred, no orphan seat, else split; sold out when it cannot be met', async () => {
    const { showId } = await simpleShow(instance.app, { rows: 2, seats: 6 });
    const best = (count: number, userId: string) => hold(instance.app, showId, apiKey, { best: { count }, userId });
    const a = await best(2, 'a');
    assert.equal(a.status, 201);
    assert.deepEqual(a.body.seats, ['A-1-3', 'A-1-4'], 'the middle of the best row');
    assert.equal(a.body.together, true);
    // row 1 has 2 + 2 left: 4 together go to row 2, at an end (the middle would leave a single seat)
    assert.deepEqual((await best(4, 'b')).body.seats, ['A-2-1', 'A-2-2', 'A-2-3', 'A-2-4']);
    // 3 together exist nowhere: split over the best rows, longest runs first
    const c = await best(3, 'c');
    assert.equal(c.status, 201);
    assert.equal(c.body.together, false);
    assert.deepEqual(c.body.seats, ['A-1-1', 'A-1-2', 'A-1-5']);
    assert.deepEqual((await best(2, 'd')).body.seats, ['A-2-5', 'A-2-6']);
    const e = await best(2, 'e');
    assert.equal(e.status, 410);
    assert.equal(e.body.error.code, 'sold_out');
  });

  it('release frees at once; extend adds holdSeconds once, then refuses', async () => {
    const { showId } = await simpleShow(instance.app, { show: { holdSeconds: 60, maxHoldExtensions: 1 } });
    const h = await hold(instance.app, showId, apiKey, { seats: ['A-1-1'], userId: 'x' });
    const extended = await instance.app.inject({
      method: 'POST',
      url: `/v1/shows/${showId}/holds/${h.body.holdId}/extend`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(extended.statusCode, 200, extended.body);
    assert.equal(Date.parse(extended.json().expiresAt) - Date.parse(h.body.expiresAt), 60_000);
    const again = await instance.app.inject({
      method: 'POST',
      url: `/v1/shows/${showId}/holds/${h.body.holdId}/extend`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, 'extension_limit');
    const released = await instance.app.inject({
      method: 'DELETE',
      url: `/v1/shows/${showId}/holds/${h.body.holdId}`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(released.statusCode, 204);
    assert.equal(statuses(await seatMap(instance.app, showId)).get('A-1-1'), 'f');
    assert.equal((await hold(instance.app, showId, apiKey, { seats: ['A-1-1'], userId: 'y' })).status, 201);
    const gone = await instance.app.inject({
      method: 'DELETE',
      url: `/v1/shows/${showId}/holds/${h.body.holdId}`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(gone.statusCode, 404);
  });

  it('refuses holds before sales open (425) and after they close (410), and bad input (400)', async () => {
    const later = await simpleShow(instance.app, { show: { salesOpenAt: new Date(Date.now() + 3_600_000).toISOString() } });
    const early = await hold(instance.app, later.showId, apiKey, { seats: ['A-1-1'], userId: 'x' });
    assert.equal(early.status, 425);
    assert.equal(early.body.error.code, 'not_open');
    const { showId } = await simpleShow(instance.app);
    for (const body of [
      { seats: ['A-9-1'], userId: 'x' },
      { seats: ['A-1-11'], userId: 'x' },
      { seats: ['A-1-1', 'A-1-1'], userId: 'x' },
      { seats: ['A-1-1'], best: { count: 1 }, userId: 'x' },
      { best: { count: 0 }, userId: 'x' },
      { best: { count: 1, category: 'vip' }, userId: 'x' },
      { seats: [], userId: 'x' },
      { seats: ['A-1-1'] },
    ]) {
      const r = await hold(instance.app, showId, apiKey, body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const show = await describeShow(instance.app, showId);
    assert.equal(show.free, 50);
    const noKey = await instance.app.inject({
      method: 'POST',
      url: `/v1/shows/${showId}/holds`,
      payload: { seats: ['A-1-1'], userId: 'x' },
    });
    assert.equal(noKey.statusCode, 401);
    const asAdmin = await instance.app.inject({
      method: 'POST',
      url: `/v1/shows/${showId}/holds`,
      headers: admin,
      payload: { seats: ['A-1-1'], userId: 'x' },
    });
    assert.equal(asAdmin.statusCode, 201);
  });
});
