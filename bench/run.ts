// npm run bench: measures Floodgate's hot paths against a bare node:http server started in the
// same run, on the same machine, with the same load generator. See docs/BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import type { LoadResult } from './closed-loop.js';
import { courseMeasures, coursesCompare, deciderSummary, formatCoursesCompare } from './courses.js';
import type { CpuShare } from './cpu.js';
import { type LoadJob, type ProcessSource, runLoadJob } from './load-job.js';
import { bulkPersistence } from './persistence.js';
import { startProcess } from './processes.js';
import { type WrkJob, type WrkResult, wrk } from './wrk.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    // A comma-separated list: every path is measured at each. 50 is a light load for the batched
    // paths (a batch holds what arrives in one event-loop turn); 500 is a surge's, and seed 002's.
    connections: { type: 'string', default: '50,500' },
    rounds: { type: 'string', default: '5' },
    compare: { type: 'boolean', default: false },
    // --ab <dir>: entry, poll and claims on the build in <dir> and on this one, alternated (bench/ab.ts)
    ab: { type: 'string' },
    seeds: { type: 'string' },
    // Only the paths whose name contains this (e.g. --paths seats); every path by default.
    paths: { type: 'string', default: '' },
    // The wallet's measurements only (with --compare: the wallet against seed 002's design); bench/wallet*.ts.
    wallet: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const connectionCounts = values.connections.split(',').map(Number);
