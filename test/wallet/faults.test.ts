import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import type { Pool } from '../../src/db/pool.js';
import { pooled } from '../claims/helpers.js';
import { ADMIN_TOKEN, deletePrefix, eventually, killServe, startInstance, startServe, testPrefix, uniqueId } from '../helpers.js';
import { TcpProxy } from '../tcp-proxy.js';
import { assertLedgerHolds, createPartner, newKey, walletClient } from './helpers.js';

interface Sent {
  key: string;
  body: { from: string; to: string; points: number; reason: string };
  status: number | 'error';
  answer?: unknown;
}

/** Every key of the partner was applied at most once: one stored answer per key, one transaction per applied answer. */
async function assertEachKeyOnce(pool: Pool, partnerId: string, keys: number): Promise<void> {
  const { rows } = await pool.query<{ requests: number; applied: number; transactions: number; linked: number }>(
    `SELECT (SELECT count(*) FROM wallet_requests WHERE partner_id = $1)::int AS requests,
            (SELECT count(*) FROM wallet_requests WHERE partner_id = $1 AND refused IS NULL)::int AS applied,
            (SELECT count(*) FROM wallet_transactions WHERE partner_id = $1)::int AS transactions,
            (SELECT count(DISTINCT r.transaction_id) FROM wallet_requests r JOIN wallet_transactions t ON t.id = r.transaction_id
              WHERE r.partner_id = $1)::int AS linked`,
    [partnerId],
  );
  const r = rows[0]!;
  assert.equal(r.requests, keys, 'one stored answer per key');
  assert.equal(r.transactions, r.applied, 'one transaction per applied key');
  assert.equal(r.linked, r.applied, 'each applied key names its own transaction');
}

