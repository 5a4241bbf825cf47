import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { admissionOrderViolations } from '../../src/loadtest/audit.js';
import { fileScenario } from '../../src/loadtest/file-scenario.js';
import { run, type Scenario } from '../../src/loadtest/runner.js';
import { arrivals, parseStage } from '../../src/loadtest/stages.js';
import { eventually, freePort } from '../helpers.js';

/** A server that answers every request after `delayMs`, and counts what it received. */
async function slowServer(delayMs: number) {
  const seen = { requests: 0, inFlight: 0, peakInFlight: 0 };
  const server = createServer((_req, res) => {
    seen.requests++;
    seen.peakInFlight = Math.max(seen.peakInFlight, ++seen.inFlight);
    setTimeout(() => {
      seen.inFlight--;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }, delayMs);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, seen, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** Wraps a scenario to note when each arrival really started, next to when it was due. */
function timed(scenario: Scenario) {
  const starts: Array<{ due: number; started: number }> = [];
  const wrapped: Scenario = {
    ...scenario,
    arrival(i, flow, scheduledAt) {
      starts.push({ due: scheduledAt, started: flow.now() });
      return scenario.arrival(i, flow, scheduledAt);
    },
  };
  return { wrapped, starts };
}

function scenarioFile(): string {
  const file = join(tmpdir(), `fg-scenario-${process.pid}.json`);
  writeFileSync(file, JSON.stringify({ steps: [{ method: 'GET', path: '/item/{i}' }] }));
  return file;
}

describe('floodgate loadtest', () => {
  it('parses stages and schedules arrivals at a constant rate', () => {
    assert.deepEqual(parseStage('1000/s:10s'), { ratePerSecond: 1000, durationMs: 10_000 });
    assert.deepEqual(parseStage('0/s:30s'), { ratePerSecond: 0, durationMs: 30_000 });
    assert.throws(() => parseStage('fast'), /expected <rate>\/s:<duration>/);
    const times = [...arrivals([parseStage('4/s:1s'), parseStage('0/s:1s'), parseStage('2/s:1s')])].map((a) => a.at);
    assert.deepEqual(times, [0, 250, 500, 750, 2000, 2500]);
  });

  it('holds the arrival rate against a slow server (open model: slow answers do not lower the load)', async () => {
    const { server, seen, origin } = await slowServer(300);
    try {
      const { wrapped, starts } = timed(fileScenario(scenarioFile()));
      const result = await run(wrapped, {
        target: origin,
        stages: [parseStage('200/s:3s')],
        connections: 200,
        maxInFlight: 10_000,
        maxLagMs: 1000,
        drainMs: 5000,
      });
      assert.equal(result.recorder.dropped, 0);
      assert.equal(result.arrivals, 600);
      assert.equal(seen.requests, 600);
      // Each arrival started when it was due, although each answer took 300 ms...
      const lags = starts.map((s) => s.started - s.due).sort((a, b) => a - b);
      assert.ok(lags[0]! >= 0, 'never before its time');
      assert.ok(lags[Math.floor(lags.length * 0.99)]! < 100, `p99 start lag ${lags[Math.floor(lags.length * 0.99)]} ms`);
      // ...so every second of the run started 200 of them, and ~60 were in flight at the server
      // at once (200/s × 0.3 s): a closed loop would have waited for answers instead.
      for (let second = 0; second < 3; second++) {
        const started = starts.filter((s) => s.started >= second * 1000 && s.started < (second + 1) * 1000).length;
        assert.ok(Math.abs(started - 200) <= 10, `second ${second}: ${started} started`);
      }
      assert.ok(seen.peakInFlight >= 50, `${seen.peakInFlight} in flight at most`);
      // Latency includes the server's 300 ms (less the up to ~1 ms by which a timer may fire early).
      const [summary] = result.recorder.summaries();
      assert.ok(summary!.p50Ms >= 295, `p50 ${summary!.p50Ms} ms`);
    } finally {
      server.close();
    }
  });

  it('measures latency from the scheduled start: a stalled generator shows up in the latencies', async () => {
    const { server, origin } = await slowServer(20);
    const STALL_MS = 400;
    // Half a second in, the generator's own event loop is blocked: arrivals due meanwhile start
    // late (within maxLagMs, so not dropped), and that lateness must be in their latency. A tool
    // that timed from the actual send would report ~20 ms for all of them (coordinated omission).
    const stall = setTimeout(() => {
      const until = performance.now() + STALL_MS;
      while (performance.now() < until);
    }, 500);
    try {
      const result = await run(fileScenario(scenarioFile()), {
        target: origin,
        stages: [parseStage('100/s:1.5s')],
        connections: 50,
        maxInFlight: 10_000,
        maxLagMs: 1000,
        drainMs: 3000,
      });
      assert.equal(result.recorder.dropped, 0);
      assert.equal(result.arrivals, 150);
      const [summary] = result.recorder.summaries();
      // The arrival due first in the stall waited nearly all of it, then the server's 20 ms.
      assert.ok(summary!.maxMs >= STALL_MS - 20, `max ${summary!.maxMs} ms`);
      // ~40 arrivals fell in the stall, with lateness spread from ~400 ms down to 0: the slowest
      // tenth of all requests must still show a large part of it.
      assert.ok(summary!.p95Ms >= 100, `p95 ${summary!.p95Ms} ms`);
      assert.ok(summary!.p50Ms < 100, `p50 ${summary!.p50Ms} ms: arrivals outside the stall are fast`);
    } finally {
      clearTimeout(stall);
      server.close();
    }
  });

  it('counts requests that cannot be started on time as dropped, never delays them', async () => {
    const { server, origin } = await slowServer(500);
    try {
      const result = await run(fileScenario(scenarioFile()), {
        target: origin,
        stages: [parseStage('100/s:2s')],
        connections: 50,
        maxInFlight: 10, // 100/s × 0.5 s needs 50 in flight: most arrivals find no room
        maxLagMs: 1000,
        drainMs: 3000,
      });
      assert.equal(result.arrivals + result.recorder.dropped, 200);
      assert.ok(result.recorder.dropped >= 100, `${result.recorder.dropped} dropped`);
      const dropped = result.recorder.timeline.reduce((n, s) => n + s.dropped, 0);
      assert.ok(dropped >= result.recorder.dropped - 20, 'drops are in the timeline too');
    } finally {
      server.close();
    }
  });

  it('records broken connections as errors, and hands scenarios the status and parsed body of answers', async () => {
    let n = 0;
    const server = createServer((req, res) => {
      // every other request: the connection is cut before any answer
      if (n++ % 2 === 0) return req.socket.destroy();
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: req.headers['x-echo'] }));
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const seen: Array<{ status: number | 'error'; body: unknown }> = [];
    try {
      const scenario: Scenario = {
        name: 'echo',
        async arrival(i, flow, at) {
          seen.push(await flow.request('echo', { method: 'POST', path: '/', body: { i }, headers: { 'x-echo': `e${i}` } }, at));
        },
      };
      const result = await run(scenario, {
        target: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        stages: [parseStage('20/s:1s')],
        connections: 1,
        maxInFlight: 100,
        maxLagMs: 1000,
        drainMs: 3000,
      });
      const [summary] = result.recorder.summaries();
      assert.equal(summary!.count, 20);
      const errors = seen.filter((a) => a.status === 'error');
      assert.ok(errors.length >= 5 && errors.length <= 15, `${errors.length} broken of 20`);
      assert.equal(summary!.errors, errors.length);
      for (const a of seen.filter((a) => a.status !== 'error')) {
        assert.equal(a.status, 201);
        assert.match((a.body as { echo: string }).echo, /^e\d+$/);
      }
    } finally {
      server.close();
    }
  });

  it('the admission-order check catches a later ticket admitted before an earlier one', () => {
    assert.equal(
      admissionOrderViolations(
        [
          { ticketNo: 1, admittedAt: 100, lastWaitingAt: 50 },
          { ticketNo: 2, admittedAt: 200, lastWaitingAt: 150 },
        ],
        0,
      ),
      0,
    );
    assert.equal(
      admissionOrderViolations(
        [
          { ticketNo: 1, admittedAt: 5000, lastWaitingAt: 4000 },
          { ticketNo: 2, admittedAt: 200, lastWaitingAt: 150 },
        ],
        1000,
      ),
      1,
    );
  });

  it('the audit fails, and the command exits non-zero, on a target that oversells (a baseline without its lock)', async () => {
    const port = await freePort();
    const baselineDb = new URL(process.env.TEST_DATABASE_URL!);
    baselineDb.pathname = '/floodgate_baselines_test';
    const baseline = spawn(process.execPath, ['--import', 'tsx', 'bench/baselines/server.ts'], {
      env: {
        ...process.env,
        BASELINE: 'no-lock',
        PORT: String(port),
        DATABASE_URL: baselineDb.toString(),
        // The seeds' designs run on a plain Redis, in both passes (scripts/test.sh).
        REDIS_URL: process.env.TEST_BASELINE_REDIS_URL,
      },
      stdio: 'ignore',
    });
    try {
      const origin = `http://127.0.0.1:${port}`;
      await eventually(async () => ((await request(`${origin}/readyz`)).statusCode === 200 ? true : undefined), 15_000, 200);
      const cli = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          'loadtest',
          '--target',
          origin,
          '--scenario',
          'claims',
          '--stock',
          '100',
          '--stage',
          '2000/s:0.5s',
          '--database-url',
          baselineDb.toString(),
          '--admin-token',
          'unused',
          '--quiet',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      cli.stdout.on('data', (c) => (out += c));
      const [code] = await once(cli, 'exit');
      assert.equal(code, 1, out);
      assert.match(out, /FAIL {2}no oversell \(rows\): (\d+) rows for 100 in stock/);
      const sold = Number(/FAIL {2}no oversell \(rows\): (\d+) rows/.exec(out)![1]);
      assert.ok(sold > 100, `${sold} sold of 100`);
    } finally {
      baseline.kill('SIGKILL');
    }
  });
});
