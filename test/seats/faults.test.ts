import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { showKeys } from '../../src/seats/keys.js';
import { pooled } from '../claims/helpers.js';
import { ADMIN_TOKEN, deletePrefix, eventually, killServe, startInstance, startServe, testPrefix, uniqueId } from '../helpers.js';
import { TcpProxy } from '../tcp-proxy.js';
import { confirm, createPartner, describeShow, hold, seatMap, simpleShow, statuses } from './helpers.js';

type Queryable = { query: (sql: string, values: unknown[]) => Promise<{ rows: any[] }> };

/** Every live booked seat of a show, and how many live bookings hold it. */
async function bookedSeats(pool: Queryable, showId: string): Promise<{ bookings: Set<string>; seats: Map<string, number> }> {
  const { rows } = await pool.query(
    `SELECT b.booking_id, s.seat_id FROM bookings b JOIN booking_seats s ON s.booking_id = b.booking_id
      WHERE b.show_id = $1 AND s.released_at IS NULL`,
    [showId],
  );
  const seats = new Map<string, number>();
  for (const r of rows) seats.set(r.seat_id, (seats.get(r.seat_id) ?? 0) + 1);
  return { bookings: new Set(rows.map((r) => r.booking_id as string)), seats };
}

describe('seats under faults: nothing confirmed is lost, no seat is sold twice', () => {
  const prefixes: string[] = [];
  after(async () => {
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  it('a serve process killed with SIGKILL during a confirm burst, then restarted: every 201 is a row, no seat twice', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const call = async (method: 'POST' | 'GET', path: string, headers: Record<string, string>, body?: object) => {
      const res = await request(`${origin}${path}`, {
        method,
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
    };
    let server = await startServe(prefix);
    const { origin } = server;
    try {
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const venueId = uniqueId('kill');
      const rows = Array.from({ length: 20 }, (_, i) => ({ id: String(i + 1), seats: 20 }));
      assert.equal((await call('POST', '/v1/venues', auth, { id: venueId, name: 'Hall', sections: [{ id: 'A', rows }] })).status, 201);
      const showId = uniqueId('kill');
      const startsAt = new Date(Date.now() + 86_400_000).toISOString();
      assert.equal((await call('POST', '/v1/shows', auth, { id: showId, venueId, startsAt, holdSeconds: 600 })).status, 201);
      const { apiKey } = (await call('POST', '/v1/partners', auth, { name: 'p' })).body as { apiKey: string };
      const key = { 'x-api-key': apiKey };

      // 400 buyers hold 1 seat each (best available), then all confirm at once; the process dies mid-burst
      const holds = await pooled(
        Array.from(
          { length: 400 },
          (_, i) => () => call('POST', `/v1/shows/${showId}/holds`, key, { best: { count: 1 }, userId: `u${i}` }),
        ),
        50,
      );
      assert.ok(holds.every((h) => h.status === 201));
      const confirmed = new Map<string, string[]>();
      let killed = false;
      await pooled(
        holds.map((h, i) => async () => {
          try {
            const r = await call('POST', `/v1/shows/${showId}/holds/${h.body.holdId}/confirm`, { ...key, 'idempotency-key': `k${i}` });
            if (r.status === 201) confirmed.set(r.body.bookingId, r.body.seats);
            if (confirmed.size >= 60 && !killed) {
              killed = true;
              server.child.kill('SIGKILL');
            }
          } catch {
            // the connection died with the process
          }
        }),
        100,
      );
      assert.ok(killed, 'the process was killed mid-burst');
      await killServe(server);
      server = await startServe(prefix, { port: server.port });

      const instance = await startInstance({ redisPrefix: prefix }, { background: false });
      try {
        // the restarted instance's sweeper persists what the dead one accepted but had not committed
        const stored = await eventually(
          async () => {
            const log = await instance.ctx.infra.redis.xlen(`${prefix}:{show:${showId}}:log`);
            return log === 0 ? bookedSeats(instance.ctx.infra.pool, showId) : undefined;
          },
          15_000,
          250,
        );
        for (const id of confirmed.keys()) assert.ok(stored.bookings.has(id), `a 201 (${id}) is missing from PostgreSQL`);
        for (const [seat, n] of stored.seats) assert.equal(n, 1, `${seat} is in ${n} bookings`);
        const sold = Number(await instance.ctx.infra.redis.hget(`${prefix}:{show:${showId}}:st`, 's'));
        assert.equal(stored.seats.size, sold, 'every seat sold in Redis is a booked seat in PostgreSQL');
        // the show goes on: the remaining holds are confirmed (again, with their keys)
        const again = await pooled(
          holds.map(
            (h, i) => () => call('POST', `/v1/shows/${showId}/holds/${h.body.holdId}/confirm`, { ...key, 'idempotency-key': `k${i}` }),
          ),
          50,
        );
        assert.ok(
          again.every((r) => r.status === 201),
          JSON.stringify(again.find((r) => r.status !== 201)),
        );
        for (const r of again) if (confirmed.has(r.body.bookingId)) assert.deepEqual(r.body.seats, confirmed.get(r.body.bookingId));
        const final = await bookedSeats(instance.ctx.infra.pool, showId);
        assert.equal(final.bookings.size, 400);
        assert.equal(final.seats.size, 400);
      } finally {
        await instance.close();
      }
    } finally {
      await killServe(server);
    }
  });

  it('Redis loses the show mid-burst: it is rebuilt from PostgreSQL, nothing is sold twice', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const instance = await startInstance({ redisPrefix: prefix });
    try {
      const { apiKey } = await createPartner(instance.app);
      const { showId } = await simpleShow(instance.app, { rows: 10, seats: 30 });
      const booked = new Map<string, string[]>(); // bookingId -> seats, from 201s
      let flushed = false;
      let refusedWhileRebuilding = 0;
      const buyer = async (i: number) => {
        for (let attempt = 0; attempt < 40; attempt++) {
          const h = await hold(instance.app, showId, apiKey, { best: { count: 1 + (i % 3) }, userId: `u${i}` });
          if (h.status === 503) {
            refusedWhileRebuilding++;
            await new Promise((r) => setTimeout(r, 100));
            continue;
          }
          if (h.status === 410) return;
          assert.equal(h.status, 201, JSON.stringify(h.body));
          const c = await confirm(instance.app, showId, h.body.holdId, apiKey, `k${i}-${attempt}`);
          if (c.status === 201) {
            booked.set(c.body.bookingId, c.body.seats);
            if (!flushed && booked.size >= 40) {
              flushed = true;
              await deletePrefix(prefix); // what a restart without persistence, or a FLUSHALL, does to us
            }
            return;
          }
          // the hold was lost with Redis (404), or the state is being rebuilt (503): try again
          assert.ok([404, 503].includes(c.status), JSON.stringify(c.body));
        }
      };
      await pooled(
        Array.from({ length: 200 }, (_, i) => () => buyer(i)),
        25,
      );
      assert.ok(flushed);
      assert.ok(refusedWhileRebuilding > 0, 'holds were refused while the state was rebuilt');
      const seatsAnswered = [...booked.values()].flat();
      assert.equal(new Set(seatsAnswered).size, seatsAnswered.length, 'no seat in two 201s');
      const stored = await bookedSeats(instance.ctx.infra.pool, showId);
      for (const id of booked.keys()) assert.ok(stored.bookings.has(id), 'every 201 is stored');
      for (const [seat, n] of stored.seats) assert.equal(n, 1, `${seat} is in ${n} bookings`);
      assert.equal(stored.seats.size, 300, 'the whole house sold, once');
      const map = statuses(await eventually(async () => seatMap(instance.app, showId).catch(() => undefined)));
      for (const seat of stored.seats.keys()) assert.equal(map.get(seat), 's', seat);
      const show = await describeShow(instance.app, showId);
      assert.deepEqual([show.free, show.held, show.sold], [0, 0, 300]);
      const parked = await instance.ctx.infra.pool.query(
        "SELECT count(*)::int AS n FROM parked_entries WHERE capability = 'seats' AND entity_id = $1",
        [Buffer.from(showId)],
      );
      assert.equal(parked.rows[0].n, 0, 'no booking was refused by PostgreSQL');
    } finally {
      await instance.close();
    }
  });

  it('a show whose seat keys are partly gone (one key evicted) is rebuilt, never answered with a 500', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const instance = await startInstance({ redisPrefix: prefix });
    try {
      const { apiKey } = await createPartner(instance.app);
      const { showId } = await simpleShow(instance.app);
      const first = await hold(instance.app, showId, apiKey, { seats: ['A-1-1'], userId: 'u1' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const c = await confirm(instance.app, showId, first.body.holdId, apiKey, 'k1');
      assert.equal(c.status, 201, JSON.stringify(c.body));
      // Only the rows go: st still says ready.
      await instance.ctx.infra.redis.del(showKeys(prefix, showId).rows);
      const during = await hold(instance.app, showId, apiKey, { seats: ['A-1-2'], userId: 'u2' });
      assert.equal(during.status, 503, JSON.stringify(during.body));
      const after = await eventually(async () => {
        const h = await hold(instance.app, showId, apiKey, { seats: ['A-1-1'], userId: 'u3' });
        return h.status === 503 ? undefined : h;
      });
      assert.equal(after.status, 409, 'the seat sold before the loss is still sold');
    } finally {
      await instance.close();
    }
  });

  it('PostgreSQL unreachable mid-confirms: 202 pending, booked once it is back', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const target = new URL(process.env.TEST_DATABASE_URL!);
    const proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
    const instance = await startInstance({ redisPrefix: prefix, databaseUrl: proxy.url(process.env.TEST_DATABASE_URL!) });
    try {
      const { apiKey } = await createPartner(instance.app);
      const { showId } = await simpleShow(instance.app);
      const holds = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          hold(instance.app, showId, apiKey, { seats: [`A-${1 + Math.floor(i / 5)}-${1 + (i % 5)}`], userId: `u${i}` }),
        ),
      );
      assert.ok(holds.every((h) => h.status === 201));
      proxy.down();
      const during = await Promise.all(holds.map((h, i) => confirm(instance.app, showId, h.body.holdId, apiKey, `k${i}`)));
      for (const r of during) {
        assert.equal(r.status, 202, JSON.stringify(r.body));
        assert.equal(r.body.status, 'pending');
      }
      const read = await instance.app.inject({
        url: `/v1/shows/${showId}/bookings/${during[0]!.body.bookingId}`,
        headers: { 'x-api-key': apiKey },
      });
      assert.equal(read.statusCode, 200, read.body);
      assert.equal(read.json().status, 'pending');
      // the seats are sold meanwhile: nobody else gets them
      assert.equal((await hold(instance.app, showId, apiKey, { seats: ['A-1-1'], userId: 'late' })).body.error.code, 'seats_unavailable');
      proxy.up();
      await eventually(
        async () => {
          const r = await instance.app.inject({
            url: `/v1/shows/${showId}/bookings/${during[9]!.body.bookingId}`,
            headers: { 'x-api-key': apiKey },
          });
          return r.statusCode === 200 && r.json().status === 'confirmed' ? true : undefined;
        },
        15_000,
        250,
      );
      const stored = await bookedSeats(instance.ctx.infra.pool, showId);
      for (const r of during) assert.ok(stored.bookings.has(r.body.bookingId), 'every accepted booking is stored');
      assert.equal(stored.seats.size, 10);
      // a repeated confirm answers the committed booking
      const again = await confirm(instance.app, showId, holds[3]!.body.holdId, apiKey, 'k3');
      assert.deepEqual([again.status, again.body.bookingId, again.body.status], [201, during[3]!.body.bookingId, 'confirmed']);
    } finally {
      await instance.close();
      await proxy.close();
    }
  });
});
