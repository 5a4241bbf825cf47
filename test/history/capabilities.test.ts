import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { course as courseSpec, register, setUpTerm } from '../courses/helpers.js';
import { admin, deletePrefix, eventually, type Instance, startInstance, testPrefix } from '../helpers.js';
import { confirm, createPartner, hold, simpleShow } from '../seats/helpers.js';
import { walletClient } from '../wallet/helpers.js';

type Window = { series: Record<string, Array<number | null>> };

/** The last known value of a series (a shared figure), or the sum of a count over the window. */
const last = (points: Array<number | null> | undefined) => [...(points ?? [])].reverse().find((v) => v != null) ?? null;
const sum = (points: Array<number | null> | undefined) => (points ?? []).reduce<number>((a, b) => a + (b ?? 0), 0);

describe('the short history of shows, terms, courses and partners’ wallets', () => {
  const prefix = testPrefix();
  let instance: Instance;
  const history = async (kind: string, entity: string): Promise<Window> => {
    const res = await instance.app.inject({
      url: `/v1/history?kind=${kind}&entity=${encodeURIComponent(entity)}&seconds=120`,
      headers: admin,
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  before(async () => {
    instance = await startInstance({ redisPrefix: prefix });
  });
  after(async () => {
    await instance.close();
    await deletePrefix(prefix);
  });

  it('a show: free, held and sold (per category with several), and holds by result', async () => {
    const { showId } = await simpleShow(instance.app, {
      rows: 2,
      seats: 5,
      venue: {
        sections: [
          {
            id: 'A',
            rows: [
              { id: '1', seats: 5, category: 'front' },
              { id: '2', seats: 5, category: 'back' },
            ],
          },
        ],
      },
    });
    const { apiKey } = await createPartner(instance.app);
    const held = await hold(instance.app, showId, apiKey, { userId: 'u1', seats: ['A-1-1', 'A-1-2', 'A-1-3'] });
    assert.equal(held.status, 201, JSON.stringify(held.body));
    assert.equal((await confirm(instance.app, showId, held.body.holdId, apiKey, 'k1')).status, 201);
    assert.equal((await hold(instance.app, showId, apiKey, { userId: 'u2', seats: ['A-2-1'] })).status, 201);
    const seen = await eventually(async () => {
      const { series } = await history('show', showId);
      return last(series.sold) === 3 && last(series.held) === 1 && sum(series['holds.held']) === 2 ? series : undefined;
    }, 8_000);
    assert.equal(last(seen.free), 6);
    assert.equal(last(seen.capacity), 10);
    assert.equal(last(seen.restoring), 0);
    assert.equal(last(seen['sold.front']), 3);
    assert.equal(last(seen['held.back']), 1);
    assert.equal(last(seen['free.back']), 4);
  });

  it('a term: its totals and each course’s fill and waitlist (entity <termId>/<courseId>)', async () => {
    const { termId, apiKey } = await setUpTerm(instance.app, {
      courses: [courseSpec('alg', { capacity: 1, waitlist: 2 }), courseSpec('bio', { capacity: 5 })],
      students: ['s1', 's2', 's3'],
    });
    for (const student of ['s1', 's2', 's3']) await register(instance.app, termId, apiKey, student, [{ add: 'alg' }]);
    await register(instance.app, termId, apiKey, 's1', [{ add: 'bio' }]);
    const term = await eventually(async () => {
      const { series } = await history('term', termId);
      return last(series.enrolled) === 2 && last(series.waitlisted) === 2 ? series : undefined;
    }, 8_000);
    assert.equal(last(term.capacity), 6);
    assert.equal(last(term.courses), 2);
    assert.equal(last(term.full), 1);
    assert.equal(last(term.accepted), 4);
    assert.equal(last(term.decided), 4);
    assert.equal(sum(term['requests.queued']), 4);
    const alg = (await history('course', `${termId}/alg`)).series;
    assert.deepEqual([last(alg.capacity), last(alg.enrolled), last(alg.waitlisted), last(alg.waitlistSize)], [1, 1, 2, 2]);
    const bio = (await history('course', `${termId}/bio`)).series;
    assert.deepEqual([last(bio.enrolled), last(bio.waitlisted)], [1, 0]);
  });

  it('a partner’s wallets: points earned, spent and reversed per second, summed', async () => {
    const { partnerId, apiKey } = await createPartner(instance.app, 'shop');
    const wallet = walletClient(instance.app, apiKey);
    assert.equal((await wallet.earn('ann', { points: 100 })).status, 201);
    assert.equal((await wallet.earn('bob', { points: 30 })).status, 201);
    const spent = await wallet.spend('ann', 40);
    assert.equal(spent.status, 201);
    assert.equal((await wallet.reverse(spent.body.transactionId, 10)).status, 201);
    const seen = await eventually(async () => {
      const { series } = await history('wallet-partner', partnerId);
      return sum(series['points.reversal']) === 10 ? series : undefined;
    }, 8_000);
    assert.equal(sum(seen['points.earn']), 130);
    assert.equal(sum(seen['transactions.earn']), 2);
    assert.equal(sum(seen['points.spend']), 40);
  });
});
