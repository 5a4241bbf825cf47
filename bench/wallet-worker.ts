// The load generator process of one wallet measurement (bench/wallet.ts): a closed loop of
// transfers, each with a key of its own, between random wallets of a seeded population, or with
// every transfer going to or from one hot wallet. Reads a WalletJob on stdin, hands a LoadResult back.
import { closedLoop } from './closed-loop.js';
import { type ProcessGroup, postgresProcesses } from './cpu.js';
import { finishWorker, workerInput } from './worker-process.js';

export interface WalletJob {
  origin: string;
  apiKey: string;
  /** Path of the transfer endpoint (the seed's design has its own server, same contract). */
  path: string;
  /** Wallets `${userPrefix}${0 … wallets-1}` exist, each with enough points. */
  userPrefix: string;
  wallets: number;
  /** 'uniform': random pairs; 'hot': every transfer from or to wallet 0, alternately. */
  mode: 'uniform' | 'hot';
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

const user = (n: number) => `${job.userPrefix}${n}`;
const result = await closedLoop(
  job.origin,
  (i) => {
    let from: number;
    let to: number;
    if (job.mode === 'hot') {
      const other = 1 + random(job.wallets - 1);
      [from, to] = i % 2 === 0 ? [0, other] : [other, 0];
    } else {
      from = random(job.wallets);
      to = (from + 1 + random(job.wallets - 1)) % job.wallets;
    }
    return {
      method: 'POST',
      path: job.path,
      body: `{"from":${JSON.stringify(user(from))},"to":${JSON.stringify(user(to))},"points":1,"reason":"bench"}`,
      headers: { 'x-api-key': job.apiKey, 'idempotency-key': `${job.keyPrefix}${i}` },
    };
  },
  { connections: job.connections, seconds: job.seconds, cpu: groups },
);
finishWorker(result);
