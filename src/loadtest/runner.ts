import { Pool } from 'undici';
import { exchange } from './exchange.js';
import { Recorder, type SecondSample } from './recorder.js';
import { Sleepers, type Wake } from './sleepers.js';
import { arrivals, type Stage, stageAt, totalDurationMs } from './stages.js';

export interface Reply {
  status: number | 'error';
  body: any;
}

export interface Flow {
  /** One HTTP call, recorded under `kind`; latency counts from `scheduledAt` (default: now). */
  request(
    kind: string,
    call: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; body?: unknown; headers?: Record<string, string> },
    scheduledAt?: number,
    ok?: (status: number) => boolean,
  ): Promise<Reply>;
  sleep(ms: number): Promise<boolean>; // false when the run is over
  /**
   * Calls `wake(true, id)` after `ms`, or `wake(false, id)` when the run is over: a sleep without a
   * suspended async function, for scenarios that keep hundreds of thousands of people in compact
   * tables (`wake` is meant to be one function shared by all of them).
   */
  later(ms: number, wake: Wake, id: number): void;
  /** Counts a flow that goes on after its arrival() returned (a person in a table); end() when it is over. */
  begin(): void;
  end(): void;
  now(): number;
}

export interface Scenario {
  name: string;
  /** Runs the flow of the i-th arrival (its first request is due at `scheduledAt`). */
  arrival(i: number, flow: Flow, scheduledAt: number): Promise<void>;
  /** Figures of the target sampled every second (queue size, remaining stock...). */
  gauges?(): Promise<Record<string, number>>;
  /**
   * The flow of the i-th warm-up arrival (`--warmup`): the same requests as arrival() on entities of
   * their own, so that the audited ones are untouched. Not recorded; sleep() and later() end it.
   */
  warmup?(i: number, flow: Flow, scheduledAt: number): Promise<void>;
}

export interface RunOptions {
  target: string;
  stages: Stage[];
  connections: number;
  /** Flows in progress at most; an arrival beyond it is dropped, not delayed. */
  maxInFlight: number;
  /** An arrival that cannot start within this many ms of its due time is dropped, not delayed. */
  maxLagMs: number;
  /** After the last stage, flows still running get this long to finish. */
  drainMs: number;
  /**
   * Before the stages, this long of the scenario's warm-up arrivals at the rate of the first stage
   * that has one, not recorded (as wrk2 leaves out its calibration): connections open, and the
   * generator's and the target's code compiled, before the first measured arrival. 0 (the
   * default): none.
   */
  warmupMs?: number;
  /**
   * Aborted to stop the run early (Ctrl-C): no more arrivals, sleeping flows end, requests in
   * flight get `interruptGraceMs` (default 2 s) to be answered, then are abandoned.
   */
  signal?: AbortSignal;
  interruptGraceMs?: number;
  /** Once a second while the run lasts; never after run() has resolved. */
  onSecond?(sample: SecondSample, progress: Progress): void;
}

export interface Progress {
  /** The stage running (by time: a 0/s stage is running too), or -1 in the drain after the last one. */
  stage: number;
  elapsedMs: number;
  totalMs: number;
}

/** What the warm-up did (nothing of it is in the recorder). */
export interface WarmupResult {
  arrivals: number;
  /** Warm-up flows that failed (a request that could not be sent, the scenario's own error). */
  failed: number;
  /** Warm-up flows still running when the stages began (their requests share the connections). */
  unfinished: number;
  durationMs: number;
}

export interface RunResult {
  recorder: Recorder;
  /** When the stages began (after the warm-up, if any). */
  startedAt: string;
  warmup: WarmupResult | null;
  arrivals: number;
  unfinished: number;
  durationMs: number;
  /** Stopped early through `signal`. */
  interrupted: boolean;
  /** Requests still unanswered when an interrupted run gave up on them (they are not in the latencies). */
  abandoned: number;
  /** When the interruption came (ms into the run), or null. */
  interruptedAtMs: number | null;
}

/**
 * Open-model load: arrivals are started at their scheduled times whatever the target's latency
 * (like k6's constant-arrival-rate). An arrival that cannot be started on time (too many in
 * flight, or the generator itself fell behind) is counted as dropped, never silently delayed.
 */
