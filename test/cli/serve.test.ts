import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { request } from 'undici';
import { ADMIN_TOKEN, cliEnv, deletePrefix, eventually, freePort, testPrefix, uniqueId } from '../helpers.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

describe('floodgate CLI', () => {
  const prefix = testPrefix();
  const env = cliEnv(prefix);
  after(() => deletePrefix(prefix));

  it('migrate is idempotent', async () => {
    await run(process.execPath, [...CLI, 'migrate'], { env });
    const { stdout } = await run(process.execPath, [...CLI, 'migrate'], { env });
    assert.match(stdout, /up to date/);
  });

  it('refuses a bad configuration with a clear message', async () => {
    await assert.rejects(
      run(process.execPath, [...CLI, 'migrate'], { env: { ...env, REDIS_URL: 'http://x' } }),
      (err: { stderr: string }) => {
        assert.match(err.stderr, /configuration error: REDIS_URL must start with redis:/);
        return true;
      },
    );
  });

  it('serve answers, and on SIGTERM drains: readiness fails, in-flight requests finish, exit 0', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [...CLI, 'serve', '--drain-seconds', '3'], {
      env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const base = `http://127.0.0.1:${port}`;
    try {
      await eventually(async () => ((await request(`${base}/readyz`)).statusCode === 200 ? true : undefined), 15_000, 200);
      const roomId = uniqueId('cli');
      const created = await request(`${base}/v1/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id: roomId, admitPerSecond: 10, maxActive: 10, sessionSeconds: 60 }),
      });
      assert.equal(created.statusCode, 201);

      const burst = Array.from({ length: 200 }, (_, i) =>
        request(`${base}/v1/rooms/${roomId}/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ userId: `u${i}` }),
        }).then(async (r) => {
          await r.body.text();
          return r.statusCode;
        }),
      );
      child.kill('SIGTERM');
      const statuses = await Promise.allSettled(burst);
      const answered = statuses.filter((s) => s.status === 'fulfilled').map((s) => s.value);
      assert.ok(answered.length > 0);
      for (const status of answered) assert.ok(status === 201 || status === 503, `status ${status}`);

      // during the drain period the instance still answers, but says it is not ready
      const readiness = await request(`${base}/readyz`);
      assert.equal(readiness.statusCode, 503);
      await readiness.body.text();

      const [code] = await once(child, 'exit');
      assert.equal(code, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
