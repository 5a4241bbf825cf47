import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PoolClient } from '../../src/db/pool.js';
import { uniqueId, useInstance } from '../helpers.js';
import { createPartner, walletClient } from './helpers.js';

/**
 * The ledger's rules as PostgreSQL enforces them (src/db/migrations/030_wallet.sql), whatever the
 * application does: each statement below breaks one, and is refused.
 */
describe('wallet: the database refuses a broken ledger', () => {
  const instance = useInstance({}, { background: false });
  let ids: { user: number; other: number; issuance: number; lot: number; otherLot: number };

  before(async () => {
    const { apiKey, partnerId } = await createPartner(instance.app, 'rules');
    const api = walletClient(instance.app, apiKey);
    const [user, other] = [uniqueId('u'), uniqueId('o')];
    await api.earn(user, { points: 10 });
    await api.earn(other, { points: 10 });
    const q = async (sql: string, values: unknown[]) => (await instance.ctx.infra.pool.query(sql, values)).rows[0];
    const account = async (userId: string) =>
      (await q("SELECT id FROM wallet_accounts WHERE partner_id = $1 AND user_id = $2 AND kind = 'user'", [partnerId, userId]))
        .id as number;
    const lotOf = async (accountId: number) => (await q('SELECT id FROM wallet_lots WHERE account_id = $1', [accountId])).id as number;
    const [u, o] = [await account(user), await account(other)];
    ids = {
      user: u,
      other: o,
      issuance: (await q("SELECT id FROM wallet_accounts WHERE partner_id = $1 AND kind = 'issuance'", [partnerId])).id,
      lot: await lotOf(u),
      otherLot: await lotOf(o),
    };
  });

  /** Runs the statements in a transaction that is always rolled back; returns the error, if any. */
  async function attempt(work: (client: PoolClient) => Promise<unknown>): Promise<string | null> {
    const client = await instance.ctx.infra.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  const transaction = (client: PoolClient, id: number, accountId: number) =>
    client.query(
      "INSERT INTO wallet_transactions (id, partner_id, kind, account_id, amount, created_at) SELECT $1, partner_id, 'spend', $2, 1, now() FROM wallet_accounts WHERE id = $2",
      [id, accountId],
    );
  const post = (client: PoolClient, rows: Array<[number, number, number | null, number]>) =>
    client.query(
      'INSERT INTO wallet_postings (transaction_id, account_id, lot_id, points) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])',
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
    );
  const nextId = async (client: PoolClient) => Number((await client.query("SELECT nextval('wallet_ids') AS id")).rows[0].id);

  it('a well-formed transaction passes (the rules below are the only difference)', async () => {
    const error = await attempt(async (client) => {
      const t = await nextId(client);
      await transaction(client, t, ids.user);
      await post(client, [
        [t, ids.user, ids.lot, -3],
        [t, ids.issuance, null, 3],
      ]);
    });
    assert.equal(error, null);
  });

  it('refuses: unbalanced, unknown transaction, negative lot, lot of another account, user posting without a lot, partner posting with one', async () => {
    const cases: Array<[string, RegExp, (client: PoolClient, t: number) => Promise<unknown>]> = [
      [
        'unbalanced',
        /not balanced/,
        (c, t) =>
          post(c, [
            [t, ids.user, ids.lot, -3],
            [t, ids.issuance, null, 2],
          ]),
      ],
      [
        'no such transaction',
        /transaction that does not exist/,
        (c, t) =>
          post(c, [
            [t + 1_000_000, ids.user, ids.lot, -1],
            [t + 1_000_000, ids.issuance, null, 1],
          ]),
      ],
      [
        'below zero',
        /wallet_lots_remaining_check|violates check constraint/,
        (c, t) =>
          post(c, [
            [t, ids.user, ids.lot, -11],
            [t, ids.issuance, null, 11],
          ]),
      ],
      [
        'another account’s lot',
        /lot of another account/,
        (c, t) =>
          post(c, [
            [t, ids.user, ids.otherLot, -1],
            [t, ids.issuance, null, 1],
          ]),
      ],
      [
        'a user posting without a lot',
        /not a partner's/,
        (c, t) =>
          post(c, [
            [t, ids.user, null, -1],
            [t, ids.issuance, null, 1],
          ]),
      ],
      [
        'a partner posting with a lot',
        /lot of another account/,
        (c, t) =>
          post(c, [
            [t, ids.user, ids.lot, -1],
            [t, ids.issuance, ids.lot, 1],
          ]),
      ],
      ['a zero posting', /wallet_postings_points_check|violates check constraint/, (c, t) => post(c, [[t, ids.user, ids.lot, 0]])],
    ];
    for (const [name, expected, work] of cases) {
      const error = await attempt(async (client) => {
        const t = await nextId(client);
        await transaction(client, t, ids.user);
        await work(client, t);
      });
      assert.match(error ?? 'accepted', expected, name);
    }
  });

  it('refuses a new lot written with points its postings do not add up to, or open and empty', async () => {
    const newLot = (remaining: number, open: boolean) => async (client: PoolClient) => {
      const t = await nextId(client);
      const lot = await nextId(client);
      await transaction(client, t, ids.user);
      await client.query(
        "INSERT INTO wallet_lots (id, account_id, kind, remaining, open, transaction_id) VALUES ($1, $2, 'received', $3, $4, $5)",
        [lot, ids.user, remaining, open, t],
      );
      await post(client, [
        [t, ids.user, lot, 5],
        [t, ids.issuance, null, -5],
      ]);
    };
    assert.equal(await attempt(newLot(5, true)), null);
    assert.match((await attempt(newLot(6, true))) ?? 'accepted', /not their sum/);
    assert.match((await attempt(newLot(0, true))) ?? 'accepted', /violates check constraint/);
  });
});
