// README's commands run as written: every ```sh block of README.md immediately preceded by the line
// `<!-- runnable -->` is run with bash, in order, each must exit 0, in the environment that
// `npm run up` gives a shell that ran `source .floodgate/env` (a real `floodgate serve` of this
// test's own, its demo room, FLOODGATE_URL, FLOODGATE_ADMIN_TOKEN, DATABASE_URL, REDIS_URL or
// REDIS_CLUSTER_NODES, PORT; and the file .floodgate/env in the working folder).
//
// Blocks run in one bash session, in order (a variable set by one is seen by the next, as in a
// reader's terminal), in a scratch folder (what they write, such as reports, goes there), with
// `set -e -o pipefail`. `npx floodgate` runs this checkout's source (src/cli/main.ts), not dist/: the build
// may be older than the code under test. Keep runnable blocks short (load tests of a few seconds).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { request } from 'undici';
import { ADMIN_TOKEN, cliEnv, deletePrefix, eventually, freePort, REDIS_MODE, testPrefix } from '../helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MARKER = '<!-- runnable -->';
/** A block that runs longer than this fails (and its processes are killed). */
const BLOCK_TIMEOUT_MS = 90_000;

interface Block {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  code: string;
}

/** The ```sh blocks whose opening fence is immediately preceded by the marker line. */
function runnableBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i - 1]!.trim() !== MARKER || !/^```sh\s*$/.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    assert.ok(end > i, `README.md:${i + 1}: a runnable block is never closed`);
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** `export NAME='value'` lines, as a shell reads them. */
const exportLines = (vars: Record<string, string>) =>
  Object.entries(vars)
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'`)
    .join('\n');

interface SessionResult {
  /** How many blocks ran to their end. */
  completed: number;
  code: number | null;
  signal: string | null;
  /** Each block's output (stdout and stderr interleaved), the failing one's last. */
  outputs: string[];
}

/**
 * Runs the blocks in one bash session, in order, as a reader pasting them into one terminal would
 * (a variable set in one block is there in the next), stopping at the first that fails (set -e).
 * After each block the session writes its number on file descriptor 3, out of the blocks' way.
 * The session runs in its own process group: a block silent for BLOCK_TIMEOUT_MS is killed, all of it.
 */
async function session(prelude: string, blocks: Block[], cwd: string, env: NodeJS.ProcessEnv): Promise<SessionResult> {
  mkdirSync(join(cwd, '.blocks'));
  const script = [prelude];
  for (const [i, block] of blocks.entries()) {
    const file = join(cwd, '.blocks', `${i + 1}.sh`);
    writeFileSync(file, `${block.code}\n`);
    script.push(`source ${JSON.stringify(file)}`, `echo ${i + 1} >&3`);
  }
  const child = spawn('bash', ['-c', script.join('\n')], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  const outputs = [''];
  let completed = 0;
  const kill = () => process.kill(-child.pid!, 'SIGKILL');
  let timer = setTimeout(kill, BLOCK_TIMEOUT_MS);
  const append = (chunk: Buffer) => (outputs[outputs.length - 1] += chunk.toString());
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => {
    for (const _ of chunk.toString().trim().split('\n')) {
      completed++;
      outputs.push('');
      clearTimeout(timer);
      timer = setTimeout(kill, BLOCK_TIMEOUT_MS);
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  return { completed, code, signal, outputs };
}

describe('README: the shell blocks marked runnable run as written, after npm run up', () => {
  const blocks = runnableBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('README.md marks its commands as runnable', () => {
    assert.ok(
      blocks.length > 0,
      `README.md has no \`\`\`sh block immediately preceded by a line "${MARKER}": mark the blocks a new user copies after npm run up (the tour, the load tests) so that this test runs them`,
    );
  });

  const prefix = testPrefix();
  const folder = mkdtempSync(join(tmpdir(), 'fg-readme-'));
  // A database of this test's own: blocks create rooms and campaigns by name, and run again next time.
  const database = new URL(process.env.TEST_DATABASE_URL!);
  database.pathname = `/floodgate_readme_${prefix.split(':')[1]}`;
  let server: ChildProcess | null = null;
  after(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    rmSync(folder, { recursive: true, force: true });
    await deletePrefix(prefix);
    const admin = new URL(process.env.TEST_DATABASE_URL!);
    admin.pathname = '/postgres';
    const db = new pg.Pool({ connectionString: admin.toString(), max: 1 });
    await db.query(`DROP DATABASE IF EXISTS "${database.pathname.slice(1)}" WITH (FORCE)`).finally(() => db.end());
  });

  it('every runnable block exits 0, in order', async () => {
    if (blocks.length === 0) return; // the test above fails: there is nothing to run
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const redis: Record<string, string> =
      REDIS_MODE === 'cluster'
        ? { REDIS_CLUSTER_NODES: process.env.TEST_REDIS_CLUSTER_NODES! }
        : { REDIS_URL: process.env.TEST_REDIS_URL! };
    // What .floodgate/env holds after npm run up (scripts/up.sh), plus the key prefix it keeps when one is set.
    const upEnv: Record<string, string> = {
      FLOODGATE_URL: origin,
      FLOODGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      DATABASE_URL: database.toString(),
      ...redis,
      PORT: String(port),
      FLOODGATE_REDIS_PREFIX: prefix,
    };

    server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--drain-seconds', '0'], {
      cwd: ROOT,
      env: cliEnv(prefix, { ...upEnv, HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
      stdio: 'ignore',
    });
    await eventually(async () => ((await request(`${origin}/readyz`)).statusCode === 200 ? true : undefined), 30_000, 200);
    // npm run up's demo room.
    const demo = await request(`${origin}/v1/rooms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'demo',
        admitPerSecond: 2,
        maxActive: 20,
        sessionSeconds: 300,
        maxExtensions: 1,
        abandonAfterSeconds: 120,
      }),
    });
    assert.ok(demo.statusCode === 201 || demo.statusCode === 409, `demo room: ${demo.statusCode} ${await demo.body.text()}`);

    mkdirSync(join(folder, '.floodgate'));
    // A reader runs the blocks in the checkout, whose packages (jose in the tour) they can import.
    symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules'));
    writeFileSync(join(folder, '.floodgate', 'env'), `${exportLines(upEnv)}\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) {
      if (name.startsWith('TEST_') || name === 'NODE_TEST_CONTEXT' || name.startsWith('REDIS_')) delete env[name];
    }
    Object.assign(env, upEnv);
    // `npx floodgate` is this checkout's source, whatever the folder the block runs in.
    const prelude = `set -e -o pipefail
npx() {
  if [ "$1" = floodgate ]; then shift; node --import ${JSON.stringify(import.meta.resolve('tsx'))} ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))} "$@"
  else command npx "$@"; fi
}
`;
    const result = await session(prelude, blocks, folder, env);
    if (result.completed < blocks.length) {
      const failed = blocks[result.completed]!;
      const why =
        result.signal === 'SIGKILL'
          ? `was killed after ${BLOCK_TIMEOUT_MS / 1000} s without finishing`
          : `exited ${result.code ?? result.signal}`;
      assert.fail(
        `README.md:${failed.line}: the block ${why}\n--- block\n${failed.code}\n--- its output\n${result.outputs[result.completed]}`,
      );
    }
    assert.equal(result.code, 0, result.outputs.join(''));
  });
});
