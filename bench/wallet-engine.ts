// The wallet's ledger alone, without HTTP: this process runs the writer (src/wallet/writer.ts) the
// way `serve` does, with `clients` callers each submitting its next transfer as soon as the last
// one is committed (a closed loop), against npm run bench's PostgreSQL. It is what pgledger's
// figure measures (a ledger on stock PostgreSQL); the HTTP measurement (wallet.ts) adds the
// server's and the load generator's share of the same two cores.
import { randomBytes } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import { pino } from 'pino';
import { systemClock } from '../src/clock.js';
import { createPool } from '../src/db/pool.js';
import { prepareDatabase } from '../src/server.js';
import { LedgerStore } from '../src/wallet/repository.js';
import { LedgerWriter } from '../src/wallet/writer.js';
import { type CpuShare, postgresProcesses, sampleCpu } from './cpu.js';
import { finishWorker, workerInput } from './worker-process.js';

export interface EngineJob {
  databaseUrl: string;
  wallets: number;
  mode: 'uniform' | 'hot';
  clients: number;
  seconds: number;
}

export interface EngineResult {
  transfers: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  refused: number;
  batches: number;
  /** CPU µs per transfer: PostgreSQL's processes, and this one (the writer, and the callers). */
  cpu: CpuShare;
}

const job = await workerInput<EngineJob>();
await prepareDatabase(job.databaseUrl);
const pool = createPool(job.databaseUrl, 8);
const partnerId = `bench-${randomBytes(4).toString('hex')}`;
await pool.query('INSERT INTO partners (id, name, key_hash) VALUES ($1, $2, $3)', [partnerId, 'engine bench', randomBytes(32)]);
const writer = new LedgerWriter({ pool, store: new LedgerStore(pool), clock: systemClock, log: pino({ level: 'warn' }) });
let batches = 0;
writer.observer = { batch: () => void batches++, retry() {}, outcome() {} };

const user = (n: number) => `u${n}`;
// Seeding: every wallet earns, many at once (the writer batches them).
for (let start = 0; start < job.wallets; start += 10_000) {
  await Promise.all(
    Array.from({ length: Math.min(10_000, job.wallets - start) }, (_, i) =>
      writer.submit({ type: 'earn', partnerId, userId: user(start + i), points: 1_000_000, expiresAt: null, reason: 'seed' }),
    ),
  );
}

let state = 0x9e3779b9;
const random = (n: number) => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
let counter = 0;
let refused = 0;
let transfers = 0;
let recording = false;
const warmupMs = 2_000;
const endAt = performance.now() + warmupMs + job.seconds * 1000;

async function client(): Promise<void> {
  while (performance.now() < endAt) {
    const i = counter++;
    let from: number;
    let to: number;
    if (job.mode === 'hot') {
      const other = 1 + random(job.wallets - 1);
      [from, to] = i % 2 === 0 ? [0, other] : [other, 0];
    } else {
      from = random(job.wallets);
      to = (from + 1 + random(job.wallets - 1)) % job.wallets;
    }
    const t0 = performance.now();
    const answer = await writer.submit(
      { type: 'transfer', partnerId, from: user(from), to: user(to), points: 1, reason: 'bench' },
      { partnerId, key: `k${i}`, fingerprint: randomBytes(32) },
    );
    if (recording) {
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      transfers++;
      if (answer.refused !== null) refused++;
    }
  }
}

const postgres = postgresProcesses(job.databaseUrl)!;
let sample: Awaited<ReturnType<typeof sampleCpu>> | undefined;
let recordStart = 0;
let batchesAtStart = 0;
setTimeout(async () => {
  recording = true;
  recordStart = performance.now();
  batchesAtStart = batches;
  sample = await sampleCpu([postgres]);
}, warmupMs);
await Promise.all(Array.from({ length: job.clients }, client));
const elapsed = (performance.now() - recordStart) / 1000;
const cpu = await sample!.stop(transfers);
// "generator" is this process: the writer and its callers.
cpu.perRequestUs.writer = cpu.perRequestUs.generator!;
delete cpu.perRequestUs.generator;
const result: EngineResult = {
  transfers,
  perSecond: Math.round(transfers / elapsed),
  p50Ms: histogram.getValueAtPercentile(50) / 1000,
  p99Ms: histogram.getValueAtPercentile(99) / 1000,
  refused,
  batches: batches - batchesAtStart,
  cpu,
};
await writer.flush();
await pool.end();
finishWorker(result);
