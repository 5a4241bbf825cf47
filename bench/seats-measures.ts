// npm run bench: the seat paths (holds of chosen seats, best-available holds, confirms), each on a
// fresh 100,000-seat show, with the same calibration as the other paths; and the Redis cost of a
// best-available hold at several fill levels of a 100,000-seat venue (INFO commandstats).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ShowScripts } from '../src/seats/scripts.js';
import type { LoadResult } from './closed-loop.js';
import type { LoadJob } from './load-job.js';
import { arenaShow, post } from './seats-arena.js';
import type { SeatLoadJob } from './seats-load-worker.js';
import { runWorkerProcess } from './worker-process.js';

const ARENA = 100_000;

export interface SeatBenchContext {
  adminToken: string;
  seconds: number;
  redisUrl: string;
  /** The server's FLOODGATE_REDIS_PREFIX (confirms' holds are made straight in Redis, 256 per script run). */
  prefix: string;
  watch: LoadJob['watch'];
  barePost(origin: string, round: number, connections: number): Promise<LoadResult>;
}

interface Measure {
  path: string;
  run(origin: string, round: number, connections: number): Promise<LoadResult>;
  calibration(bareOrigin: string, round: number, connections: number): Promise<LoadResult>;
}

const runSeatJob = (job: SeatLoadJob) => runWorkerProcess<LoadResult>(new URL('./seats-load-worker.ts', import.meta.url), job);

/** Holds every seat of a show, one seat per hold, straight through the hold script: the confirms' material. */
async function holdEverySeat(redisUrl: string, prefix: string, showId: string, partnerId: string): Promise<string[]> {
  const redis = new Redis(redisUrl);
  try {
    const scripts = new ShowScripts(redis, prefix);
    const ids: string[] = [];
    for (let start = 0; start < ARENA; start += 256) {
      const batch = Array.from({ length: Math.min(256, ARENA - start) }, (_, k) => {
        const i = start + k;
        return {
          holdId: `hd_${randomBytes(12).toString('base64url')}`,
          userId: `confirmer-${i}`,
          partnerId,
          mode: 'chosen' as const,
          seats: [{ row: Math.floor(i / 100) + 1, pos: (i % 100) + 1 }],
        };
      });
      const result = await scripts.hold(showId, Date.now(), batch);
      if (result.kind !== 'decided') throw new Error('the show has no state');
      result.decisions.forEach((d, k) => {
        if (d.kind === 'held') ids.push(batch[k]!.holdId);
      });
    }
    return ids;
  } finally {
    redis.disconnect();
  }
}

export async function seatMeasures(origin: string, ctx: SeatBenchContext): Promise<Measure[]> {
  const venueId = `bench-arena-${randomBytes(3).toString('hex')}`;
  const { apiKey, partnerId } = (await post(
    origin,
    '/v1/partners',
    { name: 'seat bench' },
    { authorization: `Bearer ${ctx.adminToken}` },
  )) as {
    apiKey: string;
    partnerId: string;
  };
  const job = async (kind: SeatLoadJob['kind'], round: number, connections: number, extra: Partial<SeatLoadJob> = {}) => {
    // Every measurement on a show of its own: 100,000 free seats (or, for confirms, 100,000 holds).
    // Holds get three shows (300,000 seats): one was exhausted within a fast run's 8 s.
    const showIds: string[] = [];
    for (let n = kind === 'confirm' ? 1 : 3; n > 0; n--)
      showIds.push(await arenaShow(origin, ctx.adminToken, venueId, ARENA, { holdSeconds: 3600 }));
    const holdIds = kind === 'confirm' ? await holdEverySeat(ctx.redisUrl, ctx.prefix, showIds[0]!, partnerId) : undefined;
    return runSeatJob({
      origin,
      connections,
      seconds: ctx.seconds,
      kind,
      showIds,
      apiKey,
      userPrefix: `${kind}-${round}-${connections}-`,
      ...(holdIds ? { holdIds } : {}),
      watch: ctx.watch,
      ...extra,
    });
  };
  return [
    {
      path: 'seats: hold a chosen seat (POST /v1/shows/:id/holds {seats})',
      calibration: ctx.barePost,
      run: (_o, round, connections) => job('chosen', round, connections),
    },
    {
      path: 'seats: hold the best 2 (POST /v1/shows/:id/holds {best}), 100,000 seats',
      calibration: ctx.barePost,
      run: (_o, round, connections) => job('best', round, connections, { bestCount: 2 }),
    },
    {
      path: 'seats: confirm, answered once committed (POST …/holds/:holdId/confirm)',
      calibration: ctx.barePost,
      run: (_o, round, connections) => job('confirm', round, connections),
    },
  ];
}

