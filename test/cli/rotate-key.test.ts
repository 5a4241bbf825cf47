import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { KEY_ACTIVATION_DELAY_SECONDS } from '../../src/tokens/keystore.js';
import { cliEnv, deletePrefix, testPrefix, useInstance } from '../helpers.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;

describe('floodgate rotate-key', () => {
  const instance = useInstance({}, { background: false });
  const prefix = testPrefix();
  const db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1 });
  let initial: { signing: string; trusted: string[] };
  before(() => {
    initial = { signing: instance.ctx.keystore.signing.kid, trusted: [...instance.ctx.keystore.publicKeys.keys()] };
  });
  after(async () => {
    await db.end();
    await deletePrefix(prefix);
  });

  const jwksKids = async (): Promise<string[]> => {
    const res = await instance.app.inject({ method: 'GET', url: '/.well-known/jwks.json' });
    return (res.json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
  };
  const issue = () =>
    instance.ctx.infra.access.issue({
      roomId: 'r1',
      userId: 'alice',
      ticketId: '1.x',
      extensions: 0,
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });

  let newKid = '';

  it('publishes a new key and exits (its one connection runs the rotation under the lock)', async () => {
    // It used to wait for ever on its pool's only connection, which the advisory lock held.
    const { stdout } = await run(process.execPath, [...CLI, 'rotate-key'], { env: cliEnv(prefix), timeout: 20_000 });
    newKid = /published signing key (\S+):/.exec(stdout)?.[1] ?? '';
    assert.ok(newKid, stdout);
    assert.match(stdout, new RegExp(`until then ${initial.signing} signs`));
    const { rows } = await db.query<{ kid: string; retired_at: Date | null; activates_in: number }>(
      `SELECT kid, retired_at, extract(epoch FROM created_at + make_interval(secs => $1) - now())::float AS activates_in
         FROM signing_keys WHERE retired_at IS NULL OR retired_at > now()`,
      [KEY_ACTIVATION_DELAY_SECONDS],
    );
    const fresh = rows.find((r) => r.kid === newKid);
    assert.ok(fresh, 'the new key is stored');
    assert.equal(fresh.retired_at, null);
    assert.ok(fresh.activates_in > KEY_ACTIVATION_DELAY_SECONDS - 60, `activates in ${fresh.activates_in} s`);
    // The key it replaces signs until the new one is active, and not after.
    const replaced = rows.find((r) => r.kid === initial.signing);
    assert.ok(replaced?.retired_at, 'the previous key has its retirement set');
  });

  it('a running instance publishes the new key at its next reload, and keeps signing with the old one until it is active', async () => {
    assert.ok(!(await jwksKids()).includes(newKid), 'not before the reload');
    assert.equal(await instance.ctx.keys.reload(), true);
    assert.ok((await jwksKids()).includes(newKid), 'in the JWKS after the reload');
    assert.equal(kidOf(issue()), initial.signing, 'an origin may not know the new key yet: it does not sign');
  });

  it('once the new key is active, the instance signs with it and still accepts tokens of the old one', async () => {
    const old = issue();
    // The activation delay passes: every key's times move back by it (one clock: PostgreSQL's).
    await db.query(
      `UPDATE signing_keys SET created_at = created_at - make_interval(secs => $1), retired_at = retired_at - make_interval(secs => $1)`,
      [KEY_ACTIVATION_DELAY_SECONDS + 1],
    );
    assert.equal(await instance.ctx.keys.reload(), true);
    const fresh = issue();
    assert.equal(kidOf(fresh), newKid);
    assert.equal(instance.ctx.infra.access.verifyOffline(fresh, 'r1')?.userId, 'alice');
    assert.equal(instance.ctx.infra.access.verifyOffline(old, 'r1')?.userId, 'alice', 'the old key stays trusted');
    assert.ok((await jwksKids()).includes(initial.signing), 'and published');
    assert.equal(await instance.ctx.keys.reload(), false, 'nothing changed since');
  });
});
