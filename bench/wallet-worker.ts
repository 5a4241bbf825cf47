// The load generator process of one wallet measurement (bench/wallet.ts, wallet-compare.ts): a
// closed loop of transfers, each with a key of its own. Reads a WalletJob on stdin, hands a
// LoadResult back. It sends through undici's dispatch API with plain callbacks (as the load
// tester does, src/loadtest/exchange.ts): its share of the two cores it has with the server and
// PostgreSQL stays small.
import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import { exchange } from '../src/loadtest/exchange.js';
import type { LoadResult } from './closed-loop.js';
import { type CpuSample, type ProcessGroup, postgresProcesses, sampleCpu } from './cpu.js';
import { finishWorker, workerInput } from './worker-process.js';

export interface WalletJob {
  origin: string;
  apiKey: string;
  /** Path of the transfer endpoint (the seed's design has its own server, same contract). */
  path: string;
  /** Wallets `${userPrefix}${0 … wallets-1}` exist, each with enough points. */
  userPrefix: string;
  wallets: number;
  /**
   * 'uniform': random pairs; 'hot': every transfer from or to wallet 0, alternately; 'pairs':
   * wallets 2k and 2k+1 send to each other, both ways at once (seed 002's deadlock).
   */
  mode: 'uniform' | 'hot' | 'pairs';
  connections: number;
  seconds: number;
  /** Idempotency keys are `${keyPrefix}${i}`: new for every request. */
  keyPrefix: string;
  /** Processes whose CPU is reported: the server's pid, PostgreSQL's URL. */
  watch: { serverPid?: number; postgres?: string };
}

const job = await workerInput<WalletJob>();
const groups: ProcessGroup[] = [];
if (job.watch.serverPid !== undefined) {
  const pid = job.watch.serverPid;
  groups.push({ name: 'server', pids: async () => [pid] });
}
if (job.watch.postgres) {
  const postgres = postgresProcesses(job.watch.postgres);
  if (postgres) groups.push(postgres);
}

/** xorshift: cheap, and the same sequence every run. */
let state = 0x9e3779b9;
const random = (n: number) => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) % n;
};

const user = (n: number) => JSON.stringify(`${job.userPrefix}${n}`);
function pair(i: number): [number, number] {
  switch (job.mode) {
    case 'hot': {
      const other = 1 + random(job.wallets - 1);
      return i % 2 === 0 ? [0, other] : [other, 0];
    }
    case 'pairs': {
      const k = 2 * random(Math.floor(job.wallets / 2));
      return i % 2 === 0 ? [k, k + 1] : [k + 1, k];
    }
    default: {
      const from = random(job.wallets);
      return [from, (from + 1 + random(job.wallets - 1)) % job.wallets];
    }
  }
}

const pool = new Pool(job.origin, { connections: job.connections, pipelining: 1, keepAliveTimeout: 30_000 });
const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const statuses: Record<string, number> = {};
let counter = 0;
let errors = 0;
let requests = 0;
let recording = false;
const warmupMs = 2_000;
const endAt = performance.now() + warmupMs + job.seconds * 1000;
let recordStart = 0;

async function client(): Promise<void> {
  while (performance.now() < endAt) {
    const i = counter++;
    const [from, to] = pair(i);
    const t0 = performance.now();
    const answer = await exchange(pool, {
      method: 'POST',
      path: job.path,
      headers: ['content-type', 'application/json', 'x-api-key', job.apiKey, 'idempotency-key', `${job.keyPrefix}${i}`],
      body: `{"from":${user(from)},"to":${user(to)},"points":1,"reason":"bench"}`,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    if (!recording) continue;
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    if (answer.status === 'error' || answer.status >= 400) errors++;
    histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    requests++;
  }
}

let sample: Promise<CpuSample> | undefined;
const warmup = setTimeout(() => {
  recording = true;
  recordStart = performance.now();
  if (groups.length > 0) sample = sampleCpu(groups);
}, warmupMs);
await Promise.all(Array.from({ length: job.connections }, client));
clearTimeout(warmup);
const elapsed = (performance.now() - recordStart) / 1000;
const cpu = sample ? await (await sample).stop(requests) : undefined;
await pool.close();
const result: LoadResult = {
  requests,
  perSecond: Math.round(requests / elapsed),
  p50Ms: histogram.getValueAtPercentile(50) / 1000,
  p95Ms: histogram.getValueAtPercentile(95) / 1000,
  p99Ms: histogram.getValueAtPercentile(99) / 1000,
  errors,
  statuses,
  ...(cpu ? { cpu } : {}),
};
finishWorker(result);
