import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { assertShortcutParity, type HttpCase, uniqueId, useListeningInstance } from '../helpers.js';
import { createPartner, newKey, type WalletClient, walletClient } from './helpers.js';

describe('wallet: the transfer shortcut', () => {
  const instance = useListeningInstance({}, { background: false });
  let apiKey: string;
  let api: WalletClient;

  before(async () => {
    ({ apiKey } = await createPartner(instance.app, 'shortcut'));
    api = walletClient(instance.app, apiKey);
  });

  const transfer = (body: object, key: string | null, headers: Record<string, string> = {}): HttpCase => ({
    method: 'POST',
    path: '/v1/wallets/transfers',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...(key !== null ? { 'idempotency-key': key } : {}), ...headers },
    payload: JSON.stringify(body),
  });

  /** Twin wallets: a1→b1 through the shortcut, a2→b2 through the route; ids and names normalised. */
  const twins =
    (names: Record<string, string>) =>
    (body: unknown, side: 'shortcut' | 'route'): unknown => {
      let text = JSON.stringify(body).replace(/"transactionId":"\d+"/g, '"transactionId":"<id>"');
      for (const [label, pair] of Object.entries(names)) text = text.replaceAll(side === 'shortcut' ? `${pair}1` : `${pair}2`, label);
      return JSON.parse(text);
    };

  it('answers transfers, replays and refusals exactly as the route does', async () => {
    const a = uniqueId('a');
    const b = uniqueId('b');
    for (const u of [`${a}1`, `${a}2`]) await api.earn(u, { points: 10 });
    const normalise = twins({ '<a>': a, '<b>': b });
    const [k1, k2] = [newKey(), newKey()];
    const sent = (n: 1 | 2, points: number) => ({ from: `${a}${n}`, to: `${b}${n}`, points, reason: 'parity' });

    const applied = await assertShortcutParity(instance, transfer(sent(1, 4), k1), {
      taken: true,
      route: transfer(sent(2, 4), k2),
      normalise,
    });
    assert.equal(applied.status, 201);
    assert.deepEqual(applied.body.from, { userId: `${a}1`, balance: 6 });

    // the same keys again: the stored answers, identical
    const replayed = await assertShortcutParity(instance, transfer(sent(1, 4), k1), {
      taken: true,
      route: transfer(sent(2, 4), k2),
      normalise,
    });
    assert.deepEqual(replayed.body, applied.body);

    // refused for its own reasons: handed to the route, which answers through the error table
    const refused = await assertShortcutParity(instance, transfer(sent(1, 7), newKey()), {
      taken: false,
      route: transfer(sent(2, 7), newKey()),
      normalise,
    });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'insufficient_points');

    // a key used for another request
    const conflict = await assertShortcutParity(instance, transfer(sent(1, 1), k1), {
      taken: false,
      route: transfer(sent(2, 1), k2),
      normalise,
    });
    assert.equal(conflict.body.error.code, 'idempotency_conflict');

    // no key, a malformed key, a wrong API key, a bad body: the route's 400 and 401
    for (const [http, status] of [
      [transfer(sent(1, 1), null), 400],
      [transfer(sent(1, 1), 'has space'), 400],
      [transfer(sent(1, 1), newKey(), { 'x-api-key': 'fgk_nope' }), 401],
      [transfer({ ...sent(1, 1), points: 0 }, newKey()), 400],
      [transfer({ ...sent(1, 1), to: `${a}1` }, newKey()), 400],
    ] as const) {
      const answer = await assertShortcutParity(instance, http, { taken: false });
      assert.equal(answer.status, status, http.payload);
    }
    assert.equal((await api.get(`${a}1`)).body.balance, 6);
    assert.equal((await api.get(`${b}1`)).body.balance, 4);
  });
});
