import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { COMMON_OPTIONS, integerOption, parseOptions } from '../cli/args.js';
import { firstLine, OperationalError, UsageError } from '../cli/errors.js';
import { AdminClient } from './admin-client.js';
import { type Check, check } from './audit.js';
import { cleanUp } from './cleanup.js';
import { fileScenario } from './file-scenario.js';
import { progressLine, summaryLines } from './progress.js';
import { buildReport, writeReport } from './report.js';
import { run } from './runner.js';
import type { OptionValues } from './scenario-definition.js';
import { SCENARIOS } from './scenario-list.js';
import type { PreparedScenario } from './scenarios.js';
import { formatStage, parseStage, type Stage } from './stages.js';

/** Options of every run; each scenario adds its own (scenario-list.ts). */
const RUN_OPTIONS = {
  ...COMMON_OPTIONS,
  target: { type: 'string' },
  scenario: { type: 'string' },
  stage: { type: 'string', multiple: true },
  'admin-token': { type: 'string' },
  'database-url': { type: 'string' },
  connections: { type: 'string' },
  'max-in-flight': { type: 'string' },
  'max-lag-ms': { type: 'string' },
  drain: { type: 'string' },
  warmup: { type: 'string' },
  report: { type: 'string' },
  keep: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;
const OPTIONS = { ...Object.assign({}, ...SCENARIOS.map((s) => s.options)), ...RUN_OPTIONS } as typeof RUN_OPTIONS;

/** The exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it. */
const INTERRUPTED = 130;

function stage(text: string): Stage {
  try {
    return parseStage(text);
  } catch {
    throw new UsageError(`bad --stage "${text}": expected RATE/s:DURATION, e.g. 1000/s:10s or 200/s:500ms`);
  }
}

function duration(name: string, text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  try {
    return parseStage(`1/s:${text}`).durationMs;
  } catch {
    throw new UsageError(`bad --${name} "${text}": expected a duration such as 10s, 500ms or 1m`);
  }
}

function url(name: string, text: string, protocols: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UsageError(`--${name} is not a URL`);
  }
  if (!protocols.includes(parsed.protocol))
    throw new UsageError(`--${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return text;
}

/**
 * `floodgate loadtest`: every input is checked before anything is sent (a missing or wrong one is
 * a UsageError); then the scenario is set up, run, audited, reported, and what it created is put
 * away. Resolves with the exit status.
 */
export async function loadtestCommand(argv: string[]): Promise<number> {
  const values = parseOptions(argv, OPTIONS);
  const targetText = values.target ?? process.env.FLOODGATE_URL;
  if (!targetText) throw new UsageError('missing --target (or FLOODGATE_URL): the URL of the Floodgate to load');
  const target = url('target', targetText, ['http:', 'https:']);
  if (!values.scenario) throw new UsageError(`missing --scenario: ${SCENARIOS.map((d) => d.name).join(', ')}, or a JSON file of steps`);
  if (!values.stage?.length) throw new UsageError('missing --stage: at least one, e.g. --stage 100/s:10s');
  const stages = values.stage.map(stage);
  const connections = integerOption('connections', values.connections, 256, 1, 100_000);
  const maxInFlight = integerOption('max-in-flight', values['max-in-flight'], 400_000, 1, 100_000_000);
  const maxLagMs = integerOption('max-lag-ms', values['max-lag-ms'], 1000, 0, 3_600_000);
  const drainMs = duration('drain', values.drain, 10_000);
  const warmupMs = duration('warmup', values.warmup, 0);
  if (values.report && !existsSync(dirname(values.report))) {
    throw new UsageError(`--report ${values.report}: the folder ${dirname(values.report)} does not exist`);
  }
  const builtIn = SCENARIOS.find((d) => d.name === values.scenario);
  const adminToken = values['admin-token'] ?? process.env.FLOODGATE_ADMIN_TOKEN;
  if (builtIn?.needsAdminToken && !adminToken) {
    throw new UsageError(
      `missing --admin-token (or FLOODGATE_ADMIN_TOKEN): the ${values.scenario} scenario sets up and reads its target with it`,
    );
  }
  if (warmupMs > 0 && !stages.some((s) => s.ratePerSecond > 0)) throw new UsageError('--warmup: no stage has a rate to warm up at');
  if (warmupMs > 0 && !builtIn?.warmup) {
    const withWarmup = SCENARIOS.filter((d) => d.warmup).map((d) => d.name);
    throw new UsageError(`--warmup: the ${values.scenario} scenario has no warm-up (${withWarmup.join(', ')} has)`);
  }
  const admin = new AdminClient(target, adminToken ?? '');

  // Ctrl-C: during the run, stop it and report what ran; before it, or a second time, quit at once.
  const interrupt = new AbortController();
  let started = false;
  const onSigint = () => {
    if (!started || interrupt.signal.aborted) {
      process.stderr.write('\n');
      process.exit(INTERRUPTED);
    }
    interrupt.abort();
    process.stderr.write(
      '\ninterrupted: no more arrivals; requests in flight get 2 s, then the summary and report (Ctrl-C again quits now)\n',
    );
  };
  process.on('SIGINT', onSigint);
  try {
    const scenario = await prepare(values, admin, target);
    console.log(
      `${scenario.name} against ${target}: ${JSON.stringify(scenario.describe())}; ${warmupMs > 0 ? `a warm-up of ${values.warmup} (not recorded), then ` : ''}stages ${stages.map(formatStage).join(', ')} (Ctrl-C stops it early and still reports)`,
    );
    started = true;
    const tty = process.stderr.isTTY && !values.quiet;
    let progressShown = false;
    const result = await run(scenario, {
      target,
      stages,
      connections,
      maxInFlight,
      maxLagMs,
      drainMs,
      warmupMs,
      signal: interrupt.signal,
      onSecond(sample, progress) {
        if (values.quiet) return;
        const line = progressLine(sample, progress, stages);
        if (tty) {
          // One line, rewritten in place: cut to the terminal's width (a wrapped line cannot be rewritten).
          process.stderr.write(`\r${line.slice(0, Math.max(20, (process.stderr.columns || 120) - 1))}\x1b[K`);
          progressShown = true;
        } else if (sample.second % 5 === 0) process.stderr.write(`${line}\n`);
      },
    });
    if (progressShown) process.stderr.write('\n');

    let audit: Check[];
    try {
      audit = [
        ...(await scenario.audit(interrupt.signal)),
        ...(scenario.auditRun?.(result.recorder.summaries(), result.recorder.dropped) ?? []),
      ];
    } catch (err) {
      audit = [check('the audit ran', false, err instanceof OperationalError ? err.message : firstLine(err))];
    }
    const report = buildReport(scenario, result, audit, {
      target,
      stages: values.stage,
      warmup: warmupMs > 0 ? (values.warmup ?? null) : null,
      startedAt: result.startedAt,
    });
    for (const line of summaryLines(report, stages)) console.log(line);
    if (values.report) {
      writeReport(values.report, report);
      console.log(`report: ${values.report}.json, ${values.report}.html`);
    }
    if (!values.keep && scenario.created.length > 0) {
      for (const line of await cleanUp(admin, scenario.created)) (line.warning ? console.error : console.log)(line.text);
    }
    if (result.interrupted || interrupt.signal.aborted) return INTERRUPTED;
    return audit.every((c) => c.pass) ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>;

/** Checks that no option of another scenario was given (it would be ignored in silence), then sets the scenario up. */
async function prepare(values: Values, admin: AdminClient, target: string): Promise<PreparedScenario> {
  const chosen = SCENARIOS.find((d) => d.name === values.scenario);
  const own = new Set(Object.keys(chosen?.options ?? {}));
  const all = values as Record<string, unknown>;
  for (const other of SCENARIOS) {
    if (other === chosen) continue;
    const misplaced = Object.keys(other.options).find((name) => !own.has(name) && all[name] !== undefined);
    if (misplaced) throw new UsageError(`--${misplaced} is an option of the ${other.name} scenario, not of ${values.scenario}`);
  }
  const databaseUrl = values['database-url'] ?? process.env.DATABASE_URL;
  if (databaseUrl) url('database-url', databaseUrl, ['postgres:', 'postgresql:']);
  if (chosen) return chosen.prepare(all as OptionValues, admin, databaseUrl, target);
  if (values['database-url'] !== undefined) throw new UsageError('--database-url is read by the built-in scenarios only');
  return fileScenario(values.scenario!);
}
