// npm run bench -- --seeds: the seeds' own tests, reproduced against Floodgate with the load tester
// (open model, audited), plus the highest arrival rate each path sustains next to the calibration
// server's. Reports land in docs/reports/. See docs/BENCHMARKS.md for the figures.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '../src/loadtest/admin-client.js';
import { fileScenario } from '../src/loadtest/file-scenario.js';
import { buildReport, writeReport } from '../src/loadtest/report.js';
import { run, type RunResult, type Scenario } from '../src/loadtest/runner.js';
import { claimsScenario, waitingRoomScenario, type PreparedScenario } from '../src/loadtest/scenarios.js';
import { parseStage } from '../src/loadtest/stages.js';
import { closedLoop } from './closed-loop.js';
import { startProcess } from './processes.js';

const REPORTS = 'docs/reports';

/**
 * The server's own pauses over the run, from its metrics: garbage collection by kind and the worst
 * event-loop delay. Next to the generator's stalls, they tell whose pause a latency spike was.
 */
async function serverPauses(origin: string): Promise<string> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const value = (line: string) => Number(line.split(' ').at(-1));
  const gc = text
    .split('\n')
    .filter((l) => l.startsWith('floodgate_nodejs_gc_duration_seconds_sum'))
    .map((l) => `${/kind="(\w+)"/.exec(l)?.[1]} ${(value(l) * 1000).toFixed(0)} ms`);
  const lagMax = text.split('\n').find((l) => l.startsWith('floodgate_nodejs_eventloop_lag_max_seconds '));
  return `server: GC ${gc.join(', ')}; worst event-loop delay ${lagMax ? (value(lagMax) * 1000).toFixed(1) : '?'} ms`;
}

async function loadtest(name: string, target: string, scenario: PreparedScenario, stages: string[], drainMs: number, save: boolean) {
  const startedAt = new Date().toISOString();
  const result = await run(scenario, { target, stages: stages.map(parseStage), connections: 512, maxInFlight: 400_000, maxLagMs: 1000, drainMs });
  const audit = await scenario.audit();
  const report = buildReport(scenario, result, audit, { target, stages, startedAt });
  if (save) {
    mkdirSync(REPORTS, { recursive: true });
    writeReport(join(REPORTS, name), report);
  }
  const line = report.summaries.map((s) => `${s.name} ${s.count} (err ${s.errors}) p50 ${s.p50Ms.toFixed(1)} p95 ${s.p95Ms.toFixed(1)} p99 ${s.p99Ms.toFixed(1)} ms`).join('; ');
  console.log(`\n## ${name}: stages ${stages.join(' ')}\n${report.arrivals} arrivals, ${report.dropped} dropped, ${report.unfinished} unfinished; ${line}`);
  for (const c of audit) console.log(`  ${c.pass ? 'PASS' : 'FAIL'} ${c.invariant}: ${c.detail}`);
  console.log(`  generator: longest event-loop stall ${result.recorder.maxGeneratorStallMs} ms; ${await serverPauses(target)}`);
  return { report, result };
}

/** The highest rate (step by step) at which `scenario` keeps p99 <= 50 ms with nothing dropped. */
async function highestRate(label: string, target: string, make: () => Promise<Scenario>, rates: number[]): Promise<number> {
  let best = 0;
  for (const rate of rates) {
    const result: RunResult = await run(await make(), {
      target,
      stages: [parseStage(`${Math.round(rate / 5)}/s:1s`), parseStage(`${rate}/s:5s`)],
      connections: 512,
      maxInFlight: 100_000,
      maxLagMs: 1000,
      drainMs: 5000,
    });
    // judge the full-rate seconds only (the first second warms connections up)
    const seconds = result.recorder.timeline.slice(1, 6);
    const p99 = Math.max(...seconds.map((s) => s.p99Ms));
    const errors = result.recorder.summaries().reduce((n, s) => n + s.errors, 0);
    const ok = result.recorder.dropped === 0 && errors === 0 && p99 <= 50;
    console.log(`  ${label} ${rate}/s: worst per-second p99 ${p99.toFixed(1)} ms, dropped ${result.recorder.dropped}, errors ${errors} ${ok ? 'ok' : 'no'}`);
    if (!ok) break;
    best = rate;
  }
  return best;
}

