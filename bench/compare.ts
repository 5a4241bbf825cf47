// npm run bench -- --compare: the seeds' designs (bench/baselines/server.ts) and Floodgate, one
// after another on this machine, under the same two loads: a correctness burst (1,000 users for 250
// places, audited) and a throughput run (closed loop, distinct users, stock that never runs out).
import { randomBytes } from 'node:crypto';
import { AdminClient } from '../src/loadtest/admin-client.js';
import { run } from '../src/loadtest/runner.js';
import { claimsScenario } from '../src/loadtest/scenarios.js';
import { parseStage } from '../src/loadtest/stages.js';
import { runLoadJob } from './load-job.js';
import { startProcess } from './processes.js';

interface Row {
  design: string;
  perSecond: number;
  p99Ms: number;
  errors: number;
  sold: number;
  audit: string;
}

export async function compare(options: { redisUrl: string; databaseUrl: string; seconds: number; connections: number }): Promise<Row[]> {
  const baselineDb = new URL(options.databaseUrl);
  baselineDb.pathname = '/floodgate_baselines';
  const token = `cmp-${randomBytes(12).toString('hex')}`;
  const designs: Array<{ design: string; args: string[]; env: Record<string, string>; databaseUrl: string }> = [
    ...['for-update', 'redis-lock', 'bullmq'].map((design) => ({
      design,
      args: ['--import', 'tsx', 'bench/baselines/server.ts'],
      env: { BASELINE: design, DATABASE_URL: baselineDb.toString(), REDIS_URL: options.redisUrl },
      databaseUrl: baselineDb.toString(),
    })),
    {
      design: 'floodgate',
      args: ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
      env: {
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        FLOODGATE_ADMIN_TOKEN: token,
        FLOODGATE_REDIS_PREFIX: `fgcmp:${randomBytes(3).toString('hex')}`,
        LOG_LEVEL: 'warn',
      },
      databaseUrl: options.databaseUrl,
    },
  ];
  const rows: Row[] = [];
  for (const d of designs) {
    const server = await startProcess(d.args, d.env, '/readyz');
    try {
      const admin = new AdminClient(server.origin, token);
      // correctness: the seed 001 test, 1,000 users for 250 places within half a second
      const scenario = await claimsScenario(admin, { stock: 250, perUserLimit: 1, repeatShare: 0, users: 0, databaseUrl: d.databaseUrl });
      await run(scenario, {
        target: server.origin,
        stages: [parseStage('2000/s:0.5s')],
        connections: 256,
        maxInFlight: 100_000,
        maxLagMs: 5000,
        drainMs: 60_000,
      });
      const checks = await scenario.audit();
      const sold = Number(/^(\d+) rows/.exec(checks.find((c) => c.invariant === 'no oversell (rows)')?.detail ?? '')?.[1] ?? NaN);
      // throughput: distinct users against a stock that never runs out
      const campaignId = `cmp-${randomBytes(3).toString('hex')}`;
      await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: 50_000_000 });
      const { apiKey } = await admin.must('POST', '/v1/partners', { name: 'compare' });
      // in a fresh generator process, as in every closed loop of npm run bench (see load-job.ts)
      const load = await runLoadJob({
        origin: server.origin,
        connections: options.connections,
        seconds: options.seconds,
        method: 'POST',
        paths: [`/v1/campaigns/${campaignId}/claims`],
        userIdPrefix: 'u',
        headers: { 'x-api-key': apiKey },
        watch: {},
      });
      rows.push({
        design: d.design,
        perSecond: load.perSecond,
        p99Ms: load.p99Ms,
        errors: load.errors,
        sold,
        audit: checks.every((c) => c.pass)
          ? 'PASS'
          : `FAIL (${checks
              .filter((c) => !c.pass)
              .map((c) => c.invariant)
              .join(', ')})`,
      });
      console.error(`${d.design}: ${load.perSecond} claims/s, p99 ${load.p99Ms} ms, sold ${sold} of 250, audit ${rows.at(-1)!.audit}`);
    } finally {
      await server.stop();
    }
  }
  return rows;
}

export function formatCompare(rows: Row[]): string {
  const floodgate = rows.find((r) => r.design === 'floodgate')!;
  const lines = [
    '| design | claims/s (closed loop) | p99 ms | errors | 1,000 users for 250: sold | audit | Floodgate ÷ design |',
    '|---|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.design} | ${r.perSecond} | ${r.p99Ms.toFixed(1)} | ${r.errors} | ${r.sold} | ${r.audit} | ${(floodgate.perSecond / r.perSecond).toFixed(1)}x |`,
    );
  }
  return lines.join('\n');
}
