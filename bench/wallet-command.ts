// npm run bench -- --wallet [--compare]: the wallet's measurements, printed as tables with the raw
// figures after them (bench/run.ts hands over here).
import { formatWallet, walletBench } from './wallet.js';
import { formatWalletCompare, walletCompare } from './wallet-compare.js';

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
  console.log(
    `\n${new Date().toISOString()}: wallet transfers, ${CONNECTIONS} connections, ${options.seconds} s closed loop per run, median of ${options.rounds} rounds (${WALLETS} wallets seeded through the API in ${seedMs} ms)\n`,
  );
  console.log(formatWallet(rows));
  console.log(`\nledger audit after the runs: ${audit}`);
  console.log(`\n${JSON.stringify({ connections: CONNECTIONS, seconds: options.seconds, rounds: options.rounds, rows }, null, 2)}`);
}
