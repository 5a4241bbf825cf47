import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { check, skip } from '../../src/loadtest/audit.js';
import { auditLine, progressLine, summaryLines } from '../../src/loadtest/progress.js';
import type { Report } from '../../src/loadtest/report.js';
import { run, type Scenario } from '../../src/loadtest/runner.js';
import { formatDuration, formatStage, parseStage, stageAt } from '../../src/loadtest/stages.js';
import { ADMIN_TOKEN, admin, eventually, useListeningInstance } from '../helpers.js';

const sample = {
  second: 1,
  started: 0,
  completed: 0,
  errors: 0,
  dropped: 0,
  p99Ms: 0,
  inFlight: 0,
  generatorStallMs: 0,
  generatorBusy: 0,
  gauges: {},
};

function report(overrides: Partial<Report>): Report {
  return {
    scenario: 'claims',
    target: 'http://127.0.0.1:1',
    startedAt: '',
    stages: [],
    warmup: null,
    setup: {},
    arrivals: 1000,
    dropped: 0,
    unfinished: 0,
    durationSeconds: 0.6,
    interrupted: false,
    interruptedAfterSeconds: null,
    abandoned: 0,
    summaries: [],
    timeline: [],
    audit: [],
    ...overrides,
  };
}

/** A local server answering every request with 200 {} (after `delayMs`); `paths` lists what it was asked, in order. */
async function okServer(options: { delayMs?: number } = {}) {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    if (options.delayMs) setTimeout(answer, options.delayMs);
    else answer();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, paths, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

const oneRequest: Scenario = {
  name: 'one',
  async arrival(_i, flow, at) {
    await flow.request('get', { method: 'GET', path: '/' }, at);
  },
};

describe('floodgate loadtest: stages, progress and summary', () => {
  it('formats durations and stages as given: a 0.5 s stage is 0.5 s, not 1 s', () => {
    assert.equal(formatDuration(500), '0.5 s');
    assert.equal(formatDuration(10_000), '10 s');
    assert.equal(formatDuration(1250), '1.25 s');
    assert.equal(formatStage(parseStage('2000/s:0.5s')), '2000/s for 0.5 s');
    assert.equal(formatStage(parseStage('0/s:30s')), '0/s for 30 s');
    assert.equal(formatStage(parseStage('2.5/s:200ms')), '2.5/s for 0.2 s');
    const stages = ['2000/s:0.5s'].map(parseStage);
    const lines = summaryLines(report({}), stages).join('\n');
    assert.match(lines, /1000 arrivals in 0\.5 s of stages \(2000\/s for 0\.5 s\)/);
  });

  it('shows the final zero-rate stage while it runs, and the drain after it', () => {
    const stages = ['4/s:1s', '2/s:1s', '0/s:1s'].map(parseStage);
    assert.deepEqual(
      [0, 999, 1000, 2000, 2999, 3000].map((t) => stageAt(stages, t)),
      [0, 0, 1, 2, 2, -1],
    );
    assert.match(progressLine(sample, { stage: 2, elapsedMs: 2500, totalMs: 3000 }, stages), /^stage 3\/3 \(0\/s for 1 s\) /);
    assert.match(progressLine(sample, { stage: -1, elapsedMs: 3500, totalMs: 3000 }, stages), /^drain /);
  });

  it('the runner reports the zero-rate stage as running, and never reports a second after the run is over', async () => {
    const { server, origin } = await okServer();
    try {
      const seen: number[] = [];
      let resolved = false;
      let lateReports = 0;
      const scenario: Scenario = {
        ...oneRequest,
        // The gauges answer slowly: a second's report may still be on its way when the run ends.
        gauges: () => new Promise((resolve) => setTimeout(() => resolve({ slow: 1 }), 700)),
      };
      const result = await run(scenario, {
        target: origin,
        stages: ['10/s:0.5s', '0/s:2s'].map(parseStage),
        connections: 4,
        maxInFlight: 100,
        maxLagMs: 1000,
        drainMs: 1000,
        onSecond(_sample, progress) {
          if (resolved) lateReports++;
          seen.push(progress.stage);
        },
      });
      resolved = true;
      assert.equal(result.arrivals, 5);
      assert.ok(seen.includes(1), `the 0/s stage was reported: ${seen}`);
      // A report still in flight at the end would have printed after the summary (the stray line).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(lateReports, 0);
    } finally {
      server.close();
    }
  });

  it("a warm-up runs the scenario's warm-up flows before the first arrival, at the first stage's rate, and records none", async () => {
    const { server, paths, origin } = await okServer();
    try {
      const warm: number[] = [];
      const slept: boolean[] = [];
      const scenario: Scenario = {
        ...oneRequest,
        async warmup(i, flow, at) {
          warm.push(i);
          await flow.request('warm', { method: 'GET', path: '/warm' }, at);
          slept.push(await flow.sleep(10));
        },
      };
      const result = await run(scenario, {
        target: origin,
        stages: ['0/s:0.1s', '40/s:0.5s'].map(parseStage),
        connections: 4,
        maxInFlight: 100,
        maxLagMs: 1000,
        drainMs: 1000,
        warmupMs: 500,
      });
      assert.equal(warm.length, 20, 'the first stage with a rate sets the warm-up rate (40/s for 0.5 s)');
      assert.deepEqual(slept, Array(20).fill(false), 'a warm-up flow that sleeps ends');
      assert.deepEqual({ ...result.warmup, durationMs: 0 }, { arrivals: 20, failed: 0, unfinished: 0, durationMs: 0 });
      assert.equal(result.arrivals, 20);
      assert.deepEqual(paths.slice(0, 20), Array(20).fill('/warm'), 'every warm-up request before the first measured one');
      assert.deepEqual(paths.slice(20), Array(20).fill('/'));
      const summaries = result.recorder.summaries();
      assert.deepEqual(
        summaries.map((s) => [s.name, s.count]),
        [['get', 20]],
      );
    } finally {
      server.close();
    }
  });

  it('Ctrl-C during the warm-up ends it at once: no stage runs, and the run says it was interrupted before them', async () => {
    // A server that answers the warm-up slowly: its flows would hold the stages back for the grace time.
    const { server, origin } = await okServer({ delayMs: 3_000 });
    try {
      const interrupt = new AbortController();
      setTimeout(() => interrupt.abort(), 300);
      const started = performance.now();
      const result = await run(
        {
          ...oneRequest,
          async warmup(_i, flow, at) {
            await flow.request('warm', { method: 'GET', path: '/warm' }, at);
          },
        },
        {
          target: origin,
          stages: [parseStage('20/s:5s')],
          connections: 4,
          maxInFlight: 100,
          maxLagMs: 1000,
          drainMs: 10_000,
          warmupMs: 5_000,
          signal: interrupt.signal,
          interruptGraceMs: 100,
        },
      );
      assert.ok(performance.now() - started < 2_500, `it took ${Math.round(performance.now() - started)} ms`);
      assert.equal(result.interrupted, true);
      assert.equal(result.interruptedAtMs, 0);
      assert.equal(result.arrivals, 0);
      assert.ok(result.warmup!.arrivals >= 4 && result.warmup!.arrivals <= 10, `${result.warmup!.arrivals} warm-up arrivals`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('an aborted run stops its arrivals and says it was interrupted', async () => {
    const { server, origin } = await okServer();
    try {
      const interrupt = new AbortController();
      setTimeout(() => interrupt.abort(), 300);
      const started = performance.now();
      const result = await run(oneRequest, {
        target: origin,
        stages: [parseStage('100/s:20s')],
        connections: 4,
        maxInFlight: 100,
        maxLagMs: 1000,
        drainMs: 10_000,
        signal: interrupt.signal,
      });
      assert.equal(result.interrupted, true);
      assert.ok(result.arrivals >= 10 && result.arrivals <= 100, `${result.arrivals} arrivals`);
      assert.ok(performance.now() - started < 5000, 'it did not wait for the stage nor the drain');
    } finally {
      server.close();
    }
  });

  it('a check that could not be made is SKIP, never FAIL, and does not fail the run', () => {
    const audit = [check('no oversell (answers)', true, '10 of 10'), skip('every success persisted', 'no --database-url')];
    assert.deepEqual(audit.map(auditLine), [
      '  PASS  no oversell (answers): 10 of 10',
      '  SKIP  every success persisted: no --database-url',
    ]);
    assert.ok(audit.every((c) => c.pass));
    assert.equal(auditLine(check('every success persisted', false, '3 missing')), '  FAIL  every success persisted: 3 missing');
  });
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function loadtest(args: string[], onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Outcome> {
  const env: NodeJS.ProcessEnv = { ...process.env, FLOODGATE_ADMIN_TOKEN: ADMIN_TOKEN };
  delete env.DATABASE_URL; // what "no --database-url" means must not depend on the shell the tests run from
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'loadtest', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => {
    stdout += c;
    onStdout?.(stdout, child);
  });
  child.stderr!.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return once(child, 'exit').then(([code, signal]) => {
    clearTimeout(timer);
    return { code, signal, stdout, stderr } as Outcome;
  });
}

describe('floodgate loadtest against a real instance: skipped checks, Ctrl-C, clean-up', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });
  const folder = mkdtempSync(join(tmpdir(), 'fg-loadtest-'));
  after(() => rmSync(folder, { recursive: true, force: true }));

  /** Whether the room or campaign was archived: by the archive endpoint, or a warning line when the target has none. */
  const assertPutAway = (outcome: Outcome, what: string) => {
    const archived = new RegExp(`^archived ${what} \\(--keep would have kept it\\)$`, 'm').test(outcome.stdout);
    const warned = new RegExp(`^warning: ${what} not archived: POST \\S+/archive answered 404`, 'm').test(outcome.stderr);
    assert.ok(archived || warned, `${what}: archived, or one warning line\n${outcome.stdout}\n${outcome.stderr}`);
  };

  it('claims without --database-url: the row checks are SKIP, the run passes (exit 0); its partner key is revoked', async () => {
    const outcome = await loadtest([
      '--target',
      instance.origin,
      '--scenario',
      'claims',
      '--stock',
      '20',
      '--stage',
      '100/s:0.5s',
      '--quiet',
    ]);
    assert.equal(outcome.code, 0, `${outcome.stdout}\n${outcome.stderr}`);
    assert.match(outcome.stdout, /^ {2}PASS {2}no oversell \(answers\): 20 successes for 20 in stock$/m);
    assert.match(outcome.stdout, /^ {2}SKIP {2}every success persisted: no --database-url/m);
    assert.doesNotMatch(outcome.stdout, /FAIL/);
    assert.match(outcome.stdout, /50 arrivals in 0\.5 s of stages/);
    const campaignId = /"campaignId":"(loadtest-[0-9a-f]+)"/.exec(outcome.stdout)![1]!;
    assertPutAway(outcome, `campaign ${campaignId}`);
    const partnerId = /^revoked partner key (\S+) \(--keep would have kept it\)$/m.exec(outcome.stdout)?.[1];
    assert.ok(partnerId, outcome.stdout);
    const partners = (await instance.app.inject({ url: '/v1/partners', headers: admin })).json().partners as Array<{
      partnerId: string;
      revokedAt: string | null;
    }>;
    assert.ok(partners.find((p) => p.partnerId === partnerId)?.revokedAt, 'the partner key it created is revoked');
  });

  it('Ctrl-C stops the arrivals, prints the summary, writes the report of what ran, archives its room, exits 130', async () => {
    const path = join(folder, 'interrupted');
    let roomId = '';
    let signalled = false;
    const outcome = await loadtest(
      [
        '--target',
        instance.origin,
        '--scenario',
        'waiting-room',
        '--admit-per-second',
        '20',
        '--stage',
        '50/s:60s',
        '--report',
        path,
        '--quiet',
      ],
      (stdout, child) => {
        roomId ||= /"roomId":"(loadtest-[0-9a-f]+)"/.exec(stdout)?.[1] ?? '';
        if (!roomId || signalled) return;
        signalled = true;
        // Once people are in the room (the run is under way), as a terminal's Ctrl-C would.
        void eventually(async () => {
          const room = await instance.app.inject({ url: `/v1/rooms/${roomId}`, headers: admin });
          return room.json().stats?.admittedTotal > 0 ? true : undefined;
        }, 20_000).then(() => child.kill('SIGINT'));
      },
    );
    assert.equal(outcome.code, 130, `${outcome.stdout}\n${outcome.stderr}`);
    assert.match(outcome.stderr, /^interrupted: no more arrivals/m);
    assert.match(outcome.stdout, /^interrupted \(Ctrl-C\) after [\d.]+ s of 60 s of stages/m);
    assert.match(outcome.stdout, /^waiting-room against http:\/\/127\.0\.0\.1:\d+: \d+ arrivals in [\d.]+ s of stages \(50\/s for 60 s\)/m);
    assert.match(outcome.stdout, /^ {2}PASS {2}never more than maxActive active/m);
    assert.ok(existsSync(`${path}.html`), 'the HTML report is written');
    const written = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Report;
    assert.equal(written.interrupted, true);
    assert.ok(written.arrivals > 0 && written.arrivals < 3000, `${written.arrivals} arrivals, not the 3000 planned`);
    assert.ok(written.durationSeconds < 60);
    assertPutAway(outcome, `room ${roomId}`);
  });
});
