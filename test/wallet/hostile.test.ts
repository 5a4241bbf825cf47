import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { MAX_BALANCE, MAX_POINTS } from '../../src/wallet/domain/ledger.js';
import { admin, uniqueId, useInstance } from '../helpers.js';
import { assertLedgerHolds, createPartner, newKey, type WalletClient, walletClient } from './helpers.js';

describe('wallet: hostile input is refused and changes nothing', () => {
  const instance = useInstance({}, { background: false });
  let api: WalletClient;
  let other: WalletClient;
  let apiKey: string;
  let partnerId: string;
  const user = uniqueId('victim');

  /** Transactions, lots and stored answers of the partner: what any accepted write adds to. */
  const footprint = async () =>
    (
      await instance.ctx.infra.pool.query<{ t: number; l: number; r: number }>(
        `SELECT (SELECT count(*) FROM wallet_transactions WHERE partner_id = $1)::int AS t,
                (SELECT count(*) FROM wallet_lots l JOIN wallet_accounts a ON a.id = l.account_id WHERE a.partner_id = $1)::int AS l,
                (SELECT count(*) FROM wallet_requests WHERE partner_id = $1)::int AS r`,
        [partnerId],
      )
    ).rows[0]!;

  before(async () => {
    const partner = await createPartner(instance.app, 'target');
    ({ apiKey, partnerId } = partner);
    api = walletClient(instance.app, apiKey);
    other = walletClient(instance.app, (await createPartner(instance.app, 'intruder')).apiKey);
    assert.equal((await api.earn(user, { points: 100 })).status, 201);
  });

  it('points: negative, zero, fractional, huge, strings, missing → 400', async () => {
    const before = await footprint();
    const bad: unknown[] = [-1, 0, 1.5, MAX_POINTS + 1, 1e30, Number.MAX_SAFE_INTEGER + 2, '10', null, true, [5], { n: 5 }];
    for (const points of bad) {
      for (const call of [
        () => api.post(`/v1/wallets/${user}/earn`, { points, reason: 'x' }),
        () => api.post(`/v1/wallets/${user}/spend`, { points, reason: 'x' }),
        () => api.post('/v1/wallets/transfers', { from: user, to: 'someone', points, reason: 'x' }),
        () => api.post(`/v1/wallets/${user}/holds`, { points, expiresInSeconds: 10 }),
      ]) {
        const r = await call();
        assert.equal(r.status, 400, `points ${JSON.stringify(points)}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error.code, 'invalid_request');
      }
    }
    for (const body of [{ reason: 'x' }, { points: 5 }, { points: 5, reason: '' }, { points: 5, reason: 'x', extra: 1 }]) {
      assert.equal((await api.post(`/v1/wallets/${user}/spend`, body)).status, 400, JSON.stringify(body));
    }
    assert.deepEqual(await footprint(), before);
    assert.equal((await api.get(user)).body.balance, 100);
  });

  it('expiries, hold times, reasons and user ids out of bounds → 400', async () => {
    const before = await footprint();
    const cases: Array<[string, object]> = [
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x', expiresAt: '2001-01-01T00:00:00Z' }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x', expiresAt: '2999-01-01T00:00:00Z' }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x', expiresAt: 'tomorrow' }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x', expiresInDays: 0 }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x', expiresInDays: 3651 }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x', expiresInDays: 2, expiresAt: '2999-01-01T00:00:00Z' }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'x'.repeat(201) }],
      [`/v1/wallets/${user}/earn`, { points: 1, reason: 'bell\u0007' }],
      [`/v1/wallets/${user}/holds`, { points: 1, expiresInSeconds: 0 }],
      [`/v1/wallets/${user}/holds`, { points: 1, expiresInSeconds: 7 * 86_400 + 1 }],
      [`/v1/wallets/${user}/holds`, { points: 1 }],
      ['/v1/wallets/transfers', { from: user, to: user, points: 1, reason: 'x' }],
      ['/v1/wallets/transfers', { from: user, to: 'x'.repeat(129), points: 1, reason: 'x' }],
      ['/v1/wallets/transfers', { from: user, to: 'tab\tuser', points: 1, reason: 'x' }],
      [`/v1/wallets/${'y'.repeat(129)}/earn`, { points: 1, reason: 'x' }],
      ['/v1/wallets/esc%1B/earn', { points: 1, reason: 'x' }],
    ];
    for (const [url, body] of cases) {
      const r = await api.post(url, body);
      assert.equal(r.status, 400, `${url} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    assert.deepEqual(await footprint(), before);
  });

  it('Idempotency-Key: missing, too long, not printable ASCII → 400', async () => {
    const before = await footprint();
    for (const key of [null, '', 'k'.repeat(256), 'with space', 'é-key']) {
      const r = await api.post(`/v1/wallets/${user}/earn`, { points: 1, reason: 'x' }, key);
      assert.equal(r.status, 400, `key ${JSON.stringify(key)}: ${JSON.stringify(r.body)}`);
    }
    assert.deepEqual(await footprint(), before);
  });

  it('credentials: none, wrong, or the admin token on a write → 401', async () => {
    for (const headers of [{}, { 'x-api-key': 'fgk_nope' }, admin]) {
      const res = await instance.app.inject({
        method: 'POST',
        url: `/v1/wallets/${user}/spend`,
        headers: { ...headers, 'idempotency-key': newKey() },
        payload: { points: 1, reason: 'x' },
      });
      assert.equal(res.statusCode, 401, JSON.stringify(headers));
      assert.equal((await instance.app.inject({ url: `/v1/wallets/${user}`, headers })).statusCode, headers === admin ? 400 : 401);
    }
  });

  it('unknown wallets, holds and transactions → 404; ids that are not ids → 400', async () => {
    const nobody = uniqueId('nobody');
    assert.equal((await api.spend(nobody, 1)).body.error.code, 'wallet_not_found');
    assert.equal((await api.hold(nobody, 1)).body.error.code, 'wallet_not_found');
    assert.equal((await api.get(nobody)).status, 404);
    assert.equal((await api.capture('987654321098')).body.error.code, 'hold_not_found');
    assert.equal((await api.void('987654321098')).body.error.code, 'hold_not_found');
    assert.equal((await api.reverse('987654321098')).body.error.code, 'transaction_not_found');
    for (const id of ['abc', '0', '-1', '01', '99999999999999999', '1.5']) {
      assert.equal((await api.capture(id)).status, 400, id);
      assert.equal((await api.reverse(id)).status, 400, id);
    }
    assert.equal((await api.history(user, '?limit=0')).status, 400);
    assert.equal((await api.history(user, '?limit=101')).status, 400);
    assert.equal((await api.history(user, '?cursor=x')).status, 400);
  });

  it("another partner's wallets, holds and transactions are out of reach", async () => {
    const hold = await api.hold(user, 10);
    const spend = await api.spend(user, 5);
    const earn = await api.earn(user, { points: 1 });
    const before = await footprint();
    // The same user id is another wallet for another partner: empty, not this one.
    assert.equal((await other.get(user)).status, 404);
    assert.equal((await other.spend(user, 1)).body.error.code, 'wallet_not_found');
    assert.equal((await other.capture(hold.body.holdId)).body.error.code, 'hold_not_found');
    assert.equal((await other.void(hold.body.holdId)).body.error.code, 'hold_not_found');
    assert.equal((await other.reverse(spend.body.transactionId)).body.error.code, 'transaction_not_found');
    assert.equal((await other.reverse(earn.body.transactionId)).body.error.code, 'transaction_not_found');
    assert.equal((await other.history(user)).status, 404);
    assert.deepEqual(await footprint(), before);
    const mine = (await api.get(user)).body;
    assert.deepEqual([mine.balance, mine.held], [86, 10]);
    assert.equal((await api.void(hold.body.holdId)).status, 201);
  });

  it('a wallet never holds more than the limit', async () => {
    const rich = uniqueId('rich');
    const earns = await Promise.all(Array.from({ length: MAX_BALANCE / MAX_POINTS }, () => api.earn(rich, { points: MAX_POINTS })));
    assert.ok(earns.every((r) => r.status === 201));
    const over = await api.earn(rich, { points: 1 });
    assert.equal(over.status, 409);
    assert.equal(over.body.error.code, 'balance_limit');
    assert.equal((await api.transfer(user, rich, 1)).body.error.code, 'balance_limit');
  });

  it('user ids that look like routes, or need escaping, are wallets like any other', async () => {
    for (const name of ['transfers', 'holds', 'transactions', 'a/b', 'ünï cödé', '🙂', 'q"uote\\back{,}NULL', 'NULL']) {
      const r = await api.earn(name, { points: 2 });
      assert.equal(r.status, 201, `${name}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.userId, name);
      const view = await api.get(name);
      assert.equal(view.status, 200, name);
      assert.equal(view.body.userId, name);
      assert.equal((await api.spend(name, 1)).status, 201, name);
      // texts travel to PostgreSQL as array literals: quotes, backslashes, braces and commas arrive intact
      const reason = `say "hi" \\ {a,b} NULL ${name}`;
      assert.equal((await api.post(`/v1/wallets/${encodeURIComponent(name)}/spend`, { points: 1, reason })).status, 201);
      assert.equal((await api.history(name)).body.transactions[0].reason, reason);
    }
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });
});
