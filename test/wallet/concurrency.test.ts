import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { wallet } from '../../src/wallet/definition.js';
import { deletePrefix, type Instance, startInstance, testPrefix, uniqueId } from '../helpers.js';
import { assertLedgerHolds, createPartner, deadlocks, newKey, storedBalance, type WalletClient, walletClient } from './helpers.js';

/** Batches run again because of a deadlock or serialization failure, in both instances (expected: none). */
async function lockRetries(instances: Instance[]): Promise<number> {
  let total = 0;
  for (const i of instances) {
    const metric = await i.ctx.infra.metrics.registry.getSingleMetric('floodgate_wallet_batch_retries_total')!.get();
    total += metric.values.filter((v) => v.labels.reason === 'lock').reduce((n, v) => n + v.value, 0);
  }
  return total;
}

describe('wallet under concurrency: two instances, no deadlock, nothing lost or applied twice', () => {
  const prefix = testPrefix();
  const clock = {
    at: Date.now(),
    now() {
      return this.at;
    },
  } satisfies Clock & { at: number };
  let first: Instance;
  let second: Instance;
  let apis: [WalletClient, WalletClient];
  let partnerId: string;
  let deadlocksBefore: number;
  const pool = () => first.ctx.infra.pool;

  before(async () => {
    first = await startInstance({ redisPrefix: prefix }, { background: false, clock });
    second = await startInstance({ redisPrefix: prefix }, { background: false, clock });
    const partner = await createPartner(first.app, 'concurrent');
    partnerId = partner.partnerId;
    apis = [walletClient(first.app, partner.apiKey), walletClient(second.app, partner.apiKey)];
    deadlocksBefore = await deadlocks(pool());
  });
  after(async () => {
    await Promise.all([first.close(), second.close()]);
    await deletePrefix(prefix);
  });

  const api = (i: number) => apis[i % 2]!;

  it("seed 002's case: 1,000 transfers A→B and 1,000 B→A at once, on two instances", async () => {
    const [a, b] = [uniqueId('a'), uniqueId('b')];
    await api(0).earn(a, { points: 5_000 });
    await api(1).earn(b, { points: 5_000 });
    const results = await Promise.all(
      Array.from({ length: 2_000 }, (_, i) => (i % 2 === 0 ? api(i >> 1).transfer(a, b, 3) : api(i >> 1).transfer(b, a, 3))),
    );
    assert.deepEqual(
      results.filter((r) => r.status !== 201),
      [],
    );
    assert.equal(await storedBalance(pool(), partnerId, a), 5_000);
    assert.equal(await storedBalance(pool(), partnerId, b), 5_000);
    await assertLedgerHolds(pool(), partnerId);
  });

  it('and on 200 distinct pairs at once, each both ways', async () => {
    const pairs = Array.from({ length: 200 }, () => [uniqueId('p'), uniqueId('q')] as const);
    await Promise.all(pairs.flatMap(([p, q], i) => [api(i).earn(p, { points: 100 }), api(i + 1).earn(q, { points: 100 })]));
    const results = await Promise.all(
      pairs.flatMap(([p, q], i) => [api(i).transfer(p, q, 7), api(i + 1).transfer(q, p, 7), api(i + 1).transfer(p, q, 2)]),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 600);
    for (const [p, q] of pairs.slice(0, 20)) {
      assert.equal(await storedBalance(pool(), partnerId, p), 98);
      assert.equal(await storedBalance(pool(), partnerId, q), 102);
    }
    await assertLedgerHolds(pool(), partnerId);
  });

  it('a ring of 50 wallets, each sending to the next, 20 rounds at once', async () => {
    const ring = Array.from({ length: 50 }, () => uniqueId('ring'));
    await Promise.all(ring.map((u, i) => api(i).earn(u, { points: 1_000 })));
    const results = await Promise.all(
      Array.from({ length: 20 * ring.length }, (_, n) => {
        const i = n % ring.length;
        return api(n).transfer(ring[i]!, ring[(i + 1) % ring.length]!, 10);
      }),
    );
    assert.equal(results.filter((r) => r.status === 201).length, 1_000);
    for (const u of ring) assert.equal(await storedBalance(pool(), partnerId, u), 1_000);
    await assertLedgerHolds(pool(), partnerId);
  });

  it('one hot wallet paid by 500 wallets while it pays them back', async () => {
    const hot = uniqueId('hot');
    const others = Array.from({ length: 500 }, () => uniqueId('o'));
    await api(0).earn(hot, { points: 10_000 });
    await Promise.all(others.map((u, i) => api(i).earn(u, { points: 10 })));
    const results = await Promise.all(others.flatMap((u, i) => [api(i).transfer(u, hot, 4), api(i + 1).transfer(hot, u, 4)]));
    assert.equal(results.filter((r) => r.status === 201).length, 1_000);
    assert.equal(await storedBalance(pool(), partnerId, hot), 10_000);
    await assertLedgerHolds(pool(), partnerId);
  });

  it('the same key sent 20 times at once, to both instances: applied once, one answer', async () => {
    const user = uniqueId('dup');
    await api(0).earn(user, { points: 1_000 });
    for (let round = 0; round < 5; round++) {
      const key = newKey();
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => api(i).spend(user, 10, key)));
      for (const a of answers) {
        assert.equal(a.status, 201, JSON.stringify(a.body));
        assert.deepEqual(a.body, answers[0]!.body);
      }
      // and afterwards, from the stored answer
      assert.deepEqual((await api(round).spend(user, 10, key)).body, answers[0]!.body);
    }
    assert.equal(await storedBalance(pool(), partnerId, user), 950);
    const spends = await pool().query<{ n: number }>(
      `SELECT count(*)::int AS n FROM wallet_transactions WHERE kind = 'spend' AND account_id =
         (SELECT id FROM wallet_accounts WHERE partner_id = $1 AND user_id = $2)`,
      [partnerId, user],
    );
    assert.equal(spends.rows[0]!.n, 5);
    // 50 keys × 10 copies, all at once, half on each instance
    const keys = Array.from({ length: 50 }, newKey);
    const answers = await Promise.all(keys.flatMap((key, k) => Array.from({ length: 10 }, (_, i) => api(i + k).spend(user, 1, key))));
    assert.equal(answers.filter((a) => a.status === 201).length, 500);
    assert.equal(new Set(answers.map((a) => a.body.transactionId)).size, 50);
    assert.equal(await storedBalance(pool(), partnerId, user), 900);
  });

  it('expiry run by both instances at once: each lot expired exactly once', async () => {
    const users = Array.from({ length: 300 }, () => uniqueId('exp'));
    await Promise.all(users.map((u, i) => api(i).earn(u, { points: 10 + (i % 7), expiresInDays: 1 })));
    await Promise.all(users.map((u, i) => api(i).earn(u, { points: 3, expiresInDays: 1 })));
    clock.at += 86_400_000;
    const expiry = (i: Instance) => i.ctx.get(wallet).loops.find((l) => l.name === 'wallet-expiry')!;
    await Promise.all([expiry(first).step(), expiry(second).step(), expiry(first).step(), expiry(second).step()]);
    const { rows } = await pool().query<{ lots: number; expired_once: number; remaining: number }>(
      `SELECT count(*)::int AS lots,
              count(*) FILTER (WHERE (SELECT count(*) FROM wallet_postings p JOIN wallet_transactions t ON t.id = p.transaction_id
                                       WHERE p.lot_id = l.id AND t.kind = 'expiry') = 1)::int AS expired_once,
              sum(l.remaining)::int AS remaining
         FROM wallet_lots l JOIN wallet_accounts a ON a.id = l.account_id
        WHERE a.partner_id = $1 AND a.user_id = ANY($2)`,
      [partnerId, users],
    );
    assert.deepEqual(rows[0], { lots: 600, expired_once: 600, remaining: 0 });
    for (const u of users.slice(0, 10)) assert.equal(await storedBalance(pool(), partnerId, u), 0);
    await assertLedgerHolds(pool(), partnerId);
  });

  it('no deadlock anywhere above, and no batch ran twice for one', async () => {
    assert.equal((await deadlocks(pool())) - deadlocksBefore, 0);
    assert.equal(await lockRetries([first, second]), 0);
  });
});
