import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, before } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import type { Loops } from '../src/background.js';
import type { Clock } from '../src/clock.js';
import { type Config, loadConfig } from '../src/config.js';
import { type Context, openContext } from '../src/context.js';
import { buildApp } from '../src/http/app.js';
import { createRedis, deleteKeysWithPrefix, parseClusterNodes, type RedisClient } from '../src/redis/client.js';
import { prepareDatabase, startBackground } from '../src/server.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with npm test`);
  return value;
}

/**
 * The Redis the tests run on: a single Redis (TEST_REDIS_URL) or a Redis Cluster
 * (TEST_REDIS_CLUSTER_NODES); scripts/test.sh runs the whole suite once on each.
 */
export const REDIS_MODE: 'single' | 'cluster' = process.env.TEST_REDIS_CLUSTER_NODES ? 'cluster' : 'single';

function redisSettings(): Pick<Config, 'redisUrl' | 'redisClusterNodes'> {
  if (REDIS_MODE === 'cluster') {
    const nodes = parseClusterNodes(required('TEST_REDIS_CLUSTER_NODES'));
    if (!nodes) throw new Error('TEST_REDIS_CLUSTER_NODES is not a list of host:port');
    return { redisUrl: 'redis://unused.invalid:6379', redisClusterNodes: nodes };
  }
  return { redisUrl: required('TEST_REDIS_URL'), redisClusterNodes: null };
}

/** A Redis client of the tests' kind (single or cluster); the caller disconnects it. */
export function testRedis(): RedisClient {
  const settings = redisSettings();
  return createRedis(
    settings.redisClusterNodes ? { kind: 'cluster', nodes: settings.redisClusterNodes } : { kind: 'single', url: settings.redisUrl },
  );
}

let migrated: Promise<unknown> | null = null;

/** A fresh key prefix per test file: tests never see, or delete, anything they did not create. */
export function testPrefix(): string {
  return `fgtest:${randomBytes(4).toString('hex')}`;
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return loadConfig(
    {
      ...redisSettings(),
      databaseUrl: required('TEST_DATABASE_URL'),
      adminToken: ADMIN_TOKEN,
      port: 0,
      host: '127.0.0.1',
      logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
      // Tests run their webhook receivers on loopback.
      webhookAllowPrivate: true,
      ...overrides,
    },
    {},
  );
}

export interface Instance {
  app: FastifyInstance;
  ctx: Context;
  /** Null when started without background work. */
  background: Loops | null;
  close(): Promise<void>;
}

/** One Floodgate instance (app + background work) on the test Redis and PostgreSQL. */
export async function startInstance(
  overrides: Partial<Config> = {},
  options: { background?: boolean; clock?: Clock } = {},
): Promise<Instance> {
  const config = testConfig(overrides);
  migrated ??= prepareDatabase(config.databaseUrl);
  await migrated;
  const ctx = await openContext(config, options.clock ? { clock: options.clock } : {});
  const app = await buildApp(ctx);
  await app.ready();
  const background = (options.background ?? true) ? startBackground(ctx) : null;
  return {
    app,
    ctx,
    background,
    async close() {
      await background?.stop();
      await app.close();
      await ctx.close();
    },
  };
}