if (connectionCounts.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error('--connections: a comma-separated list of positive integers');
/** --compare measures at one concurrency: the first given. */
const connections = connectionCounts[0]!;
const rounds = Number(values.rounds);
const adminToken = `bench-${randomBytes(12).toString('hex')}`;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run npm run bench`);
  return value;
}

interface Row {
  path: string;
  connections: number;
  result: LoadResult;
  calibration: LoadResult;
  /** Median over the rounds of (Floodgate / the mean of the calibrations just before and after it). */
  ratio: number;
  /** Each round's ratio, in order. */
  roundRatios: number[];
}

function format(rows: Row[]): string {
  const lines = [
    '| path | connections | req/s | p50 ms | p99 ms | errors | bare node:http req/s | bare p99 ms | ratio | per-round ratios |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const { path, connections, result, calibration, ratio, roundRatios } of rows) {
    lines.push(
      `| ${path} | ${connections} | ${result.perSecond} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ${result.errors} | ${calibration.perSecond} | ${calibration.p99Ms.toFixed(2)} | ${ratio.toFixed(2)}x | ${roundRatios.map((r) => r.toFixed(2)).join(', ')} |`,
    );
  }
  return lines.join('\n');
}

const us = (cpu: CpuShare | undefined, name: string) => (cpu?.perRequestUs[name] !== undefined ? cpu.perRequestUs[name].toFixed(1) : '-');
const allUs = (cpu: CpuShare | undefined) =>
  cpu
    ? Object.entries(cpu.perRequestUs)
        .reduce((sum, [name, us]) => (name === 'background' ? sum : sum + us), 0)
        .toFixed(1)
    : '-';

/** Where each median run's CPU went: µs per answered request, per process, and the machine's idle share. */
function formatCpu(rows: Row[]): string {
  const lines = [
    '| path | connections | server µs | Redis µs | PostgreSQL µs | generator µs | all µs | idle | bare server µs | bare generator µs | bare all µs | bare idle | background µs |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { path, connections, result, calibration } of rows) {
    const [f, b] = [result.cpu, calibration.cpu];
    lines.push(
      `| ${path} | ${connections} | ${us(f, 'server')} | ${us(f, 'redis')} | ${us(f, 'postgres')} | ${us(f, 'generator')} | ${allUs(f)} | ${f ? `${f.idlePercent}%` : '-'} ` +
        `| ${us(b, 'server')} | ${us(b, 'generator')} | ${allUs(b)} | ${b ? `${b.idlePercent}%` : '-'} | ${us(b, 'background')} |`,
    );
  }
  return lines.join('\n');
}

async function admin(origin: string, path: string, body: object) {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The run whose throughput is the median of the rounds (its latencies come with it). */
function medianRun(runs: LoadResult[]): LoadResult {
  const target = median(runs.map((r) => r.perSecond));
  return runs.find((r) => r.perSecond === target)!;
}

interface Measure {
  path: string;
  run(origin: string, round: number, connections: number): Promise<LoadResult>;
  calibration(bareOrigin: string, round: number, connections: number): Promise<LoadResult>;
  /** The same request for wrk (1 thread, 64 connections), on Floodgate and on the bare server. */
  wrk?: { floodgate: WrkRequest; bare: WrkRequest };
}

type WrkRequest = Omit<WrkJob, 'origin' | 'seconds'>;
const bareWrkGet: WrkRequest = { method: 'GET', paths: ['/poll'] };
const bareWrkPost: WrkRequest = { method: 'POST', paths: ['/enter'], userIdPrefix: 'u' };

/** What each measurement's generator watches: the server under test, and Redis and PostgreSQL for Floodgate. */
let bareWatch: LoadJob['watch'] = {};
let floodgateWatch: LoadJob['watch'] = {};

type LoadRequest = Pick<LoadJob, 'method' | 'paths' | 'userIdPrefix' | 'headers' | 'connections'>;
const load = (origin: string, watch: LoadJob['watch'], request: LoadRequest) => runLoadJob({ origin, seconds, watch, ...request });
const bareGet = (origin: string, _round: number, connections: number) =>
  load(origin, bareWatch, { method: 'GET', paths: ['/poll'], connections });
const barePost = (origin: string, _round: number, connections: number) =>
  load(origin, bareWatch, { method: 'POST', paths: ['/enter'], userIdPrefix: 'u', connections });

async function waitingRoomMeasures(origin: string): Promise<Measure[]> {
  // Admission is slow on purpose: the tickets stay waiting, as they are during a surge.
  const room = { admitPerSecond: 1, maxActive: 1, sessionSeconds: 600 };
  const entryRoom = `bench-entry-${randomBytes(3).toString('hex')}`;
  await admin(origin, '/v1/rooms', { id: entryRoom, ...room });

  const pollRoom = `bench-poll-${randomBytes(3).toString('hex')}`;
  await admin(origin, '/v1/rooms', { id: pollRoom, ...room });
  const setup = new Pool(origin, { connections: 50 });
  const tickets: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const ids = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const res = await setup.request({
          method: 'POST',
          path: `/v1/rooms/${pollRoom}/tickets`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({ userId: `poller-${batch * 500 + i}` }),
        });
        return ((await res.body.json()) as { ticketId: string }).ticketId;
      }),
    );
    tickets.push(...ids);
  }
  await setup.close();
  return [
    {
      path: 'waiting room: enter (POST /v1/rooms/:id/tickets)',
      calibration: barePost,
      // a new user per request, in every round, named by a trusted backend (the admin token here:
      // the credential check is the same in-memory comparison as a partner key's)
      run: (o, round, connections) =>
        load(o, floodgateWatch, {
          method: 'POST',
          paths: [`/v1/rooms/${entryRoom}/tickets`],
          userIdPrefix: `user-${round}-${connections}-`,
          headers: { authorization: `Bearer ${adminToken}` },
          connections,
        }),
      wrk: {
        floodgate: {
          method: 'POST',
          paths: [`/v1/rooms/${entryRoom}/tickets`],
          userIdPrefix: `wrk-user-${randomBytes(3).toString('hex')}-`,
          headers: { authorization: `Bearer ${adminToken}` },
        },
        bare: bareWrkPost,
      },
    },
    {
      path: 'waiting room: poll (GET /v1/rooms/:id/tickets/:ticketId)',
      calibration: bareGet,
      run: (o, _round, connections) =>
        load(o, floodgateWatch, { method: 'GET', paths: tickets.map((t) => `/v1/rooms/${pollRoom}/tickets/${t}`), connections }),
      wrk: { floodgate: { method: 'GET', paths: tickets.map((t) => `/v1/rooms/${pollRoom}/tickets/${t}`) }, bare: bareWrkGet },
    },
  ];
}

async function claimMeasures(origin: string): Promise<Measure[]> {
  const campaignId = `bench-claims-${randomBytes(3).toString('hex')}`;
  await admin(origin, '/v1/campaigns', { id: campaignId, stock: 50_000_000 });
  const { apiKey } = (await admin(origin, '/v1/partners', { name: 'bench' })) as { apiKey: string };
  return [
    {
      path: 'claims: claim, answered once committed (POST /v1/campaigns/:id/claims)',
      calibration: barePost,
      run: (o, round, connections) =>
        load(o, floodgateWatch, {
          method: 'POST',
          paths: [`/v1/campaigns/${campaignId}/claims`],
          userIdPrefix: `claimer-${round}-${connections}-`,
          headers: { 'x-api-key': apiKey },
          connections,
        }),
      wrk: {
        floodgate: {
          method: 'POST',
          paths: [`/v1/campaigns/${campaignId}/claims`],
          userIdPrefix: `wrk-claimer-${randomBytes(3).toString('hex')}-`,
          headers: { 'x-api-key': apiKey },
        },
        bare: bareWrkPost,
      },
    },
  ];
}

if (values.seeds !== undefined) {
  const { seeds } = await import('./seeds.js');
  await seeds({
    redisUrl: env('BENCH_REDIS_URL'),
    databaseUrl: env('BENCH_DATABASE_URL'),
    ...(values.seeds !== 'all' ? { only: values.seeds } : {}),
  });
  process.exit(0);
}

if (values.ab !== undefined) {
  const { ab } = await import('./ab.js');
  console.log(
    `\n${await ab({ otherDir: values.ab, redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), seconds, connections: connectionCounts, rounds })}`,
  );
  process.exit(0);
}

if (values.wallet) {
  const { walletCommand } = await import('./wallet-command.js');
  await walletCommand({
    redisUrl: env('BENCH_REDIS_URL'),
    databaseUrl: env('BENCH_DATABASE_URL'),
    seconds,
    rounds,
    compare: values.compare,
  });
  process.exit(0);
}

if (values.compare) {
  const { compare, formatCompare } = await import('./compare.js');
  const rows = await compare({ redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), seconds, connections });
  console.log(`\n${new Date().toISOString()}: ${connections} connections, ${seconds} s closed loop per design\n`);
  console.log(formatCompare(rows));
  const { compareSeats, formatSeatsCompare } = await import('./seats-compare.js');
  const seatRows = await compareSeats({ redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), seconds, connections });
  console.log(`\nseats: ${connections} connections, ${seconds} s closed loop per design\n\n${formatSeatsCompare(seatRows)}`);
  console.log(
    `\n${formatCoursesCompare(await coursesCompare({ redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), seconds, connections }))}`,
  );
  process.exit(0);
}

const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/');
const floodgatePrefix = `fgbench:${randomBytes(3).toString('hex')}`;
const server = await startProcess(
  ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
  {
    REDIS_URL: env('BENCH_REDIS_URL'),
    DATABASE_URL: env('BENCH_DATABASE_URL'),
    FLOODGATE_ADMIN_TOKEN: adminToken,
    FLOODGATE_REDIS_PREFIX: floodgatePrefix,
    LOG_LEVEL: 'warn',
  },
  '/readyz',
);
const floodgateProcesses: ProcessSource[] = [
  { pid: server.child.pid! },
  { redis: env('BENCH_REDIS_URL') },
  { postgres: env('BENCH_DATABASE_URL') },
];
floodgateWatch = { server: [floodgateProcesses[0]!], redis: [floodgateProcesses[1]!], postgres: [floodgateProcesses[2]!] };
// While the bare server is measured, Floodgate's processes idle along (admission steps, the
// claim log's sweeper): what they spend then is reported apart, as "background".
bareWatch = { server: [{ pid: bare.child.pid! }], background: floodgateProcesses };
const rows: Row[] = [];
const ratios: number[][] = [];
/** wrk's rounds per path (each: bare, Floodgate, bare). */
const WRK_ROUNDS = 3;
const wrkRows: Array<{ path: string; result: WrkResult; bare: WrkResult; ratio: number; roundRatios: number[] }> = [];
const { seatMeasures, seatRedisCost, formatRedisCost } = await import('./seats-measures.js');
const seatContext = { adminToken, seconds, redisUrl: env('BENCH_REDIS_URL'), prefix: floodgatePrefix, watch: floodgateWatch, barePost };
let seatCost = '';
try {
  const measures: Measure[] = [
    ...(await waitingRoomMeasures(server.origin)),
    ...(await claimMeasures(server.origin)),
    ...(await seatMeasures(server.origin, seatContext)),
    ...(await courseMeasures(server.origin, { adminToken, seconds, watch: floodgateWatch, calibration: barePost })),
  ].filter((m) => m.path.includes(values.paths));
  const cases = connectionCounts.flatMap((connections) => measures.map((measure) => ({ measure, connections })));
  const runs = cases.map(() => ({ result: [] as LoadResult[], calibration: [] as LoadResult[] }));
  // Interleaved rounds: this machine's speed drifts by tens of percent over a minute, so each
  // figure is compared with calibrations measured right before and right after it (their mean:
  // a drift during the measurement shows in both), and medians over the rounds are reported.
  // A calibration before only once made a round's ratio 1.34x when its neighbours were 0.75-0.84x.
  for (let round = 0; round < rounds; round++) {
    for (const [i, { measure, connections }] of cases.entries()) {
      const before = await measure.calibration(bare.origin, round, connections);
      const result = await measure.run(server.origin, round, connections);
      const after = await measure.calibration(bare.origin, round, connections);
      runs[i]!.calibration.push(before, after);
      runs[i]!.result.push(result);
      (ratios[i] ??= []).push(result.perSecond / ((before.perSecond + after.perSecond) / 2));
      console.error(
        `round ${round + 1}: ${measure.path}, ${connections} connections: ${result.perSecond}/s vs ${before.perSecond}/s before, ${after.perSecond}/s after`,
      );
    }
  }
  // The same paths with wrk: bare, Floodgate, bare, in rounds; the ratio against the mean of the two.
  for (const measure of measures) {
    if (!measure.wrk) continue;
    const ratios: number[] = [];
    const results: WrkResult[] = [];
    const bares: WrkResult[] = [];
    for (let round = 0; round < WRK_ROUNDS; round++) {
      const before = await wrk({ origin: bare.origin, seconds, ...measure.wrk!.bare });
      const result = await wrk({ origin: server.origin, seconds, ...measure.wrk!.floodgate });
      const after = await wrk({ origin: bare.origin, seconds, ...measure.wrk!.bare });
      results.push(result);
      bares.push(before, after);
      ratios.push(result.perSecond / ((before.perSecond + after.perSecond) / 2));
      console.error(
        `wrk round ${round + 1}: ${measure.path}: ${result.perSecond}/s vs ${before.perSecond}/s before, ${after.perSecond}/s after`,
      );
    }
    const pick = (runs: WrkResult[]) => runs.find((r) => r.perSecond === median(runs.map((x) => x.perSecond)))!;
    wrkRows.push({ path: measure.path, result: pick(results), bare: pick(bares), ratio: median(ratios), roundRatios: ratios });
  }
  cases.forEach(({ measure, connections }, i) => {
    rows.push({
      path: measure.path,
      connections,
      result: medianRun(runs[i]!.result),
      calibration: medianRun(runs[i]!.calibration),
      ratio: median(ratios[i]!),
      roundRatios: ratios[i]!,
    });
  });
  if (measures.some((m) => m.path.startsWith('seats:'))) seatCost = formatRedisCost(await seatRedisCost(server.origin, seatContext));
} finally {
  await Promise.all([bare.stop(), server.stop()]);
}
// Bulk persistence runs alone, after the HTTP measurements, with the database migrated by the server.
const bulk = [];
for (let round = 0; round < 3; round++) bulk.push(await bulkPersistence(env('BENCH_DATABASE_URL'), 100_000, 5_000, 4));
const bulkMedian = [...bulk].sort((a, b) => a.ms - b.ms)[1]!;

console.log(
  `\n${new Date().toISOString()}: ${connectionCounts.join(' and ')} connections, ${seconds} s per measurement, closed loop, median of ${rounds} interleaved rounds\n`,
);
console.log(format(rows));
console.log(
  `\nwrk (1 thread, 64 connections, ${seconds} s; median of ${WRK_ROUNDS} rounds, each against the bare server just before and after):\n`,
);
console.log('| path | req/s | p50 ms | p99 ms | errors | bare req/s | bare p99 ms | ratio | per-round ratios |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const w of wrkRows) {
  console.log(
    `| ${w.path} | ${w.result.perSecond} | ${w.result.p50Ms.toFixed(2)} | ${w.result.p99Ms.toFixed(2)} | ${w.result.errors} | ${w.bare.perSecond} | ${w.bare.p99Ms.toFixed(2)} | ${w.ratio.toFixed(2)}x | ${w.roundRatios.map((r) => r.toFixed(2)).join(', ')} |`,
  );
}
console.log(`\nCPU per answered request (µs, user + system, from /proc; the median runs above):\n`);
console.log(formatCpu(rows));
console.log(
  `\nbulk persistence: ${bulkMedian.total} claims in ${bulkMedian.ms} ms (median of ${bulk.map((b) => b.ms).join(', ')} ms; ` +
    `batches of ${bulkMedian.batchSize}, ${bulkMedian.parallel} in parallel, ${bulkMedian.rowsPerSecond} rows/s)`,
);
if (seatCost)
  console.log(`\nseats: Redis time per best-available hold (1-6 seats) on a 100,000-seat venue, INFO commandstats:\n\n${seatCost}`);
console.log(`\n${await deciderSummary(env('BENCH_DATABASE_URL'))}`);
console.log(`\n${JSON.stringify({ connections: connectionCounts, seconds, rounds, rows, wrk: wrkRows, bulk }, null, 2)}`);

// The wallet's transfers (bench/wallet*.ts), after everything above, with a server of their own.
const { walletCommand } = await import('./wallet-command.js');
await walletCommand({ redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), seconds, rounds, compare: false });