export async function seeds(options: { redisUrl: string; databaseUrl: string; only?: string }) {
  const token = `seeds-${randomBytes(12).toString('hex')}`;
  const server = await startProcess(
    ['bin/floodgate.js', 'serve', '--drain-seconds', '0'],
    { DATABASE_URL: options.databaseUrl, REDIS_URL: options.redisUrl, FLOODGATE_ADMIN_TOKEN: token, FLOODGATE_REDIS_PREFIX: `fgseeds:${randomBytes(3).toString('hex')}`, LOG_LEVEL: 'warn' },
    '/readyz',
  );
  const admin = new AdminClient(server.origin, token);
  const want = (name: string) => !options.only || options.only.split(',').includes(name);
  try {
    if (want('seed001')) {
      for (const [users, stock] of [[1000, 250], [3000, 1000]] as const) {
        await loadtest(`seed001-${users}-for-${stock}`, server.origin, await claimsScenario(admin, { stock, perUserLimit: 1, repeatShare: 0, users: 0, databaseUrl: options.databaseUrl }), [`${users * 2}/s:0.5s`], 20_000, true);
      }
    }
    if (want('seed002')) {
      // 10,000 coupons, 500 concurrent users (closed loop), every user distinct
      const campaignId = `seed002-${randomBytes(3).toString('hex')}`;
      await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: 10_000 });
      const { apiKey } = await admin.must('POST', '/v1/partners', { name: 'seed002' });
      let user = 0;
      const result = await closedLoop(
        server.origin,
        () => ({ method: 'POST', path: `/v1/campaigns/${campaignId}/claims`, body: JSON.stringify({ userId: `u${user++}` }), headers: { 'x-api-key': apiKey } }),
        { connections: 500, seconds: 10, warmupSeconds: 0 },
      );
      const campaign = await admin.must('GET', `/v1/campaigns/${campaignId}`);
      console.log(`\n## seed002: 500 concurrent users, 10,000 coupons, 10 s closed loop\n${result.perSecond} req/s, p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms, statuses ${JSON.stringify(result.statuses)}; claimed ${campaign.claimed}, persisted ${campaign.persisted}`);
    }
    if (want('rates')) {
      console.log('\n## highest sustained arrival rate with p99 <= 50 ms and nothing dropped');
      const steps = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10_000, 12_000, 14_000, 16_000, 20_000, 24_000];
      const file = join(tmpdir(), `fg-bare-${process.pid}.json`);
      writeFileSync(file, JSON.stringify({ steps: [{ method: 'POST', path: '/enter', body: { userId: '{user}' } }] }));
      const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/');
      const bareRate = await highestRate('bare node:http', bare.origin, async () => fileScenario(file), steps);
      await bare.stop();
      const roomId = `rates-${randomBytes(3).toString('hex')}`;
      await admin.must('POST', '/v1/rooms', { id: roomId, admitPerSecond: 1, maxActive: 1, sessionSeconds: 600 });
      writeFileSync(file, JSON.stringify({ steps: [{ kind: 'enter', method: 'POST', path: `/v1/rooms/${roomId}/tickets`, body: { userId: '{user}' } }] }));
      const enterRate = await highestRate('enter', server.origin, async () => fileScenario(file), steps);
      const tickets: string[] = [];
      for (let i = 0; i < 5000; i++) tickets.push((await admin.must('POST', `/v1/rooms/${roomId}/tickets`, { userId: `poller-${i}` })).ticketId);
      const pollScenario: Scenario = {
        name: 'poll',
        arrival: async (i, flow, at) => void (await flow.request('poll', { method: 'GET', path: `/v1/rooms/${roomId}/tickets/${tickets[i % tickets.length]}` }, at)),
      };
      const pollRate = await highestRate('poll', server.origin, async () => pollScenario, steps);
      const { apiKey } = await admin.must('POST', '/v1/partners', { name: 'rates' });
      const claimRate = await highestRate(
        'claim',
        server.origin,
        async () => {
          const campaignId = `rates-${randomBytes(4).toString('hex')}`;
          await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: 10_000_000 });
          return {
            name: 'claim',
            arrival: async (i, flow, at) =>
              void (await flow.request('claim', { method: 'POST', path: `/v1/campaigns/${campaignId}/claims`, body: { userId: `u${i}` }, headers: { 'x-api-key': apiKey } }, at)),
          };
        },
        steps,
      );
      console.log(`\nbare node:http ${bareRate}/s; enter ${enterRate}/s; poll ${pollRate}/s; claim ${claimRate}/s`);
    }
    if (want('seed004')) {
      // 300,000 people: 1,000/s for 10 s, 5,000/s for 60 s, then 30 s of admission only
      await loadtest(
        'seed004-waiting-room',
        server.origin,
        await waitingRoomScenario(admin, { admitPerSecond: 1000, maxActive: 5000, sessionSeconds: 60, holdMs: 0 }),
        ['1000/s:10s', '5000/s:60s', '0/s:30s'],
        0,
        true,
      );
    }
    if (want('seed004-half')) {
      // the same shape at half the seed's rate: where this 2-core machine holds the latency target
      await loadtest(
        'seed004-waiting-room-half-rate',
        server.origin,
        await waitingRoomScenario(admin, { admitPerSecond: 1000, maxActive: 5000, sessionSeconds: 60, holdMs: 0 }),
        ['500/s:10s', '2500/s:60s', '0/s:30s'],
        0,
        true,
      );
    }
  } finally {
    await server.stop();
  }
}
