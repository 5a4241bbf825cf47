// npm run bench -- --wallet --compare: seed 002's points design (bench/wallet-baseline.ts) and
// Floodgate's wallet, one after the other on this machine, under the same closed-loop transfer
// loads: random pairs of 10,000 wallets, and seed 002's own case, 50 pairs of wallets each sending
// to the other both ways at once. For each: transfers/s, p99, errors, the CPU a transfer cost the
// server and PostgreSQL, deadlocks (each server counts its own: PostgreSQL's pg_stat_database
// reports them seconds late), and whether the points add up.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { LoadResult } from './closed-loop.js';
import { startProcess } from './processes.js';
import { auditLedger, POINTS_EACH, runWalletJob, seedWallets } from './wallet.js';

export interface CompareOptions {
  redisUrl: string;
  databaseUrl: string;
  seconds: number;
  connections: number;
}

export interface CompareRow {
  workload: string;
  design: string;
  result: LoadResult;
  deadlocks: number;
  audit: string;
}

const WORKLOADS = [
  { name: 'random pairs of 10,000 wallets', wallets: 10_000, mode: 'uniform' },
  { name: "seed 002's case: 50 pairs, A→B and B→A at once", wallets: 100, mode: 'pairs' },
] as const;
const SEEDED = Math.max(...WORKLOADS.map((w) => w.wallets));

/**
 * Deadlocks the server met so far: the seed's design counts the transactions PostgreSQL aborted;
 * Floodgate's writer counts the batches it had to run again for one (reason "lock").
 */
async function deadlocksOf(origin: string, design: string): Promise<number> {
  if (design !== 'floodgate') return ((await (await fetch(`${origin}/bench/deadlocks`)).json()) as { deadlocks: number }).deadlocks;
  const metrics = await (await fetch(`${origin}/metrics`)).text();
  return Number(/^floodgate_wallet_batch_retries_total\{reason="lock"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
}

/** The seed keeps balances only: the points must add up to what was earned. */
async function auditSeed(databaseUrl: string, expected: number): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ total: string; negative: number }>(
      'SELECT coalesce(sum(balance), 0)::text AS total, count(*) FILTER (WHERE balance < 0)::int AS negative FROM bl_point_wallets',
    );
    const r = rows[0]!;
    return `${Number(r.total) === expected && r.negative === 0 ? 'PASS' : 'FAIL'} (balances sum to ${r.total} of ${expected} earned, ${r.negative} negative)`;
  } finally {
    await client.end();
  }
}

export async function walletCompare(options: CompareOptions): Promise<CompareRow[]> {
  const baselineDb = new URL(options.databaseUrl);
  baselineDb.pathname = '/floodgate_wallet_baseline';
  const token = `wcmp-${randomBytes(12).toString('hex')}`;
  const designs = [
    {
      design: 'seed 002 (SELECT … FOR UPDATE per wallet, one transaction per request)',
      args: ['--import', 'tsx', 'bench/wallet-baseline.ts'],
      env: { DATABASE_URL: baselineDb.toString() },
      databaseUrl: baselineDb.toString(),
    },
    {
      design: 'floodgate',
      args: ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        FLOODGATE_ADMIN_TOKEN: token,
        FLOODGATE_REDIS_PREFIX: `fgwcmp:${randomBytes(3).toString('hex')}`,
        LOG_LEVEL: 'warn',
      },
      databaseUrl: options.databaseUrl,
    },
  ];
  const rows: CompareRow[] = [];
  for (const d of designs) {
    const server = await startProcess(d.args, d.env, '/readyz');
    try {
      let apiKey = 'baseline';
      if (d.design === 'floodgate') {
        const res = await fetch(`${server.origin}/v1/partners`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'wallet compare' }),
        });
        ({ apiKey } = (await res.json()) as { apiKey: string });
      }
      const userPrefix = `c${randomBytes(2).toString('hex')}-`;
      await seedWallets(server.origin, apiKey, userPrefix, SEEDED);
      for (const w of WORKLOADS) {
        const before = await deadlocksOf(server.origin, d.design);
        const result = await runWalletJob({
          origin: server.origin,
          apiKey,
          path: '/v1/wallets/transfers',
          userPrefix,
          wallets: w.wallets,
          mode: w.mode,
          connections: options.connections,
          seconds: options.seconds,
          keyPrefix: `${userPrefix}${w.wallets}-`,
          watch: { serverPid: server.child.pid!, postgres: d.databaseUrl },
        });
        const deadlocks = (await deadlocksOf(server.origin, d.design)) - before;
        const audit = d.design === 'floodgate' ? await auditLedger(d.databaseUrl) : await auditSeed(d.databaseUrl, SEEDED * POINTS_EACH);
        rows.push({ workload: w.name, design: d.design, result, deadlocks, audit });
        console.error(
          `${d.design}, ${w.name}: ${result.perSecond}/s, p99 ${result.p99Ms} ms, errors ${result.errors}, deadlocks ${deadlocks}`,
        );
      }
    } finally {
      await server.stop();
    }
  }
  return rows;
}

export function formatWalletCompare(rows: CompareRow[]): string {
  const lines = [
    '| workload | design | transfers/s | p50 ms | p99 ms | errors | deadlocks | server µs/transfer | PostgreSQL µs/transfer | audit | Floodgate ÷ design |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of rows) {
    const floodgate = rows.find((x) => x.workload === r.workload && x.design === 'floodgate')!;
    lines.push(
      `| ${r.workload} | ${r.design} | ${r.result.perSecond} | ${r.result.p50Ms.toFixed(1)} | ${r.result.p99Ms.toFixed(1)} | ${r.result.errors} | ${r.deadlocks} | ${r.result.cpu?.perRequestUs.server ?? '-'} | ${r.result.cpu?.perRequestUs.postgres ?? '-'} | ${r.audit} | ${(floodgate.result.perSecond / r.result.perSecond).toFixed(1)}x |`,
    );
  }
  return lines.join('\n');
}
