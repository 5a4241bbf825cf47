// npm run bench -- --seeds: the seeds' own tests, reproduced against Floodgate with the load tester
// (open model, audited), plus the highest arrival rate each path sustains next to the calibration
// server's. Reports land in docs/reports/. See docs/BENCHMARKS.md for the figures.
//
// This process only starts the servers and prepares what a job needs; every job's load comes from
// a generator process of its own (seed-worker.ts), started afresh for it.
import { randomBytes } from 'node:crypto';
import { AdminClient } from '../src/loadtest/admin-client.js';
import { startProcess } from './processes.js';
import type { SeedJobInput, SeedJobName, SeedJobResult } from './seed-jobs.js';
import { runWorkerProcess } from './worker-process.js';

/** The names `--seeds` takes, and the jobs each stands for. */
const GROUPS: Record<string, SeedJobName[]> = {
  seed001: ['seed001-1000-for-250', 'seed001-3000-for-1000'],
  seed002: ['seed002'],
  rates: ['rate-bare', 'rate-enter', 'rate-poll', 'rate-claim'],
  seed004: ['seed004'],
  'seed004-half': ['seed004-half'],
};

const runInWorker = (input: SeedJobInput) => runWorkerProcess<SeedJobResult>(new URL('./seed-worker.ts', import.meta.url), input);

export async function seeds(options: { redisUrl: string; databaseUrl: string; only?: string }) {
  const wanted = options.only ? options.only.split(',') : Object.keys(GROUPS);
  const unknown = wanted.filter((name) => !(name in GROUPS));
  if (unknown.length > 0) throw new Error(`--seeds: unknown ${unknown.join(', ')} (known: ${Object.keys(GROUPS).join(', ')}, all)`);
  const adminToken = `seeds-${randomBytes(12).toString('hex')}`;
  const server = await startProcess(
    ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
    {
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      FLOODGATE_ADMIN_TOKEN: adminToken,
      FLOODGATE_REDIS_PREFIX: `fgseeds:${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
    },
    '/readyz',
  );
  const admin = new AdminClient(server.origin, adminToken);
  const job = (name: SeedJobName, extra: Partial<SeedJobInput> = {}) =>
    runInWorker({ job: name, target: server.origin, adminToken, databaseUrl: options.databaseUrl, ...extra });
  try {
    for (const group of wanted) {
      if (group !== 'rates') {
        for (const name of GROUPS[group]!) await job(name);
        continue;
      }
      console.log('\n## highest sustained arrival rate with p99 <= 50 ms and nothing dropped');
      const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/');
      const bareRate = await job('rate-bare', { target: bare.origin }).finally(() => bare.stop());
      const roomId = `rates-${randomBytes(3).toString('hex')}`;
      await admin.must('POST', '/v1/rooms', { id: roomId, admitPerSecond: 1, maxActive: 1, sessionSeconds: 600 });
      const enterRate = await job('rate-enter', { roomId });
      const ticketIds: string[] = [];
      for (let i = 0; i < 5000; i++)
        ticketIds.push((await admin.must('POST', `/v1/rooms/${roomId}/tickets`, { userId: `poller-${i}` })).ticketId);
      const pollRate = await job('rate-poll', { roomId, ticketIds });
      const claimRate = await job('rate-claim');
      console.log(`\nbare node:http ${bareRate.rate}/s; enter ${enterRate.rate}/s; poll ${pollRate.rate}/s; claim ${claimRate.rate}/s`);
    }
  } finally {
    await server.stop();
  }
}