/** Deletes every key under the prefix, on every master (SCAN, never FLUSH: other data may share this Redis). */
export async function deletePrefix(prefix: string): Promise<void> {
  const redis = testRedis();
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

export function uniqueId(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export async function createRoom(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/v1/rooms', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`room creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Enters a named user, as a trusted backend would (here with the admin token). */
export async function enter(app: FastifyInstance, roomId: string, userId: string) {
  const res = await app.inject({ method: 'POST', url: `/v1/rooms/${roomId}/tickets`, headers: admin, payload: { userId } });
  return { status: res.statusCode, body: res.json() };
}

export async function poll(app: FastifyInstance, roomId: string, ticketId: string) {
  const res = await app.inject({ method: 'GET', url: `/v1/rooms/${roomId}/tickets/${ticketId}` });
  return { status: res.statusCode, body: res.json() };
}

/**
 * Registers before/after hooks for the enclosing suite: one instance under a fresh key prefix,
 * closed and its keys deleted afterwards. The returned object reaches the instance once started.
 */
export function useInstance(
  overrides: Partial<Config> = {},
  options: { background?: boolean; clock?: Clock } = {},
): Instance & { prefix: string } {
  const prefix = testPrefix();
  let started: Instance | undefined;
  before(async () => {
    started = await startInstance({ redisPrefix: prefix, ...overrides }, options);
  });
  after(async () => {
    await started?.close();
    await deletePrefix(prefix);
  });
  const get = () => {
    if (!started) throw new Error('the instance is not started yet (use it inside a test)');
    return started;
  };
  return {
    prefix,
    get app() {
      return get().app;
    },
    get ctx() {
      return get().ctx;
    },
    get background() {
      return get().background;
    },
    close: () => get().close(),
  };
}

/** useInstance(), listening on a free port of 127.0.0.1: for tests that speak HTTP to it (shortcuts, load tests). */
export function useListeningInstance(
  overrides: Partial<Config> = {},
  options: { background?: boolean; clock?: Clock } = {},
): ReturnType<typeof useInstance> & { readonly origin: string } {
  const instance = useInstance(overrides, options);
  let origin: string | undefined;
  before(async () => {
    origin = await instance.app.listen({ port: 0, host: '127.0.0.1' });
  });
  return Object.defineProperty(instance, 'origin', {
    get() {
      if (!origin) throw new Error('the instance is not listening yet (use it inside a test)');
      return origin;
    },
  }) as ReturnType<typeof useInstance> & { readonly origin: string };
}

/** Environment for a `floodgate` CLI child process on the test Redis and PostgreSQL. */
export function cliEnv(prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(REDIS_MODE === 'cluster'
      ? { REDIS_CLUSTER_NODES: required('TEST_REDIS_CLUSTER_NODES') }
      : { REDIS_URL: required('TEST_REDIS_URL') }),
    DATABASE_URL: required('TEST_DATABASE_URL'),
    FLOODGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    FLOODGATE_REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * A free loopback port, the kernel's choice: a port drawn at random can be in the kernel's
 * ephemeral range (32768-60999), held by some client socket of this very test run.
 */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A `floodgate serve` child process (src/, through tsx) on the test Redis and PostgreSQL. */
export interface ServeChild {
  child: ChildProcess;
  port: number;
  origin: string;
  /** The last few kilobytes it wrote to stderr (its logs at LOG_LEVEL=error), for failure messages. */
  stderr(): string;
}

/**
 * Starts `floodgate serve` and waits until /readyz answers 200; fails at once, with what the
 * process wrote, if it exits first. `port` restarts one on the port an earlier one had.
 */
export async function startServe(prefix: string, options: { port?: number; env?: Record<string, string> } = {}): Promise<ServeChild> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--drain-seconds', '0'], {
    env: cliEnv(prefix, { LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1', ...options.env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4096);
  });
  const served: ServeChild = { child, port, origin, stderr: () => stderr };
  let ready = false;
  const exitedEarly = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`floodgate serve exited (${code ?? signal}) before it was ready: ${stderr}`));
    }),
  );
  const answers = eventually(
    async () => {
      const res = await request(`${origin}/readyz`);
      await res.body.dump();
      return res.statusCode === 200 ? true : undefined;
    },
    20_000,
    200,
  );
  try {
    await Promise.race([answers, exitedEarly]);
    ready = true;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return served;
}

