import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { before, describe, it } from 'node:test';
import { admin, eventually, useInstance } from '../helpers.js';
import { confirm, createPartner, describeShow, hold, seatMap, simpleShow, statuses } from './helpers.js';

describe('seats: confirm, expiry and bookings', () => {
  const instance = useInstance();
  let apiKey: string;
  let partnerId: string;
  before(async () => {
    ({ apiKey, partnerId } = await createPartner(instance.app));
  });

  const bookingRows = async (showId: string) =>
    (
      await instance.ctx.infra.pool.query<{ booking_id: string; seats: string[]; status: string }>(
        'SELECT booking_id, seats, status FROM bookings WHERE show_id = $1 ORDER BY confirmed_at',
        [showId],
      )
    ).rows;

  it('a confirm is 201 once committed; the same Idempotency-Key again returns the same booking', async () => {
    const { showId } = await simpleShow(instance.app);
    const h = await hold(instance.app, showId, apiKey, { seats: ['A-2-3', 'A-2-4'], userId: 'ann' });
    const [first, ...repeats] = await Promise.all(
      Array.from({ length: 5 }, () => confirm(instance.app, showId, h.body.holdId, apiKey, 'pay-1')),
    );
    assert.equal(first!.status, 201, JSON.stringify(first!.body));
    assert.deepEqual(first!.body.seats, ['A-2-3', 'A-2-4']);
    assert.equal(first!.body.status, 'confirmed');
    for (const r of repeats) assert.deepEqual([r.status, r.body], [201, first!.body]);
    const rows = await bookingRows(showId);
    assert.equal(rows.length, 1, 'committed once');
    assert.equal(rows[0]!.booking_id, first!.body.bookingId);
    // another key for the same hold does not book it twice
    const other = await confirm(instance.app, showId, h.body.holdId, apiKey, 'pay-2');
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'already_confirmed');
    assert.equal(other.body.error.bookingId, first!.body.bookingId);
    // the key names its hold: reused for another hold it is refused
    const h2 = await hold(instance.app, showId, apiKey, { seats: ['A-5-1'], userId: 'ann' });
    assert.equal((await confirm(instance.app, showId, h2.body.holdId, apiKey, 'pay-1')).body.error.code, 'idempotency_key_reused');
    const show = await describeShow(instance.app, showId);
    assert.deepEqual([show.free, show.held, show.sold], [47, 1, 2]);
    const booking = await instance.app.inject({
      url: `/v1/shows/${showId}/bookings/${first!.body.bookingId}`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(booking.statusCode, 200);
    assert.equal(booking.json().userId, 'ann');
    assert.equal(booking.json().status, 'confirmed');
    const missing = await instance.app.inject({
      method: 'POST',
      url: `/v1/shows/${showId}/holds/${h2.body.holdId}/confirm`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(missing.statusCode, 400, 'the Idempotency-Key is required');
  });

  it('holds expire on time and free their seats; a late confirm books only seats still free', async () => {
    const { showId } = await simpleShow(instance.app, { show: { holdSeconds: 5 } });
    const late = await hold(instance.app, showId, apiKey, { seats: ['A-1-1', 'A-1-2'], userId: 'slow' });
    const lost = await hold(instance.app, showId, apiKey, { seats: ['A-1-5', 'A-1-6'], userId: 'slower' });
    const expiresAt = Date.parse(late.body.expiresAt);
    // Read from Redis itself (the seat map may be up to a second old): row 1, seat 1.
    const row = `${instance.prefix}:{show:${showId}}:rows`;
    const freedAt = await eventually(
      async () => ((await instance.ctx.infra.redis.hget(row, '1'))?.[0] === 'f' ? Date.now() : undefined),
      10_000,
      20,
    );
    assert.ok(freedAt - expiresAt < 1_500, `freed ${freedAt - expiresAt} ms after its expiry`);
    assert.ok(freedAt >= expiresAt);
    // someone else takes one seat of the second hold meanwhile
    assert.equal((await hold(instance.app, showId, apiKey, { seats: ['A-1-6'], userId: 'quick' })).status, 201);
    const refused = await confirm(instance.app, showId, lost.body.holdId, apiKey, 'late-2');
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'hold_expired');
    assert.deepEqual(refused.body.error.seats, ['A-1-6']);
    const booked = await confirm(instance.app, showId, late.body.holdId, apiKey, 'late-1');
    assert.equal(booked.status, 201, JSON.stringify(booked.body));
    assert.deepEqual(booked.body.seats, ['A-1-1', 'A-1-2']);
    const map = statuses(
      await eventually(async () => {
        const m = await seatMap(instance.app, showId);
        return statuses(m).get('A-1-1') === 's' ? m : undefined;
      }),
    );
    assert.deepEqual(
      ['A-1-1', 'A-1-2', 'A-1-5', 'A-1-6'].map((s) => map.get(s)),
      ['s', 's', 'f', 'h'],
    );
    const extend = await instance.app.inject({
      method: 'POST',
      url: `/v1/shows/${showId}/holds/${lost.body.holdId}/extend`,
      headers: { 'x-api-key': apiKey },
    });
    assert.equal(extend.json().error.code, 'hold_expired');
  });

  it('a cancelled booking frees its seats; webhooks go out through the outbox', async () => {
    const received = new Map<string, Record<string, unknown>>();
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.set(String(req.headers['idempotency-key']), JSON.parse(body));
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    try {
      const webhookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
      const { showId } = await simpleShow(instance.app, { show: { holdSeconds: 5, webhookUrl } });
      const h = await hold(instance.app, showId, apiKey, { best: { count: 3 }, userId: 'bea' });
      const booked = await confirm(instance.app, showId, h.body.holdId, apiKey, 'k');
      assert.equal(booked.status, 201);
      const expiring = await hold(instance.app, showId, apiKey, { seats: ['A-5-1'], userId: 'cy' });
      const { bookingId } = booked.body;
      const other = await createPartner(instance.app, 'another');
      const foreign = await instance.app.inject({
        method: 'DELETE',
        url: `/v1/shows/${showId}/bookings/${bookingId}`,
        headers: { 'x-api-key': other.apiKey },
      });
      assert.equal(foreign.statusCode, 404, 'another partner cannot cancel it');
      const cancelled = await instance.app.inject({
        method: 'DELETE',
        url: `/v1/shows/${showId}/bookings/${bookingId}`,
        headers: { 'x-api-key': apiKey },
      });
      assert.equal(cancelled.statusCode, 204);
      const again = await instance.app.inject({ method: 'DELETE', url: `/v1/shows/${showId}/bookings/${bookingId}`, headers: admin });
      assert.equal(again.statusCode, 204);
      const show = await describeShow(instance.app, showId);
      assert.deepEqual([show.free, show.held, show.sold], [49, 1, 0]);
      assert.deepEqual(
        (await bookingRows(showId)).map((r) => r.status),
        ['cancelled'],
      );
      await eventually(
        async () =>
          received.has(`booking.confirmed:${bookingId}`) &&
          received.has(`booking.cancelled:${bookingId}`) &&
          received.has(`hold.expired:${showId}:${expiring.body.holdId}`)
            ? true
            : undefined,
        15_000,
        200,
      );
      assert.deepEqual(received.get(`booking.confirmed:${bookingId}`)!.seats, h.body.seats);
      assert.equal(received.get(`hold.expired:${showId}:${expiring.body.holdId}`)!.userId, 'cy');
      const read = await instance.app.inject({ url: `/v1/shows/${showId}/bookings/${bookingId}`, headers: admin });
      assert.equal(read.json().status, 'cancelled');
      assert.ok(partnerId);
    } finally {
      receiver.close();
    }
  });
});
