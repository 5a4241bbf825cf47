// npm run bench -- --compare, seats: seed 003's design (SELECT … FOR UPDATE on the seat rows, then
// insert), a conditional UPDATE … WHERE status = 'free', and Floodgate, one after another on this
// machine, under the same two loads: a correctness burst (2,000 buyers at once for one seat, and
// 1,000 for overlapping pairs of seats: all or nothing) and a throughput run (closed loop, each
// request a different seat of a 100,000-seat show).
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import type { LoadResult } from './closed-loop.js';
import { startProcess } from './processes.js';
import { arenaShow, post } from './seats-arena.js';
import type { SeatLoadJob } from './seats-load-worker.js';
import { runWorkerProcess } from './worker-process.js';

interface Row {
  design: string;
  perSecond: number;
  p99Ms: number;
  /** Everyone asking for one seat (all refused but the first), closed loop: answers/s and p99. */
  oneSeatPerSecond: number;
  oneSeatP99Ms: number;
  errors: number;
  oneSeatWinners: number;
  pairsDoubleHeld: number;
}

async function burst(origin: string, showId: string, apiKey: string, bodies: object[]): Promise<Array<{ status: number; body: any }>> {
  const pool = new Pool(origin, { connections: 256 });
  try {
    return await Promise.all(
      bodies.map(async (b) => {
        const res = await pool.request({
          method: 'POST',
          path: `/v1/shows/${showId}/holds`,
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
          body: JSON.stringify(b),
        });
        return { status: res.statusCode, body: await res.body.json() };
      }),
    );
  } finally {
    await pool.close();
  }
}

export async function compareSeats(options: {
  redisUrl: string;
  databaseUrl: string;
  seconds: number;
  connections: number;
}): Promise<Row[]> {
  const baselineDb = new URL(options.databaseUrl);
  baselineDb.pathname = '/floodgate_baselines';
  const token = `cmp-${randomBytes(12).toString('hex')}`;
  const designs = [
    ...['seat-for-update', 'seat-update'].map((design) => ({
      design,
      args: ['--import', 'tsx', 'bench/seats-baselines.ts'],
      env: { BASELINE: design, DATABASE_URL: baselineDb.toString() } as Record<string, string>,
    })),
    {
      design: 'floodgate',
      args: ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        FLOODGATE_ADMIN_TOKEN: token,
        FLOODGATE_REDIS_PREFIX: `fgcmp:${randomBytes(3).toString('hex')}`,
        LOG_LEVEL: 'warn',
      },
    },
  ];
  const rows: Row[] = [];
  for (const d of designs) {
    const server = await startProcess(d.args, d.env, '/readyz');
    try {
      const auth = { authorization: `Bearer ${token}` };
      const { apiKey } = await post(server.origin, '/v1/partners', { name: 'compare' }, auth);
      const venueId = `cmp-${randomBytes(3).toString('hex')}`;
      // correctness: 2,000 buyers for one seat; 1,000 for overlapping pairs of one row
      const small = await arenaShow(server.origin, token, `${venueId}-s`, 100);
      const one = await burst(
        server.origin,
        small,
        apiKey,
        Array.from({ length: 2000 }, (_, i) => ({ seats: ['S1-1-50'], userId: `one-${i}` })),
      );
      const pairs = await burst(
        server.origin,
        small,
        apiKey,
        Array.from({ length: 1000 }, (_, i) => ({ seats: [`S1-2-${(i % 99) + 1}`, `S1-2-${(i % 99) + 2}`], userId: `pair-${i}` })),
      );
      const pairSeats = pairs.filter((r) => r.status === 201).flatMap((r) => r.body.seats as string[]);
      // throughput: distinct seats of a 100,000-seat show
      // Three shows (300,000 seats), so that a fast run never exhausts one venue (see seats-load-worker.ts).
      const showIds: string[] = [];
      for (let n = 0; n < 3; n++) showIds.push(await arenaShow(server.origin, token, venueId, 100_000));
      const load = await runWorkerProcess<LoadResult>(new URL('./seats-load-worker.ts', import.meta.url), {
        origin: server.origin,
        connections: options.connections,
        seconds: options.seconds,
        kind: 'chosen',
        showIds,
        apiKey,
        userPrefix: 'u',
        watch: {},
      } satisfies SeatLoadJob);
      // contention: every request for the same seat of another show (seed 003's load, closed loop)
      const contended = await arenaShow(server.origin, token, `${venueId}-s`, 100);
      const oneSeat = await runWorkerProcess<LoadResult>(new URL('./seats-load-worker.ts', import.meta.url), {
        origin: server.origin,
        connections: options.connections,
        seconds: options.seconds,
        kind: 'chosen',
        seat: 'S1-1-50',
        showIds: [contended],
        apiKey,
        userPrefix: 'c',
        watch: {},
      } satisfies SeatLoadJob);
      rows.push({
        design: d.design,
        perSecond: load.perSecond,
        p99Ms: load.p99Ms,
        oneSeatPerSecond: oneSeat.perSecond,
        oneSeatP99Ms: oneSeat.p99Ms,
        // refusals (409) are the expected answers of the contended run: only 5xx count there
        errors:
          load.errors +
          (oneSeat.statuses['500'] ?? 0) +
          (oneSeat.statuses['503'] ?? 0) +
          one.filter((r) => r.status >= 500).length +
          pairs.filter((r) => r.status >= 500).length,
        oneSeatWinners: one.filter((r) => r.status === 201).length,
        pairsDoubleHeld: pairSeats.length - new Set(pairSeats).size,
      });
      console.error(
        `${d.design}: ${load.perSecond} holds/s, p99 ${load.p99Ms} ms; one seat contended: ${oneSeat.perSecond}/s, p99 ${oneSeat.p99Ms} ms; one seat: ${rows.at(-1)!.oneSeatWinners} winners of 2,000, pairs: ${rows.at(-1)!.pairsDoubleHeld} seats held twice`,
      );
    } finally {
      await server.stop();
    }
  }
  return rows;
}

export function formatSeatsCompare(rows: Row[]): string {
  const floodgate = rows.find((r) => r.design === 'floodgate')!;
  const lines = [
    '| design | holds/s (closed loop, distinct seats) | p99 ms | one seat, everyone at once: answers/s | p99 ms | errors (5xx) | 2,000 buyers for one seat: 201s | overlapping pairs: seats held twice | correct | Floodgate ÷ design (distinct / one seat) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of rows) {
    const correct = r.oneSeatWinners === 1 && r.pairsDoubleHeld === 0 && r.errors === 0 ? 'PASS' : 'FAIL';
    lines.push(
      `| ${r.design} | ${r.perSecond} | ${r.p99Ms.toFixed(1)} | ${r.oneSeatPerSecond} | ${r.oneSeatP99Ms.toFixed(1)} | ${r.errors} | ${r.oneSeatWinners} | ${r.pairsDoubleHeld} | ${correct} | ${(floodgate.perSecond / r.perSecond).toFixed(1)}x / ${(floodgate.oneSeatPerSecond / r.oneSeatPerSecond).toFixed(1)}x |`,
    );
  }
  return lines.join('\n');
}