/** Kills a serve child with SIGKILL and waits until it is gone. */
export async function killServe(served: ServeChild): Promise<void> {
  const { child } = served;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/**
 * Two answers about the same ticket are the same answer: equal but for `pollAfterMs`, which each
 * answer draws at random from 80-100% of one interval (waiting-room/domain/polling.ts).
 */
export function assertSameTicketAnswer(actual: Record<string, unknown>, expected: Record<string, unknown>, message?: string): void {
  const { pollAfterMs: a, ...restActual } = actual;
  const { pollAfterMs: b, ...restExpected } = expected;
  assert.deepEqual(restActual, restExpected, message);
  assert.equal(typeof a, typeof b, message);
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.min(a, b) >= 0.8 * Math.max(a, b) - 1, `pollAfterMs ${a} and ${b} are not drawn from one interval`);
  }
}

/** How many times an instance has run a Lua script (from its metrics). */
export async function scriptRuns(ctx: Context, script: string): Promise<number> {
  const { values } = await ctx.infra.metrics.registry.getSingleMetric('floodgate_lua_script_duration_seconds')!.get();
  return values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels.script === script)?.value ?? 0;
}

export interface HttpCase {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** The raw body (sent as is, with the given content-type header). */
  payload?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  body: any;
}

/** Headers a shortcut and its route must agree on (framework-only headers like date are left out). */
const PARITY_HEADERS = ['content-type', 'cache-control', 'retry-after'];

/**
 * The parity check of the request shortcuts: one case sent over HTTP to the listening instance
 * (where a shortcut may take it) and the same case, or its twin on an identical entity when
 * running it twice would change the outcome, injected into the Fastify route (which shortcuts
 * never see). Status, the headers both must agree on and the body (after `normalise`, for ids that
 * differ between twins) must be equal; `taken` says whether the shortcut answered the case itself
 * (true) or handed it to the route (false).
 */
export async function assertShortcutParity(
  instance: { app: FastifyInstance; origin: string },
  viaShortcut: HttpCase,
  options: { route?: HttpCase; taken: boolean; normalise?: (body: any, side: 'shortcut' | 'route') => unknown; message?: string },
): Promise<HttpAnswer> {
  const { request } = await import('undici');
  const routeCase = options.route ?? viaShortcut;
  const answeredBefore = [...instance.app.shortcuts.answered.values()].reduce((a, b) => a + b, 0);
  const res = await request(`${instance.origin}${viaShortcut.path}`, {
    method: viaShortcut.method,
    headers: viaShortcut.headers ?? {},
    ...(viaShortcut.payload !== undefined ? { body: viaShortcut.payload } : {}),
  });
  const text = await res.body.text();
  const shortcut: HttpAnswer = { status: res.statusCode, headers: pick(res.headers), body: text ? JSON.parse(text) : null };
  const taken = [...instance.app.shortcuts.answered.values()].reduce((a, b) => a + b, 0) - answeredBefore;
  const injected = await instance.app.inject({
    method: routeCase.method,
    url: routeCase.path,
    headers: routeCase.headers ?? {},
    ...(routeCase.payload !== undefined ? { payload: routeCase.payload } : {}),
  });
  const route: HttpAnswer = { status: injected.statusCode, headers: pick(injected.headers), body: injected.body ? injected.json() : null };
  const label = options.message ?? `${viaShortcut.method} ${viaShortcut.path} ${viaShortcut.payload ?? ''}`;
  assert.equal(taken, options.taken ? 1 : 0, `${label}: ${options.taken ? 'answered by the shortcut' : 'handed to the route'}`);
  assert.equal(shortcut.status, route.status, `${label}: status`);
  assert.deepEqual(shortcut.headers, route.headers, `${label}: headers`);
  const normalise = options.normalise ?? ((body: unknown) => body);
  assert.deepEqual(normalise(shortcut.body, 'shortcut'), normalise(route.body, 'route'), `${label}: body`);
  return shortcut;
}

function pick(headers: Record<string, unknown>): Record<string, string | undefined> {
  return Object.fromEntries(PARITY_HEADERS.map((name) => [name, headers[name] === undefined ? undefined : String(headers[name])]));
}
