// What `npm run bench -- --seeds` measures, one job at a time. Each job runs in a load generator
// process of its own (seed-worker.ts, started by seeds.ts): a generator that shares the process
// with earlier setup or earlier runs became slower per request (git log -p docs/BENCHMARKS.md), and a slower
// generator flatters every comparison with the calibration server.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '../src/loadtest/admin-client.js';
import { verdict } from '../src/loadtest/audit.js';
import { fileScenario } from '../src/loadtest/file-scenario.js';
import { buildReport, writeReport } from '../src/loadtest/report.js';
import { type RunResult, run, type Scenario } from '../src/loadtest/runner.js';
import { claimsScenario, type PreparedScenario, waitingRoomScenario } from '../src/loadtest/scenarios.js';
import { parseStage } from '../src/loadtest/stages.js';
import { closedLoop } from './closed-loop.js';

const REPORTS = 'docs/reports';

/** Where a job sends its load, and what it may use. */
export interface SeedJobInput {
  job: SeedJobName;
  /** Floodgate, or for `rate-bare` the bare node:http server. */
  target: string;
  adminToken: string;
  databaseUrl: string;
  /** rate-enter and rate-poll: the room (created by seeds.ts); rate-poll: its waiting tickets. */
  roomId?: string;
  ticketIds?: string[];
}

export type SeedJobName =
  | 'seed001-1000-for-250'
  | 'seed001-3000-for-1000'
  | 'seed002'
  | 'rate-bare'
  | 'rate-enter'
  | 'rate-poll'
  | 'rate-claim'
  | 'seed004'
  | 'seed004-half';

/** What a job hands back to seeds.ts (the rate jobs: the highest rate held). */
export interface SeedJobResult {
  rate?: number;
}

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

async function loadtest(name: string, target: string, scenario: PreparedScenario, stages: string[], drainMs: number): Promise<void> {
  const startedAt = new Date().toISOString();
  const result = await run(scenario, {
    target,
    stages: stages.map(parseStage),
    connections: 512,
    maxInFlight: 400_000,
    maxLagMs: 1000,
    drainMs,
  });
  const audit = await scenario.audit();
  const report = buildReport(scenario, result, audit, { target, stages, warmup: null, startedAt });
  mkdirSync(REPORTS, { recursive: true });
  writeReport(join(REPORTS, name), report);
  const line = report.summaries
    .map((s) => `${s.name} ${s.count} (err ${s.errors}) p50 ${s.p50Ms.toFixed(1)} p95 ${s.p95Ms.toFixed(1)} p99 ${s.p99Ms.toFixed(1)} ms`)
    .join('; ');
  console.log(
    `\n## ${name}: stages ${stages.join(' ')}\n${report.arrivals} arrivals, ${report.dropped} dropped, ${report.unfinished} unfinished; ${line}`,
  );
  for (const c of audit) console.log(`  ${verdict(c)} ${c.invariant}: ${c.detail}`);
  console.log(`  generator: longest event-loop stall ${result.recorder.maxGeneratorStallMs} ms; ${await serverPauses(target)}`);
}

const RATE_STEPS = [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 10_000, 12_000, 14_000, 16_000, 20_000, 24_000];

/** The highest rate (step by step) at which `scenario` keeps p99 <= 50 ms with nothing dropped. */
async function highestRate(label: string, target: string, make: () => Promise<Scenario>): Promise<number> {
  let best = 0;
  for (const rate of RATE_STEPS) {
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
    console.log(
      `  ${label} ${rate}/s: worst per-second p99 ${p99.toFixed(1)} ms, dropped ${result.recorder.dropped}, errors ${errors} ${ok ? 'ok' : 'no'}`,
    );
    if (!ok) break;
    best = rate;
  }
  return best;
}

/** A scenario of one POST per arrival with a new user id, from a scenario file. */
/** One POST of a named user per arrival (entries are named by a trusted backend: `headers`). */
function postScenario(path: string, kind: string, headers: Record<string, string> = {}): () => Promise<Scenario> {
  const file = join(tmpdir(), `fg-seed-${process.pid}-${kind}.json`);
  writeFileSync(file, JSON.stringify({ steps: [{ kind, method: 'POST', path, headers, body: { userId: '{user}' } }] }));
  return async () => fileScenario(file);
}