export async function run(scenario: Scenario, options: RunOptions): Promise<RunResult> {
  const pool = new Pool(options.target, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const warmup = options.warmupMs && scenario.warmup ? await warmUp(pool, scenario, options) : null;
  const recorder = new Recorder();
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let flows = 0;
  let count = 0;
  // Flows are counted, not kept, and share one completion handler: a promise chain, closures and
  // a set entry per simulated person were a third of the generator's heap with 300,000 of them
  // waiting. A scenario's own failure ends that flow only (its requests were recorded).
  let onDrained: (() => void) | null = null;
  const endFlow = () => {
    if (--flows === 0) onDrained?.();
  };
  const startFlow = (i: number, at: number): void => {
    flows++;
    scenario.arrival(i, flow, at).then(endFlow, endFlow);
  };
  const allDone = (): Promise<void> => (flows === 0 ? Promise.resolve() : new Promise((resolve) => (onDrained = resolve)));
  const sleepers = new Sleepers(now);

  const flow: Flow = {
    now,
    request: requester(pool, recorder, now),
    sleep: (ms) => sleepers.sleep(ms),
    later: (ms, wake, id) => sleepers.later(ms, wake, id),
    begin: () => void flows++,
    end: endFlow,
  };

  const totalMs = totalDurationMs(options.stages);
  const signal = options.signal;
  // A wait that ends early when the run is interrupted.
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    });
  // Interrupted during the warm-up: no stage ran.
  let interruptedAtMs: number | null = signal?.aborted ? 0 : null;
  signal?.addEventListener('abort', () => (interruptedAtMs = now()), { once: true });
  let second = 0;
  let over = false;
  let ticking: Promise<void> | null = null;
  const ticker = setInterval(() => {
    if (ticking) return; // the previous second's gauges have not answered yet
    ticking = (async () => {
      const gauges = scenario.gauges ? await scenario.gauges().catch(() => ({})) : {};
      if (over) return; // the run ended while the gauges were read: its report is being written
      const sample = recorder.tick(++second, gauges);
      options.onSecond?.(sample, { stage: stageAt(options.stages, now()), elapsedMs: now(), totalMs });
    })().finally(() => (ticking = null));
  }, 1000);

  const due = arrivals(options.stages);
  let next = due.next();
  while (!next.done && !signal?.aborted) {
    const elapsed = now();
    while (!next.done && next.value.at <= elapsed) {
      const { at } = next.value;
      if (flows >= options.maxInFlight || elapsed - at > options.maxLagMs) {
        recorder.drop();
      } else {
        startFlow(count++, at);
      }
      next = due.next();
    }
    if (next.done) break;
    // Sleep until the next arrival is due (timers fire in whole milliseconds, so at high rates each
    // wake-up starts the few arrivals that fell due meanwhile). Spinning on setImmediate instead
    // would start them a fraction of a millisecond earlier but burn a core that, on the same
    // machine, the target needs; latency counts from each arrival's due time either way.
    await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(1, next.value.at - now()), 50)));
  }
  // Remaining time of the last stage (a 0/s stage has no arrivals but lasts).
  await pause(totalMs - now());
  // Flows still running get the drain time, then the run is over.
  const drained = allDone();
  await Promise.race([drained, pause(options.drainMs)]);
  const interrupted = signal?.aborted ?? false;
  const unfinished = flows;
  sleepers.close();
  // Flows woken by close() end at once; those with a request in flight wait for its answer.
  const grace = interrupted ? (options.interruptGraceMs ?? 2_000) : 5_000;
  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, grace))]);
  over = true;
  clearInterval(ticker);
  await ticking;
  const abandoned = recorder.inFlight;
  if (interrupted) recorder.stopRecording();
  recorder.close();
  // An interrupted run does not wait for the last answers: they are cut (and their flows end).
  await (interrupted ? pool.destroy() : pool.close());
  return {
    recorder,
    startedAt,
    warmup,
    arrivals: count,
    unfinished,
    durationMs: now(),
    interrupted,
    abandoned,
    interruptedAtMs: interrupted ? interruptedAtMs : null,
  };
}

/** Flow.request on `pool`, recording into `recorder` (latency from the scheduled start, by `now`). */
function requester(pool: Pool, recorder: Recorder | null, now: () => number): Flow['request'] {
  return async (kind, call, scheduledAt = now(), ok = (s) => s < 500) => {
    recorder?.start();
    const headers: string[] = [];
    if (call.body !== undefined) headers.push('content-type', 'application/json');
    if (call.headers) for (const name in call.headers) headers.push(name, call.headers[name]!);
    const answer = await exchange(pool, {
      method: call.method,
      path: call.path,
      headers,
      body: call.body !== undefined ? JSON.stringify(call.body) : null,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    if (answer.status === 'error') {
      recorder?.record(kind, now() - scheduledAt, 'error', false);
      return { status: 'error', body: null };
    }
    recorder?.record(kind, now() - scheduledAt, answer.status, ok(answer.status));
    let body: unknown = null;
    try {
      body = answer.text ? JSON.parse(answer.text) : null;
    } catch {
      body = answer.text;
    }
    return { status: answer.status, body };
  };
}

/** How long warm-up flows still running after the warm-up get before the stages start anyway. */
const WARMUP_GRACE_MS = 5_000;

/**
 * The warm-up: the scenario's warm-up arrivals on the run's own connections, at the rate of the
 * first stage that has one, for `warmupMs`, at most `maxInFlight` at once; nothing recorded. The
 * stages start once its flows ended, or after WARMUP_GRACE_MS (those still running are counted:
 * their requests then share the connections with the first measured ones), or at once on Ctrl-C.
 */
async function warmUp(pool: Pool, scenario: Scenario, options: RunOptions): Promise<WarmupResult> {
  const rate = options.stages.find((s) => s.ratePerSecond > 0)?.ratePerSecond ?? 0;
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const flow: Flow = {
    now,
    request: requester(pool, null, now),
    sleep: async () => false,
    later: (_ms, wake, id) => queueMicrotask(() => wake(false, id)),
    begin: () => {},
    end: () => {},
  };
  const signal = options.signal;
  const flows = new Set<Promise<void>>();
  let started = 0;
  let failed = 0;
  if (rate > 0) {
    const due = arrivals([{ ratePerSecond: rate, durationMs: options.warmupMs! }]);
    for (let next = due.next(); !next.done && !signal?.aborted; ) {
      while (!next.done && next.value.at <= now()) {
        if (flows.size < options.maxInFlight) {
          const running: Promise<void> = scenario.warmup!(started++, flow, next.value.at).then(
            () => void flows.delete(running),
            () => {
              failed++;
              flows.delete(running);
            },
          );
          flows.add(running);
        }
        next = due.next();
      }
      if (!next.done) await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(1, next.value.at - now()), 50)));
    }
  }
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  await Promise.race([
    Promise.all(flows),
    new Promise((resolve) => {
      timer = setTimeout(resolve, WARMUP_GRACE_MS);
    }),
    new Promise<void>((resolve) => {
      onAbort = () => resolve();
      if (signal?.aborted) resolve();
      else signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (onAbort) signal?.removeEventListener('abort', onAbort);
  return { arrivals: started, failed, unfinished: flows.size, durationMs: now() };
}
