import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { runCli } from '../../src/cli/cli.js';
import { cliEnv, deletePrefix, testPrefix, uniqueId } from '../helpers.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const COMMANDS = ['serve', 'migrate', 'rotate-key', 'loadtest'];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `floodgate args` to its end (killed after 30 s: a command that hangs fails its test). */
async function floodgate(args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  const child = spawn(process.execPath, [...CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Runs the CLI in this process (no process start: help and usage errors are printed before anything runs). */
async function inProcess(args: string[], overrides: Record<string, string | undefined> = {}): Promise<Outcome> {
  // Never the machine's own services, whatever a regression would make the command do.
  const env = {
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: 'redis://127.0.0.1:1',
    REDIS_CLUSTER_NODES: undefined,
    ...overrides,
  };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const set = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  set(env);
  let stdout = '';
  let stderr = '';
  try {
    const code = await runCli(args, { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`) });
    assert.notEqual(code, 'running');
    return { code: code as number, stdout, stderr };
  } finally {
    set(saved);
  }
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

const STACK_LINE = /^\s+at /m;

/** One line saying what is wrong, then the usage, and nothing else: exit status 2. */
function assertUsageError(outcome: Outcome, message: RegExp, usage: string): void {
  assert.equal(outcome.code, 2, outcome.stderr);
  assert.equal(outcome.stdout, '');
  const [first, blank, ...rest] = outcome.stderr.trimEnd().split('\n');
  assert.match(first!, message);
  assert.equal(blank, '');
  assert.equal(rest.join('\n'), usage.trimEnd());
  assert.doesNotMatch(outcome.stderr, STACK_LINE);
}

/** One line naming the failure: exit status 1, no stack trace. */
function assertOperationalError(outcome: Outcome, message: RegExp): void {
  assert.equal(outcome.code, 1, outcome.stderr);
  const lines = outcome.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${outcome.stderr}`);
  assert.match(lines[0]!, message);
}

describe('floodgate CLI: help, usage errors, operational errors', () => {
  const prefix = testPrefix();
  after(() => deletePrefix(prefix));

  it('--help, -h, help and --version print and touch nothing (no database created, nothing served)', async () => {
    // Dependencies that would show any use: a database that does not exist yet, nothing at Redis' port.
    const probeDb = new URL(process.env.TEST_DATABASE_URL!);
    probeDb.pathname = `/${uniqueId('help_probe').replace('-', '_')}`;
    const env = { DATABASE_URL: probeDb.toString(), REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, REDIS_CLUSTER_NODES: undefined };
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;

    const cases: Array<[string[], RegExp]> = [
      [['--help'], /^Usage: floodgate <command>/],
      [['-h'], /^Usage: floodgate <command>/],
      [['help'], /^Usage: floodgate <command>/],
      [['--version'], new RegExp(`^${version.replaceAll('.', '\\.')}\\n$`)],
      ...COMMANDS.flatMap(
        (c): Array<[string[], RegExp]> => [
          [[c, '--help'], new RegExp(`^Usage: floodgate ${c}`)],
          [[c, '-h'], new RegExp(`^Usage: floodgate ${c}`)],
          [['help', c], new RegExp(`^Usage: floodgate ${c}`)],
        ],
      ),
      // Help wins over anything else on the line.
      [['loadtest', 'waiting-room', '--help'], /^Usage: floodgate loadtest/],
      [['serve', '--port', 'x', '-h'], /^Usage: floodgate serve/],
    ];
    for (const [args, expected] of cases) {
      const { code, stdout, stderr } = await inProcess(args, env);
      assert.equal(code, 0, `floodgate ${args.join(' ')}: ${stderr}`);
      assert.match(stdout, expected, `floodgate ${args.join(' ')}`);
      assert.equal(stderr, '', `floodgate ${args.join(' ')}`);
    }
    // The reported case, as a process of its own: migrate --help created and migrated a database.
    const spawned = await floodgate(['migrate', '--help'], cliEnv(prefix, { DATABASE_URL: probeDb.toString() }));
    assert.equal(spawned.code, 0, spawned.stderr);
    assert.match(spawned.stdout, /^Usage: floodgate migrate/);
    const db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1 });
    try {
      const { rowCount } = await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [probeDb.pathname.slice(1)]);
      assert.equal(rowCount, 0, 'no database was created');
    } finally {
      await db.end();
    }
  });

  it('usage errors: one line, then the usage; exit 2', async () => {
    const usage = async (args: string[]) => (await inProcess(args)).stdout;
    const top = await usage(['--help']);
    const serveUsage = await usage(['serve', '--help']);
    const migrateUsage = await usage(['migrate', '--help']);
    const loadtestUsage = await usage(['loadtest', '--help']);
    const target = ['--target', 'http://127.0.0.1:9'];
    const cases: Array<[string[], RegExp, string]> = [
      [[], /^floodgate: missing command$/, top],
      [['bogus'], /^floodgate: unknown command "bogus"$/, top],
      [['--bogus'], /^floodgate: unknown option --bogus$/, top],
      [['serve', '--prot', '1'], /^floodgate serve: unknown option --prot$/, serveUsage],
      [['serve', '--port'], /^floodgate serve: option --port needs a value$/, serveUsage],
      [['serve', '--port', 'eighty'], /^floodgate serve: --port must be an integer from 0 to 65535, got "eighty"$/, serveUsage],
      [['serve', '--drain-seconds', '-1'], /^floodgate serve: option --drain-seconds needs a value/, serveUsage],
      [['migrate', 'now'], /^floodgate migrate: unexpected argument "now"/, migrateUsage],
      [['loadtest', 'waiting-room'], /^floodgate loadtest: unexpected argument "waiting-room"/, loadtestUsage],
      [['loadtest', '--scenario', 'claims', '--stage', '1/s:1s'], /^floodgate loadtest: missing --target/, loadtestUsage],
      [[...target, '--stage', '1/s:1s'], /^floodgate loadtest: missing --scenario/, loadtestUsage],
      [[...target, '--scenario', 'claims'], /^floodgate loadtest: missing --stage/, loadtestUsage],
      [[...target, '--scenario', 'claims', '--stage', 'fast'], /^floodgate loadtest: bad --stage "fast"/, loadtestUsage],
      [
        [...target, '--scenario', 'claims', '--stage', '1/s:1s', '--admin-token', 'a'.repeat(20), '--stock', 'lots'],
        /^floodgate loadtest: --stock must be an integer/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'claims', '--stage', '1/s:1s', '--admin-token', 'a'.repeat(20), '--repeat-share', '2'],
        /^floodgate loadtest: --repeat-share must be a number from 0 to 1, got "2"$/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'waiting-room', '--stage', '1/s:1s', '--admin-token', 'a'.repeat(20), '--stock', '5'],
        /^floodgate loadtest: --stock is an option of the claims scenario, not of waiting-room$/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'claims', '--stage', '1/s:1s', '--admin-token', 'a'.repeat(20), '--warmup', '2s'],
        /^floodgate loadtest: --warmup: the claims scenario has no warm-up \(seats-one-seat has\)$/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'seats-one-seat', '--stage', '0/s:1s', '--admin-token', 'a'.repeat(20), '--warmup', '1s'],
        /^floodgate loadtest: --warmup: no stage has a rate to warm up at$/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'seats-one-seat', '--stage', '1/s:1s', '--admin-token', 'a'.repeat(20), '--warmup', 'soon'],
        /^floodgate loadtest: bad --warmup "soon"/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'missing-flow.json', '--stage', '1/s:1s'],
        /^floodgate loadtest: --scenario "missing-flow.json": no such file/,
        loadtestUsage,
      ],
      [
        [...target, '--scenario', 'waiting-room', '--stage', '1/s:1s'],
        /^floodgate loadtest: missing --admin-token \(or FLOODGATE_ADMIN_TOKEN\)/,
        loadtestUsage,
      ],
    ];
    for (const [args, message, expectedUsage] of cases) {
      const args_ = args[0] === '--target' ? ['loadtest', ...args] : args;
      assertUsageError(await inProcess(args_, { FLOODGATE_ADMIN_TOKEN: undefined, FLOODGATE_URL: undefined }), message, expectedUsage);
    }
  });

  it('an unreachable database: one line naming PostgreSQL and its address, without the password; exit 1', async () => {
    const port = await closedPort();
    const env = cliEnv(prefix, { DATABASE_URL: `postgres://floodgate:hunter2secret@127.0.0.1:${port}/floodgate` });
    const [migrate, serve, verbose] = await Promise.all([
      floodgate(['migrate'], env),
      floodgate(['serve', '--port', '0'], env),
      floodgate(['rotate-key', '--verbose'], env),
    ]);
    const line = new RegExp(
      `: cannot reach PostgreSQL at postgres://floodgate:\\*\\*\\*@127\\.0\\.0\\.1:${port}/floodgate: connection refused$`,
      'm',
    );
    for (const outcome of [migrate, serve]) {
      assertOperationalError(outcome, line);
      assert.doesNotMatch(outcome.stderr, /hunter2secret/);
    }
    // --verbose adds the stack trace (and its cause's), still without the password.
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, line);
    assert.match(verbose.stderr, STACK_LINE);
    assert.doesNotMatch(verbose.stderr, /hunter2secret/);
  });

  it('an unreachable Redis: serve says which and where, without the password; exit 1', async () => {
    const port = await closedPort();
    const single = cliEnv(prefix, { REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}` });
    delete single.REDIS_CLUSTER_NODES;
    const cluster = cliEnv(prefix, { REDIS_CLUSTER_NODES: `127.0.0.1:${port}` });
    const [one, many] = await Promise.all([floodgate(['serve', '--port', '0'], single), floodgate(['serve', '--port', '0'], cluster)]);
    assertOperationalError(
      one,
      new RegExp(`^floodgate serve: cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}: connection refused$`),
    );
    assert.doesNotMatch(one.stderr, /hunter2secret/);
    assertOperationalError(
      many,
      new RegExp(`^floodgate serve: cannot reach the Redis Cluster at 127\\.0\\.0\\.1:${port}: connection refused$`),
    );
  });

  it('a port in use: serve says so; exit 1', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as { port: number };
    try {
      const outcome = await floodgate(['serve', '--port', String(port)], cliEnv(prefix, { HOST: '127.0.0.1' }));
      assertOperationalError(outcome, new RegExp(`^floodgate serve: cannot listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use`));
    } finally {
      taken.close();
    }
  });

  it('an unreachable load-test target: one line naming it; exit 1', async () => {
    const port = await closedPort();
    const args = [
      'loadtest',
      '--target',
      `http://127.0.0.1:${port}`,
      '--scenario',
      'claims',
      '--stage',
      '1/s:1s',
      '--admin-token',
      'a'.repeat(20),
    ];
    assertOperationalError(
      await inProcess(args),
      new RegExp(`^floodgate loadtest: cannot reach the target http://127\\.0\\.0\\.1:${port}: connection refused$`),
    );
  });

  it('a bad configuration: one line; exit 1', async () => {
    const outcome = await inProcess(['migrate'], { PORT: 'eighty' });
    assertOperationalError(outcome, /^floodgate migrate: configuration error: PORT must be an integer between 0 and 65535, got "eighty"$/);
  });
});
