import { parseArgs } from 'node:util';
import { AdminClient } from './admin-client.js';
import { fileScenario } from './file-scenario.js';
import { buildReport, type Report, writeReport } from './report.js';
import { run } from './runner.js';
import { walletScenario } from './scenarios/wallet.js';
import { claimsScenario, type PreparedScenario, waitingRoomScenario } from './scenarios.js';
import { parseStage, totalDurationMs } from './stages.js';

export const LOADTEST_USAGE = `Usage: floodgate loadtest --target URL --scenario waiting-room|claims|wallet|<file.json> --stage RATE/s:DURATION ...

  --stage 1000/s:10s --stage 5000/s:60s --stage 0/s:30s   constant arrival rate per stage (open model)
  --admin-token T        (or FLOODGATE_ADMIN_TOKEN) to create the room/campaign and read its state
  --database-url URL     (or DATABASE_URL) for the claims audit: reads the claims rows
  --connections N        keep-alive connections (default 256)
  --max-in-flight N      flows in progress at most; arrivals beyond are dropped (default 400000)
  --max-lag-ms N         an arrival not started within N ms of its time is dropped (default 1000)
  --drain 10s            after the last stage, time for flows still running (default 10s)
  --report PATH          writes PATH.json and PATH.html
  waiting room:  --room ID | --admit-per-second N --max-active N --session-seconds N; --hold-ms N
  claims:        --campaign ID --api-key K | --stock N --per-user-limit N; --users N --repeat-share 0.1
  wallet:        --wallets N (default 1000) --replay-share 0.1 [--api-key K]; --database-url for the audit
Exit status: 0 when every audited invariant holds, 1 otherwise.`;

function duration(text: string): number {
  return parseStage(`1/s:${text}`).durationMs;
}

export async function loadtestCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      scenario: { type: 'string' },
      stage: { type: 'string', multiple: true },
      'admin-token': { type: 'string' },
      'database-url': { type: 'string' },
      connections: { type: 'string', default: '256' },
      'max-in-flight': { type: 'string', default: '400000' },
      'max-lag-ms': { type: 'string', default: '1000' },
      drain: { type: 'string', default: '10s' },
      report: { type: 'string' },
      room: { type: 'string' },
      'admit-per-second': { type: 'string', default: '1000' },
      'max-active': { type: 'string', default: '1000' },
      'session-seconds': { type: 'string', default: '60' },
      'hold-ms': { type: 'string', default: '0' },
      campaign: { type: 'string' },
      'api-key': { type: 'string' },
      stock: { type: 'string', default: '1000' },
      'per-user-limit': { type: 'string', default: '1' },
      users: { type: 'string', default: '0' },
      'repeat-share': { type: 'string', default: '0' },
      wallets: { type: 'string', default: '1000' },
      'replay-share': { type: 'string', default: '0.1' },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (!values.target || !values.scenario || !values.stage?.length) {
    console.error(LOADTEST_USAGE);
    return 2;
  }
  const stages = values.stage.map(parseStage);
  const admin = new AdminClient(values.target, values['admin-token'] ?? process.env.FLOODGATE_ADMIN_TOKEN ?? '');
  let scenario: PreparedScenario;
  if (values.scenario === 'waiting-room') {
    scenario = await waitingRoomScenario(admin, {
      ...(values.room ? { roomId: values.room } : {}),
      admitPerSecond: Number(values['admit-per-second']),
      maxActive: Number(values['max-active']),
      sessionSeconds: Number(values['session-seconds']),
      holdMs: Number(values['hold-ms']),
    });
  } else if (values.scenario === 'claims') {
    const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
    scenario = await claimsScenario(admin, {
      ...(values.campaign ? { campaignId: values.campaign } : {}),
      ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
      stock: Number(values.stock),
      perUserLimit: Number(values['per-user-limit']),
      users: Number(values.users),
      repeatShare: Number(values['repeat-share']),
    });
  } else if (values.scenario === 'wallet') {
    const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
    scenario = await walletScenario(admin, {
      target: values.target,
      wallets: Number(values.wallets),
      replayShare: Number(values['replay-share']),
      ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
    });
  } else {
    scenario = fileScenario(values.scenario);
  }

  const startedAt = new Date().toISOString();
  const tty = process.stderr.isTTY && !values.quiet;
  const result = await run(scenario, {
    target: values.target,
    stages,
    connections: Number(values.connections),
    maxInFlight: Number(values['max-in-flight']),
    maxLagMs: Number(values['max-lag-ms']),
    drainMs: duration(values.drain),
    onSecond(sample, progress) {
      if (values.quiet) return;
      const stage = stages[progress.stage]!;
      const done = Math.min(1, progress.elapsedMs / progress.totalMs);
      const bar = '█'.repeat(Math.round(done * 20)).padEnd(20, '░');
      const gauges = Object.entries(sample.gauges)
        .map(([k, v]) => `${k} ${v}`)
        .join(' ');
      const line = `stage ${progress.stage + 1}/${stages.length} (${stage.ratePerSecond}/s) ${bar} ${Math.round(done * 100)}% | ${sample.started} req/s p99 ${sample.p99Ms.toFixed(1)} ms errors ${sample.errors} dropped ${sample.dropped} in flight ${sample.inFlight} | ${gauges}`;
      if (tty) process.stderr.write(`\r${line.padEnd(150)}`);
      else if (sample.second % 5 === 0) process.stderr.write(`${line}\n`);
    },
  });
  if (tty) process.stderr.write('\n');

  const audit = await scenario.audit();
  const report = buildReport(scenario, result, audit, { target: values.target, stages: values.stage, startedAt });
  printSummary(report, totalDurationMs(stages));
  if (values.report) {
    writeReport(values.report, report);
    console.log(`report: ${values.report}.json, ${values.report}.html`);
  }
  return audit.every((c) => c.pass) ? 0 : 1;
}

function printSummary(report: Report, plannedMs: number): void {
  const total = report.summaries.reduce((n, s) => n + s.count, 0);
  const errors = report.summaries.reduce((n, s) => n + s.errors, 0);
  console.log(
    `\n${report.scenario} against ${report.target}: ${report.arrivals} arrivals in ${(plannedMs / 1000).toFixed(0)} s of stages, ${report.dropped} dropped, ${report.unfinished} unfinished`,
  );
  console.log(`${total} requests, ${errors} errors (${total ? ((errors / total) * 100).toFixed(2) : '0'}%)\n`);
  console.log('kind         count     errors    p50 ms    p95 ms    p99 ms    max ms');
  for (const s of report.summaries) {
    console.log(
      `${s.name.padEnd(12)} ${String(s.count).padStart(8)} ${String(s.errors).padStart(9)} ${s.p50Ms.toFixed(2).padStart(9)} ${s.p95Ms.toFixed(2).padStart(9)} ${s.p99Ms.toFixed(2).padStart(9)} ${s.maxMs.toFixed(2).padStart(9)}`,
    );
  }
  const stall = Math.max(0, ...report.timeline.map((s) => s.generatorStallMs));
  const busy = Math.max(0, ...report.timeline.map((s) => s.generatorBusy));
  console.log(
    `\nload generator (this process): longest event-loop stall ${stall.toFixed(1)} ms, busiest second ${Math.round(busy * 100)}% busy`,
  );
  if (busy > 0.9) console.log("  near saturation: part of the latency may be the generator's own; run it on another machine to be sure");
  console.log('\naudit:');
  for (const c of report.audit) console.log(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.invariant}: ${c.detail}`);
}
