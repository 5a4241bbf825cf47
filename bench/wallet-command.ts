// npm run bench -- --wallet [--compare]: the wallet's measurements, printed as tables with the raw
// figures after them (bench/run.ts hands over here).
import { formatWallet, walletBench } from './wallet.js';
import { formatWalletCompare, walletCompare } from './wallet-compare.js';
import type { EngineJob, EngineResult } from './wallet-engine.js';
import { runWorkerProcess } from './worker-process.js';

export interface WalletCommandOptions {
  redisUrl: string;
  databaseUrl: string;
  seconds: number;
  rounds: number;
  compare: boolean;
}

/** Wallets in the population of the main measurement (the figure). */
const WALLETS = 100_000;
/** A surge's concurrency, as npm run bench's other paths (a closed loop: each connection waits for its answer, so this is also the most in flight). */
const CONNECTIONS = 500;

export async function walletCommand(options: WalletCommandOptions): Promise<void> {
  if (options.compare) {
    const rows = await walletCompare({ ...options, connections: CONNECTIONS });
    console.log(
      `\n${new Date().toISOString()}: wallet transfers, ${CONNECTIONS} connections, ${options.seconds} s closed loop per design and workload\n`,
    );
    console.log(formatWalletCompare(rows));
    console.log(`\n${JSON.stringify({ connections: CONNECTIONS, seconds: options.seconds, rows }, null, 2)}`);
    return;
  }
  const { rows, audit, seedMs } = await walletBench({ ...options, connections: CONNECTIONS, wallets: WALLETS });
  const engine = await engineRuns(options);
  console.log(
    `\n${new Date().toISOString()}: wallet transfers, ${CONNECTIONS} connections, ${options.seconds} s closed loop per run, median of ${options.rounds} rounds (${WALLETS} wallets seeded through the API in ${seedMs} ms)\n`,
  );
  console.log(formatWallet(rows));
  console.log(`\nledger audit after the runs: ${audit}`);
  console.log(
    `\nthe ledger alone (the writer in the bench's process, no HTTP), ${CONNECTIONS} callers in a closed loop, ${WALLETS} wallets:\n`,
  );
  console.log(formatEngine(engine));
  console.log(`\n${JSON.stringify({ connections: CONNECTIONS, seconds: options.seconds, rounds: options.rounds, rows, engine }, null, 2)}`);
}

interface EngineRow {
  mode: EngineJob['mode'];
  runs: EngineResult[];
}

/** The writer without HTTP (bench/wallet-engine.ts), each run in a fresh process on a fresh population. */
async function engineRuns(options: WalletCommandOptions): Promise<EngineRow[]> {
  const rows: EngineRow[] = [
    { mode: 'uniform', runs: [] },
    { mode: 'hot', runs: [] },
  ];
  for (let round = 0; round < options.rounds; round++) {
    for (const row of rows) {
      const job: EngineJob = {
        databaseUrl: options.databaseUrl,
        wallets: WALLETS,
        mode: row.mode,
        clients: CONNECTIONS,
        seconds: options.seconds,
      };
      const result = await runWorkerProcess<EngineResult>(new URL('./wallet-engine.ts', import.meta.url), job);
      row.runs.push(result);
      console.error(
        `engine round ${round + 1}, ${row.mode}: ${result.perSecond}/s, p99 ${result.p99Ms} ms, µs per transfer: PostgreSQL ${result.cpu.perRequestUs.postgres}, writer ${result.cpu.perRequestUs.writer}`,
      );
    }
  }
  return rows;
}

function formatEngine(rows: EngineRow[]): string {
  const lines = [
    '| workload | transfers/s (median) | p50 ms | p99 ms | PostgreSQL µs/transfer | writer µs/transfer | idle | batches | per-round transfers/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const { mode, runs } of rows) {
    const m = [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(runs.length / 2)]!;
    lines.push(
      `| ${mode === 'hot' ? 'to or from one hot wallet' : 'random pairs'} | ${m.perSecond} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.cpu.perRequestUs.postgres} | ${m.cpu.perRequestUs.writer} | ${m.cpu.idlePercent}% | ${m.batches} | ${runs.map((r) => r.perSecond).join(', ')} |`,
    );
  }
  return lines.join('\n');
}