export async function runSeedJob(input: SeedJobInput): Promise<SeedJobResult> {
  const { target, databaseUrl } = input;
  const admin = new AdminClient(target, input.adminToken);
  switch (input.job) {
    case 'seed001-1000-for-250':
    case 'seed001-3000-for-1000': {
      const [users, stock] = input.job === 'seed001-1000-for-250' ? [1000, 250] : [3000, 1000];
      const scenario = await claimsScenario(admin, { stock, perUserLimit: 1, repeatShare: 0, users: 0, databaseUrl });
      await loadtest(input.job, target, scenario, [`${users * 2}/s:0.5s`], 20_000);
      return {};
    }
    case 'seed002': {
      // 10,000 coupons, 500 concurrent users (closed loop), every user distinct
      const campaignId = `seed002-${randomBytes(3).toString('hex')}`;
      await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: 10_000 });
      const { apiKey } = await admin.must('POST', '/v1/partners', { name: 'seed002' });
      let user = 0;
      const result = await closedLoop(
        target,
        () => ({
          method: 'POST',
          path: `/v1/campaigns/${campaignId}/claims`,
          body: JSON.stringify({ userId: `u${user++}` }),
          headers: { 'x-api-key': apiKey },
        }),
        { connections: 500, seconds: 10, warmupSeconds: 0 },
      );
      const campaign = await admin.must('GET', `/v1/campaigns/${campaignId}`);
      console.log(
        `\n## seed002: 500 concurrent users, 10,000 coupons, 10 s closed loop\n${result.perSecond} req/s, p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms, statuses ${JSON.stringify(result.statuses)}; claimed ${campaign.claimed}, persisted ${campaign.persisted}`,
      );
      return {};
    }
    case 'rate-bare':
      return { rate: await highestRate('bare node:http', target, postScenario('/enter', 'enter')) };
    case 'rate-enter':
      return {
        rate: await highestRate(
          'enter',
          target,
          postScenario(`/v1/rooms/${input.roomId}/tickets`, 'enter', { authorization: `Bearer ${input.adminToken}` }),
        ),
      };
    case 'rate-poll': {
      const tickets = input.ticketIds ?? [];
      const poll: Scenario = {
        name: 'poll',
        arrival: async (i, flow, at) =>
          void (await flow.request(
            'poll',
            { method: 'GET', path: `/v1/rooms/${input.roomId}/tickets/${tickets[i % tickets.length]}` },
            at,
          )),
      };
      return { rate: await highestRate('poll', target, async () => poll) };
    }
    case 'rate-claim': {
      const { apiKey } = await admin.must('POST', '/v1/partners', { name: 'rates' });
      const rate = await highestRate('claim', target, async () => {
        const campaignId = `rates-${randomBytes(4).toString('hex')}`;
        await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: 10_000_000 });
        return {
          name: 'claim',
          arrival: async (i, flow, at) =>
            void (await flow.request(
              'claim',
              { method: 'POST', path: `/v1/campaigns/${campaignId}/claims`, body: { userId: `u${i}` }, headers: { 'x-api-key': apiKey } },
              at,
            )),
        };
      });
      return { rate };
    }
    case 'seed004':
    case 'seed004-half': {
      // 300,000 people: 1,000/s for 10 s, 5,000/s for 60 s, then 30 s of admission only; or the
      // same shape at half the rate (where this 2-core machine holds the latency target)
      const stages = input.job === 'seed004' ? ['1000/s:10s', '5000/s:60s', '0/s:30s'] : ['500/s:10s', '2500/s:60s', '0/s:30s'];
      const scenario = await waitingRoomScenario(admin, { admitPerSecond: 1000, maxActive: 5000, sessionSeconds: 60, holdMs: 0 });
      await loadtest(input.job === 'seed004' ? 'seed004-waiting-room' : 'seed004-waiting-room-half-rate', target, scenario, stages, 0);
      return {};
    }
  }
}