describe('wallet under faults: every 2xx durable, nothing applied twice', () => {
  const prefixes: string[] = [];
  after(async () => {
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  it('a serve process killed with SIGKILL mid-burst, restarted, every request retried with its key', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const post = async (path: string, body: object, headers: Record<string, string>) => {
      const res = await request(`${origin}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, unknown> };
    };

    let server = await startServe(prefix);
    const { origin } = server;
    const ctx = (await startInstance({ redisPrefix: prefix }, { background: false })).ctx;
    try {
      const { apiKey, partnerId } = (await post('/v1/partners', { name: 'kill' }, { authorization: `Bearer ${ADMIN_TOKEN}` })).body as {
        apiKey: string;
        partnerId: string;
      };
      const auth = { 'x-api-key': apiKey };
      const users = Array.from({ length: 40 }, () => uniqueId('k'));
      for (const u of users)
        assert.equal(
          (await post(`/v1/wallets/${u}/earn`, { points: 500, reason: 'seed' }, { ...auth, 'idempotency-key': newKey() })).status,
          201,
        );

      const sent: Sent[] = Array.from({ length: 2_000 }, (_, i) => ({
        key: newKey(),
        body: { from: users[i % 40]!, to: users[(i * 7 + 3) % 40]!, points: 1 + (i % 5), reason: 'burst' },
        status: 'error',
      }));
      const valid = sent.filter((s) => s.body.from !== s.body.to);
      let confirmed = 0;
      let killed = false;
      await pooled(
        valid.map((s) => async () => {
          try {
            const r = await post('/v1/wallets/transfers', s.body, { ...auth, 'idempotency-key': s.key });
            s.status = r.status;
            s.answer = r.body;
            if (r.status === 201 && ++confirmed >= 300 && !killed) {
              killed = true;
              server.child.kill('SIGKILL');
            }
          } catch {
            // the connection died with the process
          }
        }),
        100,
      );
      assert.ok(killed, 'the process was killed mid-burst');
      await killServe(server);
      const before = valid.filter((s) => s.status === 201);
      const unanswered = valid.filter((s) => s.status === 'error');
      assert.ok(unanswered.length > 0, 'some requests were cut off by the kill');

      // every 2xx is there, before anything is retried
      const stored = await ctx.infra.pool.query<{ idempotency_key: string; answer: string }>(
        'SELECT idempotency_key, answer FROM wallet_requests WHERE partner_id = $1 AND idempotency_key = ANY($2)',
        [partnerId, before.map((s) => s.key)],
      );
      assert.equal(stored.rowCount, before.length, 'every 201 is durable');
      await assertLedgerHolds(ctx.infra.pool, partnerId);

      // the clients retry everything with the same keys, on the restarted process
      server = await startServe(prefix, { port: server.port });
      const retried = await pooled(
        valid.map((s) => () => post('/v1/wallets/transfers', s.body, { ...auth, 'idempotency-key': s.key })),
        50,
      );
      valid.forEach((s, i) => {
        const again = retried[i]!;
        assert.notEqual(again.status, 503, JSON.stringify(again.body));
        if (s.status !== 'error') {
          assert.equal(again.status, s.status, 'a retry answers what the first answer said');
          assert.deepEqual(again.body, s.answer);
        }
        if (s.status === 201) assert.equal(again.headers['idempotent-replayed'], 'true');
      });
      await assertEachKeyOnce(ctx.infra.pool, partnerId, valid.length + users.length);
      const total = await ctx.infra.pool.query<{ sum: number }>(
        'SELECT sum(balance)::bigint AS sum FROM wallet_balances WHERE partner_id = $1',
        [partnerId],
      );
      assert.equal(total.rows[0]!.sum, 40 * 500, 'transfers move points, never make or lose them');
      await assertLedgerHolds(ctx.infra.pool, partnerId);
    } finally {
      await killServe(server);
      await ctx.close();
    }
  });

  it('PostgreSQL unreachable mid-burst: 503, nothing half-applied; retried with their keys, applied once', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const target = new URL(process.env.TEST_DATABASE_URL!);
    const proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
    const instance = await startInstance(
      { redisPrefix: prefix, databaseUrl: proxy.url(process.env.TEST_DATABASE_URL!) },
      { background: false },
    );
    try {
      const { apiKey, partnerId } = await createPartner(instance.app, 'cut');
      const api = walletClient(instance.app, apiKey);
      const [a, b] = [uniqueId('a'), uniqueId('b')];
      await api.earn(a, { points: 1_000 });
      await api.earn(b, { points: 1_000 });
      const keys = Array.from({ length: 400 }, newKey);
      const transfer = (i: number) => (i % 2 ? api.transfer(a, b, 3, keys[i]) : api.transfer(b, a, 2, keys[i]));
      let confirmed = 0;
      const first = await pooled(
        keys.map((_, i) => async () => {
          const r = await transfer(i);
          if (r.status === 201 && ++confirmed === 50) proxy.down();
          return r;
        }),
        40,
      );
      assert.ok(
        first.every((r) => r.status === 201 || r.status === 503),
        JSON.stringify(first.find((r) => r.status !== 201 && r.status !== 503)),
      );
      assert.ok(
        first.some((r) => r.status === 503),
        'the cut was felt',
      );
      assert.ok(first.filter((r) => r.status === 201).length >= 50);
      proxy.up();
      const again = await eventually(
        async () => {
          const answers = await Promise.all(keys.map((_, i) => transfer(i)));
          return answers.every((r) => r.status === 201) ? answers : undefined;
        },
        15_000,
        250,
      );
      first.forEach((r, i) => {
        if (r.status === 201) assert.deepEqual(again[i]!.body, r.body);
      });
      const pool = instance.ctx.infra.pool;
      await assertEachKeyOnce(pool, partnerId, keys.length + 2);
      const balances = await pool.query<{ user_id: string; balance: number }>(
        'SELECT user_id, balance FROM wallet_balances WHERE partner_id = $1 ORDER BY user_id = $2 DESC',
        [partnerId, a],
      );
      assert.deepEqual(
        balances.rows.map((r) => r.balance),
        [1_000 - 200 * 3 + 200 * 2, 1_000 + 200 * 3 - 200 * 2],
      );
      await assertLedgerHolds(pool, partnerId);
    } finally {
      await instance.close();
      await proxy.close();
    }
  });
});
