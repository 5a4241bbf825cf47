// npm run bench -- --wallet: durable transfers per second through the wallet API, over 100,000
// wallets (random pairs) and on one hot wallet (every transfer to or from it), closed loop, with
// p99 and the CPU each transfer costs the server and PostgreSQL. The PostgreSQL is npm run bench's
// (fsync and synchronous_commit on: a 201 is on disk). See docs/wallet.md.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Pool } from 'undici';
import type { LoadResult } from './closed-loop.js';
import { startProcess } from './processes.js';
import type { WalletJob } from './wallet-worker.js';
import { runWorkerProcess } from './worker-process.js';

export interface WalletBenchOptions {
  databaseUrl: string;
  redisUrl: string;
  seconds: number;
  rounds: number;
  connections: number;
  wallets: number;
}

export interface WalletRow {
  workload: string;
  connections: number;
  runs: LoadResult[];
  median: LoadResult;
}

/** Points each seeded wallet earns: transfers of 1 point never run out. */
export const POINTS_EACH = 1_000_000;

/** Creates `count` wallets through the API (earns, many at once). */
export async function seedWallets(origin: string, apiKey: string, userPrefix: string, count: number, path = '/v1/wallets'): Promise<void> {
  const pool = new Pool(origin, { connections: 200 });
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        while (next < count) {
          const n = next++;
          const res = await pool.request({
            method: 'POST',
            path: `${path}/${encodeURIComponent(`${userPrefix}${n}`)}/earn`,
            headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'idempotency-key': `seed-${userPrefix}${n}` },
            body: JSON.stringify({ points: POINTS_EACH, reason: 'seed' }),
          });
          await res.body.dump();
          if (res.statusCode !== 201) throw new Error(`seeding ${userPrefix}${n}: ${res.statusCode}`);
        }
      }),
    );
  } finally {
    await pool.close();
  }
}

export function runWalletJob(job: WalletJob): Promise<LoadResult> {
  return runWorkerProcess<LoadResult>(new URL('./wallet-worker.ts', import.meta.url), job);
}

/**
 * The ledger's books after a run: every transaction balanced (so all accounts sum to zero), every
 * lot the sum of its postings and not negative (so is every balance, the sum of a wallet's lots).
 */
export async function auditLedger(databaseUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ unbalanced: number; total: string; negative: number; drift: number }>(`
      SELECT (SELECT count(*) FROM (SELECT 1 FROM wallet_postings GROUP BY transaction_id HAVING sum(points) <> 0) u)::int AS unbalanced,
             (SELECT coalesce(sum(points), 0) FROM wallet_postings)::text AS total,
             (SELECT count(*) FROM wallet_lots WHERE remaining < 0)::int AS negative,
             -- one pass over the postings, grouped (there is no index by lot: a lookup per lot would scan them all each time)
             (SELECT count(*) FROM wallet_lots l
                LEFT JOIN (SELECT lot_id, sum(points) AS posted FROM wallet_postings WHERE lot_id IS NOT NULL GROUP BY lot_id) p ON p.lot_id = l.id
               WHERE l.remaining <> coalesce(p.posted, 0))::int AS drift`);
    const r = rows[0]!;
    const pass = r.unbalanced === 0 && r.total === '0' && r.negative === 0 && r.drift === 0;
    return `${pass ? 'PASS' : 'FAIL'} (unbalanced transactions ${r.unbalanced}, sum of all accounts ${r.total}, negative lots ${r.negative}, lots ≠ postings ${r.drift})`;
  } finally {
    await client.end();
  }
}

function median(runs: LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function walletBench(options: WalletBenchOptions): Promise<{ rows: WalletRow[]; audit: string; seedMs: number }> {
  const adminToken = `wbench-${randomBytes(12).toString('hex')}`;
  const server = await startProcess(
    ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
    {
      REDIS_URL: options.redisUrl,
      DATABASE_URL: options.databaseUrl,
      FLOODGATE_ADMIN_TOKEN: adminToken,
      FLOODGATE_REDIS_PREFIX: `fgwbench:${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
    },
    '/readyz',
  );
  try {
    const partner = await fetch(`${server.origin}/v1/partners`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'wallet bench' }),
    });
    const { apiKey } = (await partner.json()) as { apiKey: string };
    const userPrefix = `w${randomBytes(2).toString('hex')}-`;
    const seeding = performance.now();
    await seedWallets(server.origin, apiKey, userPrefix, options.wallets);
    const seedMs = Math.round(performance.now() - seeding);
    console.error(`wallet bench: ${options.wallets} wallets seeded in ${seedMs} ms`);

    const workloads: Array<{ workload: string; mode: WalletJob['mode'] }> = [
      { workload: `transfers between random pairs of ${options.wallets.toLocaleString('en')} wallets`, mode: 'uniform' },
      { workload: 'transfers to or from one hot wallet', mode: 'hot' },
    ];
    const runs = workloads.map(() => [] as LoadResult[]);
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, w] of workloads.entries()) {
        const result = await runWalletJob({
          origin: server.origin,
          apiKey,
          path: '/v1/wallets/transfers',
          userPrefix,
          wallets: options.wallets,
          mode: w.mode,
          connections: options.connections,
          seconds: options.seconds,
          keyPrefix: `r${round}-${w.mode}-`,
          watch: { serverPid: server.child.pid!, postgres: options.databaseUrl },
        });
        runs[i]!.push(result);
        console.error(
          `round ${round + 1}: ${w.workload}: ${result.perSecond}/s, p99 ${result.p99Ms} ms, errors ${result.errors}, ` +
            `µs per transfer: server ${result.cpu?.perRequestUs.server ?? '-'}, PostgreSQL ${result.cpu?.perRequestUs.postgres ?? '-'}, idle ${result.cpu?.idlePercent ?? '-'}%`,
        );
      }
    }
    const rows = workloads.map((w, i) => ({
      workload: w.workload,
      connections: options.connections,
      runs: runs[i]!,
      median: median(runs[i]!),
    }));
    return { rows, audit: await auditLedger(options.databaseUrl), seedMs };
  } finally {
    await server.stop();
  }
}

export function formatWallet(rows: WalletRow[]): string {
  const lines = [
    '| workload | connections | transfers/s (median) | p50 ms | p99 ms | errors | server µs/transfer | PostgreSQL µs/transfer | generator µs/transfer | idle | per-round transfers/s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const { workload, connections, runs, median: m } of rows) {
    const us = (name: string) => m.cpu?.perRequestUs[name]?.toFixed(1) ?? '-';
    lines.push(
      `| ${workload} | ${connections} | ${m.perSecond} | ${m.p50Ms.toFixed(2)} | ${m.p99Ms.toFixed(2)} | ${m.errors} | ${us('server')} | ${us('postgres')} | ${us('generator')} | ${m.cpu?.idlePercent ?? '-'}% | ${runs.map((r) => r.perSecond).join(', ')} |`,
    );
  }
  return lines.join('\n');
}
