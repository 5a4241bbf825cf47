import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { wallet } from '../../src/wallet/definition.js';
import { admin, uniqueId, useInstance } from '../helpers.js';
import { assertLedgerHolds, createPartner, newKey, type WalletClient, walletClient } from './helpers.js';

const DAY = 86_400_000;

/** A clock the tests move by hand (expiries, hold timeouts). */
const clock = {
  at: Date.parse('2030-01-01T00:00:00Z'),
  now() {
    return this.at;
  },
} satisfies Clock & { at: number };

describe('wallet: earn, spend, lots, holds, reversals', () => {
  const instance = useInstance({}, { background: false, clock });
  let api: WalletClient;
  let partnerId: string;
  const step = async (name: string) => {
    const loop = instance.ctx.get(wallet).loops.find((l) => l.name === name)!;
    return loop.step();
  };

  before(async () => {
    const partner = await createPartner(instance.app, 'ledger');
    partnerId = partner.partnerId;
    api = walletClient(instance.app, partner.apiKey);
  });

  it('earn opens a lot; spend takes the soonest-expiring lots first, a lot in part', async () => {
    const user = uniqueId('u');
    const late = await api.earn(user, { points: 100, expiresInDays: 30 });
    assert.equal(late.status, 201, JSON.stringify(late.body));
    assert.equal(late.body.balance, 100);
    assert.equal(late.body.expiresAt, new Date(clock.at + 30 * DAY).toISOString());
    const soon = await api.earn(user, { points: 50, expiresInDays: 10 });
    const never = await api.earn(user, { points: 20 });
    assert.equal(never.body.expiresAt, null);
    assert.equal(never.body.balance, 170);

    const spend = await api.spend(user, 70);
    assert.equal(spend.status, 201, JSON.stringify(spend.body));
    assert.equal(spend.body.balance, 100);
    assert.deepEqual(
      spend.body.lots.map((l: { lotId: string; points: number }) => [l.lotId, l.points]),
      [
        [soon.body.lotId, 50],
        [late.body.lotId, 20],
      ],
    );
    const view = await api.get(user);
    assert.equal(view.status, 200);
    assert.deepEqual(
      { balance: view.body.balance, held: view.body.held, expiring: view.body.expiring },
      { balance: 100, held: 0, expiring: [{ points: 80, expiresAt: late.body.expiresAt }] },
    );
    assert.deepEqual(
      view.body.lots.map((l: { lotId: string; remaining: number }) => [l.lotId, l.remaining]),
      [
        [late.body.lotId, 80],
        [never.body.lotId, 20],
      ],
    );

    const short = await api.spend(user, 101);
    assert.equal(short.status, 409);
    assert.equal(short.body.error.code, 'insufficient_points');
    assert.equal(short.body.error.balance, 100);
    assert.equal(short.body.error.requested, 101);
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });

  it('a transfer moves points with their expiry, into one received lot per expiry', async () => {
    const [a, b] = [uniqueId('a'), uniqueId('b')];
    const first = await api.earn(a, { points: 30, expiresInDays: 5 });
    await api.earn(a, { points: 30, expiresInDays: 9 });
    const t1 = await api.transfer(a, b, 40);
    assert.equal(t1.status, 201, JSON.stringify(t1.body));
    assert.deepEqual(t1.body.from, { userId: a, balance: 20 });
    assert.deepEqual(t1.body.to, { userId: b, balance: 40 });
    const t2 = await api.transfer(a, b, 5);
    assert.equal(t2.body.to.balance, 45);
    const view = (await api.get(b)).body;
    assert.deepEqual(
      view.lots.map((l: { kind: string; remaining: number; expiresAt: string }) => [l.kind, l.remaining, l.expiresAt]),
      [
        ['received', 30, first.body.expiresAt],
        ['received', 15, new Date(clock.at + 9 * DAY).toISOString()],
      ],
    );
    const refused = await api.transfer(a, b, 16);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'insufficient_points');
    const toSelf = await api.transfer(a, a, 1);
    assert.equal(toSelf.status, 400);
    const fromNobody = await api.transfer(uniqueId('nobody'), b, 1);
    assert.equal(fromNobody.status, 404);
    assert.equal(fromNobody.body.error.code, 'wallet_not_found');
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });

  it('reversing a spend gives the points back to their very lots and expiries, in parts', async () => {
    const user = uniqueId('r');
    const soon = await api.earn(user, { points: 10, expiresInDays: 3 });
    const late = await api.earn(user, { points: 10, expiresInDays: 20 });
    const spend = await api.spend(user, 15);
    assert.equal(spend.body.balance, 5);
    const part = await api.reverse(spend.body.transactionId, 4);
    assert.equal(part.status, 201, JSON.stringify(part.body));
    // the last taken (latest-expiring) come back first
    assert.deepEqual(
      part.body.lots.map((l: { lotId: string; points: number }) => [l.lotId, l.points]),
      [[late.body.lotId, 4]],
    );
    assert.equal(part.body.balance, 9);
    const tooMuch = await api.reverse(spend.body.transactionId, 12);
    assert.equal(tooMuch.status, 409);
    assert.equal(tooMuch.body.error.code, 'exceeds_reversible');
    assert.equal(tooMuch.body.error.reversible, 11);
    const rest = await api.reverse(spend.body.transactionId);
    assert.equal(rest.status, 201);
    assert.equal(rest.body.reversed, 11);
    assert.deepEqual(
      rest.body.lots.map((l: { lotId: string; points: number; expiresAt: string }) => [l.lotId, l.points, l.expiresAt]),
      [
        [late.body.lotId, 1, late.body.expiresAt],
        [soon.body.lotId, 10, soon.body.expiresAt],
      ],
    );
    const view = (await api.get(user)).body;
    assert.equal(view.balance, 20);
    assert.deepEqual(
      view.lots.map((l: { lotId: string; remaining: number }) => [l.lotId, l.remaining]),
      [
        [soon.body.lotId, 10],
        [late.body.lotId, 10],
      ],
    );
    const again = await api.reverse(spend.body.transactionId);
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'nothing_to_reverse');
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });

  it('reversing an earn takes back only what is unspent, and says how much', async () => {
    const user = uniqueId('e');
    const earn = await api.earn(user, { points: 50, expiresInDays: 10 });
    await api.earn(user, { points: 10, expiresInDays: 20 });
    await api.spend(user, 35); // 35 of the earn's 50
    const reversal = await api.reverse(earn.body.transactionId);
    assert.equal(reversal.status, 201, JSON.stringify(reversal.body));
    assert.equal(reversal.body.kind, 'earn');
    assert.equal(reversal.body.requested, 50);
    assert.equal(reversal.body.reversed, 15);
    assert.equal(reversal.body.balance, 10);
    const nothing = await api.reverse(earn.body.transactionId);
    assert.equal(nothing.status, 409);
    assert.equal(nothing.body.error.code, 'nothing_to_reverse');
    const transfer = await api.transfer(user, uniqueId('x'), 1);
    const notReversible = await api.reverse(transfer.body.transactionId);
    assert.equal(notReversible.status, 409);
    assert.equal(notReversible.body.error.code, 'not_reversible');
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });

  it('holds: unavailable but not spent; capture all or part (the rest goes back), void, timeout', async () => {
    const user = uniqueId('h');
    await api.earn(user, { points: 100, expiresInDays: 10 });
    const hold = await api.hold(user, 60, 30);
    assert.equal(hold.status, 201, JSON.stringify(hold.body));
    assert.equal(hold.body.balance, 40);
    let view = (await api.get(user)).body;
    assert.deepEqual([view.balance, view.held], [40, 60]);
    assert.equal((await api.spend(user, 41)).body.error.code, 'insufficient_points');

    const part = await api.capture(hold.body.holdId, 25);
    assert.equal(part.status, 201, JSON.stringify(part.body));
    assert.deepEqual([part.body.captured, part.body.released, part.body.balance], [25, 35, 75]);
    const twice = await api.capture(hold.body.holdId, 1);
    assert.equal(twice.status, 409);
    assert.deepEqual([twice.body.error.code, twice.body.error.status], ['hold_not_pending', 'captured']);

    const whole = await api.hold(user, 30, 30);
    const all = await api.capture(whole.body.holdId);
    assert.deepEqual([all.body.captured, all.body.released, all.body.balance], [30, 0, 45]);
    // a capture is a spend: it can be reversed, back to its lots
    const refund = await api.reverse(all.body.transactionId, 10);
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    assert.equal(refund.body.balance, 55);

    const voided = await api.hold(user, 50, 30);
    const v = await api.void(voided.body.holdId);
    assert.deepEqual([v.status, v.body.released, v.body.balance], [201, 50, 55]);
    assert.equal((await api.capture(voided.body.holdId)).body.error.status, 'voided');
    const tooMuch = await api.hold(user, 10, 30);
    assert.equal((await api.capture(tooMuch.body.holdId, 11)).body.error.code, 'exceeds_hold');

    // not captured in time: voided by the timeout step, points back
    const late = await api.hold(user, 5, 1);
    view = (await api.get(user)).body;
    assert.deepEqual([view.balance, view.held], [40, 15]);
    clock.at += 1000;
    assert.equal(await step('wallet-hold-timeouts'), 1);
    assert.equal((await api.capture(late.body.holdId)).body.error.status, 'expired');
    // a capture arriving after the deadline, before the step ran: refused, and the hold is voided
    const racing = await api.hold(user, 7, 1);
    clock.at += 1000;
    const refused = await api.capture(racing.body.holdId);
    assert.deepEqual([refused.status, refused.body.error.status], [409, 'expired']);
    view = (await api.get(user)).body;
    assert.deepEqual([view.balance, view.held], [45, 10]);
    await api.void(tooMuch.body.holdId);
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);

    const history = (await api.history(user)).body.transactions;
    const kinds = history.map((t: { kind: string }) => t.kind);
    assert.deepEqual(kinds.slice(0, 4), ['void', 'hold_timeout', 'hold', 'hold_timeout']);
    const firstHold = history.find((t: { transactionId: string }) => t.transactionId === hold.body.holdId);
    assert.deepEqual(firstHold.hold, { status: 'captured', captured: 25, expiresAt: hold.body.expiresAt });
  });

  it('expiry moves lots past their expiry to the expired account; spends never take them; history shows it', async () => {
    const user = uniqueId('x');
    await api.earn(user, { points: 10, expiresInDays: 1 });
    await api.earn(user, { points: 5, expiresInDays: 3 });
    clock.at += DAY;
    // the view counts them out before the step runs, and so does a spend
    assert.equal((await api.get(user)).body.balance, 5);
    assert.equal((await api.spend(user, 6)).body.error.code, 'insufficient_points');
    clock.at += 2 * DAY;
    await step('wallet-expiry');
    const view = (await api.get(user)).body;
    assert.deepEqual([view.balance, view.lots.length], [0, 0]);
    const history = (await api.history(user)).body.transactions;
    assert.deepEqual(
      history.map((t: { kind: string; points: number }) => [t.kind, t.points]),
      [
        ['expiry', -5],
        ['expiry', -10],
        ['earn', 5],
        ['earn', 10],
      ],
    );
    const expired = await instance.ctx.infra.pool.query<{ sum: number }>(
      `SELECT sum(p.points)::bigint AS sum FROM wallet_postings p JOIN wallet_accounts a ON a.id = p.account_id
        WHERE a.partner_id = $1 AND a.kind = 'expired' AND p.transaction_id IN (SELECT id FROM wallet_transactions WHERE account_id =
          (SELECT id FROM wallet_accounts WHERE partner_id = $1 AND user_id = $2))`,
      [partnerId, user],
    );
    assert.equal(expired.rows[0]!.sum, 15);
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });

  it('a spend reversed after its lot expired: the points go back to the lot, and expire again', async () => {
    const user = uniqueId('y');
    await api.earn(user, { points: 10, expiresInDays: 1 });
    await api.earn(user, { points: 10 });
    const spend = await api.spend(user, 8);
    clock.at += DAY;
    const reversal = await api.reverse(spend.body.transactionId);
    assert.equal(reversal.status, 201, JSON.stringify(reversal.body));
    assert.equal(reversal.body.balance, 10);
    const kinds = (await api.history(user)).body.transactions.map((t: { kind: string }) => t.kind);
    assert.deepEqual(kinds.slice(0, 3), ['expiry', 'reversal', 'expiry']);
    await assertLedgerHolds(instance.ctx.infra.pool, partnerId);
  });

  it('keys are forgotten after their retention: older answers are deleted, recent ones kept', async () => {
    const pool = instance.ctx.infra.pool;
    const key = newKey();
    await api.earn(uniqueId('ret'), { points: 1 }, key);
    await pool.query("UPDATE wallet_requests SET created_at = now() - interval '8 days' WHERE partner_id = $1 AND idempotency_key = $2", [
      partnerId,
      key,
    ]);
    const kept = newKey();
    await api.earn(uniqueId('ret'), { points: 1 }, kept);
    assert.ok(((await step('wallet-key-retention')) as number) >= 1);
    const { rows } = await pool.query<{ idempotency_key: string }>(
      'SELECT idempotency_key FROM wallet_requests WHERE partner_id = $1 AND idempotency_key = ANY($2)',
      [partnerId, [key, kept]],
    );
    assert.deepEqual(
      rows.map((r) => r.idempotency_key),
      [kept],
    );
  });

  it('history is newest first, in pages', async () => {
    const user = uniqueId('p');
    for (let i = 1; i <= 5; i++) await api.earn(user, { points: i });
    const first = await api.history(user, '?limit=2');
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.transactions.map((t: { points: number }) => t.points),
      [5, 4],
    );
    const second = await api.history(user, `?limit=2&cursor=${first.body.nextCursor}`);
    const third = await api.history(user, `?limit=2&cursor=${second.body.nextCursor}`);
    assert.deepEqual(
      [...second.body.transactions, ...third.body.transactions].map((t: { points: number }) => t.points),
      [3, 2, 1],
    );
    assert.equal(third.body.nextCursor, null);
    assert.equal((await api.history(uniqueId('none'))).status, 404);
  });

  it('idempotency: the same key and body answer the first answer; another body is a conflict', async () => {
    const user = uniqueId('i');
    const key = newKey();
    const first = await api.earn(user, { points: 7 }, key);
    const again = await api.earn(user, { points: 7 }, key);
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    const other = await api.earn(user, { points: 8 }, key);
    assert.equal(other.status, 409);
    assert.equal(other.body.error.code, 'idempotency_conflict');
    const elsewhere = await api.spend(user, 7, key);
    assert.equal(elsewhere.body.error.code, 'idempotency_conflict');
    // a refusal is an answer too: stored with its key
    const spendKey = newKey();
    const refused = await api.spend(user, 8, spendKey);
    await api.earn(user, { points: 100 });
    const replay = await api.spend(user, 8, spendKey);
    assert.deepEqual([replay.status, replay.body], [refused.status, refused.body]);
    assert.equal((await api.get(user)).body.balance, 107);
    const missing = await api.post(`/v1/wallets/${user}/earn`, { points: 1, reason: 'r' }, null);
    assert.equal(missing.status, 400);
  });

  it('a request the database refuses fails alone: the rest of its batch is applied', async () => {
    // Another partner, whose issuance account is then deleted by hand: its earns name an account
    // that does not exist, which the postings' trigger refuses.
    const broken = await createPartner(instance.app, 'broken');
    const brokenApi = walletClient(instance.app, broken.apiKey);
    await brokenApi.earn('victim', { points: 1 });
    const others = [uniqueId('o'), uniqueId('o')];
    for (const u of others) await api.earn(u, { points: 10 });
    const pool = instance.ctx.infra.pool;
    const { rows } = await pool.query<{ id: number }>(
      "DELETE FROM wallet_accounts WHERE partner_id = $1 AND kind = 'issuance' RETURNING id",
      [broken.partnerId],
    );
    try {
      const [refused, ...applied] = await Promise.all([
        brokenApi.earn('victim', { points: 5 }),
        api.transfer(others[0]!, others[1]!, 3),
        api.transfer(others[1]!, others[0]!, 1),
        api.earn(others[0]!, { points: 5 }),
      ]);
      assert.equal(refused.status, 500);
      assert.equal(refused.body.error.code, 'internal_error');
      assert.deepEqual(
        applied.map((t) => t.status),
        [201, 201, 201],
      );
      assert.equal((await api.get(others[0]!)).body.balance, 13);
    } finally {
      await pool.query("INSERT INTO wallet_accounts (id, partner_id, kind) VALUES ($1, $2, 'issuance')", [rows[0]!.id, broken.partnerId]);
    }
    assert.equal((await brokenApi.get('victim')).body.balance, 1);
    await assertLedgerHolds(pool, partnerId);
    await assertLedgerHolds(pool, broken.partnerId);
  });

  it('the admin token reads any partner’s wallets (naming the partner); a partner only its own', async () => {
    const user = uniqueId('adm');
    await api.earn(user, { points: 3 });
    const read = await instance.app.inject({ url: `/v1/wallets/${user}?partnerId=${partnerId}`, headers: admin });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().balance, 3);
    const unnamed = await instance.app.inject({ url: `/v1/wallets/${user}`, headers: admin });
    assert.equal(unnamed.statusCode, 400);
    const other = walletClient(instance.app, (await createPartner(instance.app, 'other')).apiKey);
    assert.equal((await other.get(user)).status, 404);
    const history = await instance.app.inject({ url: `/v1/wallets/${user}/history?partnerId=${partnerId}`, headers: admin });
    assert.equal(history.json().transactions.length, 1);
  });
});
