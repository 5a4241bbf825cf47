// npm run bench: measures Floodgate's hot paths against a bare node:http server started in the
// same run, on the same machine, with the same load generator. See docs/BENCHMARKS.md.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { closedLoop, type LoadResult } from './closed-loop.js';
import { bulkPersistence } from './persistence.js';
import { startProcess } from './processes.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '5' },
    compare: { type: 'boolean', default: false },
    seeds: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const adminToken = `bench-${randomBytes(12).toString('hex')}`;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run npm run bench`);
  return value;
}

interface Row {
  path: string;
  result: LoadResult;
  calibration: LoadResult;
  /** Median over the rounds of (Floodgate / calibration measured just before it). */
  ratio: number;
}

function format(rows: Row[]): string {
  const lines = [
    '| path | req/s | p50 ms | p99 ms | errors | bare node:http req/s | bare p99 ms | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { path, result, calibration, ratio } of rows) {
    lines.push(
      `| ${path} | ${result.perSecond} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)} | ${result.errors} | ${calibration.perSecond} | ${calibration.p99Ms.toFixed(2)} | ${ratio.toFixed(2)}x |`,
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
  run(origin: string): Promise<LoadResult>;
  calibration(bareOrigin: string): Promise<LoadResult>;
}

const bareGet = (origin: string) => closedLoop(origin, () => ({ method: 'GET', path: '/poll' }), { connections, seconds });
const barePost = (origin: string) =>
  closedLoop(origin, (i) => ({ method: 'POST', path: '/enter', body: JSON.stringify({ userId: `u${i}` }) }), { connections, seconds });

async function waitingRoomMeasures(origin: string): Promise<Measure[]> {
  // Admission is slow on purpose: the tickets stay waiting, as they are during a surge.
  const room = { admitPerSecond: 1, maxActive: 1, sessionSeconds: 600 };
  const entryRoom = `bench-entry-${randomBytes(3).toString('hex')}`;
  await admin(origin, '/v1/rooms', { id: entryRoom, ...room });
  let entrant = 0;

  const pollRoom = `bench-poll-${randomBytes(3).toString('hex')}`;
  await admin(origin, '/v1/rooms', { id: pollRoom, ...room });
  const tickets: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const ids = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const res = await fetch(`${origin}/v1/rooms/${pollRoom}/tickets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `poller-${batch * 500 + i}` }),
        });
        return ((await res.json()) as { ticketId: string }).ticketId;
      }),
    );
    tickets.push(...ids);
  }
  return [
    {
      path: 'waiting room: enter (POST /v1/rooms/:id/tickets)',
      calibration: barePost,
      run: (o) =>
        closedLoop(o, () => ({ method: 'POST', path: `/v1/rooms/${entryRoom}/tickets`, body: JSON.stringify({ userId: `user-${entrant++}` }) }), {
          connections,
          seconds,
        }),
    },
    {
      path: 'waiting room: poll (GET /v1/rooms/:id/tickets/:ticketId)',
      calibration: bareGet,
      run: (o) =>
        closedLoop(o, (i) => ({ method: 'GET', path: `/v1/rooms/${pollRoom}/tickets/${tickets[i % tickets.length]}` }), {
          connections,
          seconds,
        }),
    },
  ];
}

async function claimMeasures(origin: string): Promise<Measure[]> {
  const campaignId = `bench-claims-${randomBytes(3).toString('hex')}`;
  await admin(origin, '/v1/campaigns', { id: campaignId, stock: 50_000_000 });
  const { apiKey } = (await admin(origin, '/v1/partners', { name: 'bench' })) as { apiKey: string };
  let user = 0;
  return [
    {
      path: 'claims: claim, answered once committed (POST /v1/campaigns/:id/claims)',
      calibration: barePost,
      run: (o) =>
        closedLoop(
          o,
          () => ({
            method: 'POST',
            path: `/v1/campaigns/${campaignId}/claims`,
            body: JSON.stringify({ userId: `claimer-${user++}` }),
            headers: { 'x-api-key': apiKey },
          }),
          { connections, seconds },
        ),
    },
  ];
}

if (values.seeds !== undefined) {
  const { seeds } = await import('./seeds.js');
  await seeds({ redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), ...(values.seeds !== 'all' ? { only: values.seeds } : {}) });
  process.exit(0);
}

if (values.compare) {
  const { compare, formatCompare } = await import('./compare.js');
  const rows = await compare({ redisUrl: env('BENCH_REDIS_URL'), databaseUrl: env('BENCH_DATABASE_URL'), seconds, connections });
  console.log(`\n${new Date().toISOString()}: ${connections} connections, ${seconds} s closed loop per design\n`);
  console.log(formatCompare(rows));
  process.exit(0);
}

const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/');
const server = await startProcess(
  ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
  {
    REDIS_URL: env('BENCH_REDIS_URL'),
    DATABASE_URL: env('BENCH_DATABASE_URL'),
    FLOODGATE_ADMIN_TOKEN: adminToken,
    FLOODGATE_REDIS_PREFIX: `fgbench:${randomBytes(3).toString('hex')}`,
    LOG_LEVEL: 'warn',
  },
  '/readyz',
);
const rows: Row[] = [];
const ratios: number[][] = [];
try {
  const measures = [...(await waitingRoomMeasures(server.origin)), ...(await claimMeasures(server.origin))];
  const runs = measures.map(() => ({ result: [] as LoadResult[], calibration: [] as LoadResult[] }));
  // Interleaved rounds: this machine's speed drifts by tens of percent over a minute, so each
  // figure is compared with a calibration measured right before it, and medians are reported.
  for (let round = 0; round < rounds; round++) {
    for (const [i, measure] of measures.entries()) {
      const calibration = await measure.calibration(bare.origin);
      const result = await measure.run(server.origin);
      runs[i]!.calibration.push(calibration);
      runs[i]!.result.push(result);
      (ratios[i] ??= []).push(result.perSecond / calibration.perSecond);
      console.error(`round ${round + 1}: ${measure.path}: ${result.perSecond}/s vs ${calibration.perSecond}/s`);
    }
  }
  measures.forEach((measure, i) =>
    rows.push({ path: measure.path, result: medianRun(runs[i]!.result), calibration: medianRun(runs[i]!.calibration), ratio: median(ratios[i]!) }),
  );
} finally {
  await Promise.all([bare.stop(), server.stop()]);
}
// Bulk persistence runs alone, after the HTTP measurements, with the database migrated by the server.
const bulk = [];
for (let round = 0; round < 3; round++) bulk.push(await bulkPersistence(env('BENCH_DATABASE_URL'), 100_000, 5_000, 4));
const bulkMedian = [...bulk].sort((a, b) => a.ms - b.ms)[1]!;

console.log(
  `\n${new Date().toISOString()}: ${connections} connections, ${seconds} s per measurement, closed loop, median of ${rounds} interleaved rounds\n`,
);
console.log(format(rows));
console.log(
  `\nbulk persistence: ${bulkMedian.total} claims in ${bulkMedian.ms} ms (median of ${bulk.map((b) => b.ms).join(', ')} ms; ` +
    `batches of ${bulkMedian.batchSize}, ${bulkMedian.parallel} in parallel, ${bulkMedian.rowsPerSecond} rows/s)`,
);
console.log(`\n${JSON.stringify({ connections, seconds, rounds, rows, bulk }, null, 2)}`);