/** EVALSHA's calls and time (commandstats: wall time inside the command), and the main thread's CPU time (µs). */
async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number; cpuUs: number }> {
  const [stats, cpu] = await Promise.all([redis.info('commandstats'), redis.info('cpu')]);
  const line = stats.split('\n').find((l) => l.startsWith('cmdstat_evalsha:')) ?? '';
  const seconds = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(cpu)?.[1] ?? 0);
  return {
    calls: Number(/calls=(\d+)/.exec(line)?.[1] ?? 0),
    usec: Number(/usec=(\d+)/.exec(line)?.[1] ?? 0),
    cpuUs: (seconds('used_cpu_user_main_thread') + seconds('used_cpu_sys_main_thread')) * 1e6,
  };
}

export interface RedisCostRow {
  fill: string;
  batch: number;
  holds: number;
  usPerHold: number;
  usPerCall: number;
  /** Redis main-thread CPU per hold: the script plus reading the request and writing the reply. */
  cpuUsPerHold: number;
}

/**
 * What a best-available hold costs Redis (the script's own time, from INFO commandstats) on a
 * 100,000-seat venue, as it fills up with on-sale-like requests (1-6 seats): one hold per script
 * run (the worst case) and 50 per run (a surge's batches). Runs alone, on a show of its own.
 */
export async function seatRedisCost(origin: string, ctx: SeatBenchContext): Promise<RedisCostRow[]> {
  const venueId = `bench-cost-${randomBytes(3).toString('hex')}`;
  const showId = await arenaShow(origin, ctx.adminToken, venueId, ARENA, { holdSeconds: 3600 });
  const redis = new Redis(ctx.redisUrl);
  const scripts = new ShowScripts(redis, ctx.prefix);
  let n = 0;
  const request = () => ({
    holdId: `hd_${randomBytes(12).toString('base64url')}`,
    userId: `cost-${n}`,
    partnerId: '',
    mode: 'best' as const,
    count: 1 + (n++ % 6),
    category: null,
    accessible: false,
  });
  const rows: RedisCostRow[] = [];
  // Calibration, measured now: what the least script run costs this Redis on this machine.
  const trivial = (await redis.script('LOAD', 'return 1')) as string;
  const before = await evalshaStats(redis);
  for (let r = 0; r < 1000; r++) await redis.evalsha(trivial, 0);
  const after = await evalshaStats(redis);
  rows.push({
    fill: 'calibration: EVALSHA of "return 1"',
    batch: 1,
    holds: 1000,
    usPerHold: Math.round(((after.usec - before.usec) / 1000) * 10) / 10,
    usPerCall: Math.round(((after.usec - before.usec) / 1000) * 10) / 10,
    cpuUsPerHold: Math.round(((after.cpuUs - before.cpuUs) / 1000) * 10) / 10,
  });
  let held = 0;
  const hold = async (batch: number) => {
    const requests = Array.from({ length: batch }, request);
    const result = await scripts.hold(showId, Date.now(), requests);
    if (result.kind !== 'decided') throw new Error('the show has no state');
    for (const [k, d] of result.decisions.entries()) if (d.kind === 'held') held += requests[k]!.count;
  };
  try {
    for (const fill of [0, 0.5, 0.9, 0.99]) {
      while (held < fill * ARENA) await hold(100);
      for (const batch of [1, 50]) {
        const before = await evalshaStats(redis);
        const runs = batch === 1 ? 1000 : 20;
        for (let r = 0; r < runs; r++) await hold(batch);
        const after = await evalshaStats(redis);
        const calls = after.calls - before.calls;
        const usec = after.usec - before.usec;
        rows.push({
          fill: `${Math.round((held / ARENA) * 100)}%`,
          batch,
          holds: runs * batch,
          usPerHold: Math.round((usec / (runs * batch)) * 10) / 10,
          usPerCall: Math.round((usec / calls) * 10) / 10,
          cpuUsPerHold: Math.round(((after.cpuUs - before.cpuUs) / (runs * batch)) * 10) / 10,
        });
      }
    }
  } finally {
    redis.disconnect();
  }
  return rows;
}

export function formatRedisCost(rows: RedisCostRow[]): string {
  const lines = [
    '| venue filled | holds per script run | holds measured | script µs per hold (commandstats) | script µs per run | Redis main-thread CPU µs per hold |',
    '|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) lines.push(`| ${r.fill} | ${r.batch} | ${r.holds} | ${r.usPerHold} | ${r.usPerCall} | ${r.cpuUsPerHold} |`);
  return lines.join('\n');
}
