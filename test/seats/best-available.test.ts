import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { seats as seatsCapability } from '../../src/seats/definition.js';
import { bestAvailable, type ShowRow } from '../../src/seats/domain/best-available.js';
import type { BookingRecord } from '../../src/seats/repository.js';
import { uniqueId, useInstance } from '../helpers.js';
import { createShow, createVenue } from './helpers.js';

const row = (status: string, category = 'standard', accessibleMask: string | null = null): ShowRow => ({
  status,
  category,
  accessibleMask,
});
const seatsOf = (choice: ReturnType<typeof bestAvailable>) => choice?.seats.map((s) => `${s.row}:${s.pos}`);

describe('seats: the best-available rule', () => {
  it('takes the first row with N together, centred', () => {
    assert.deepEqual(seatsOf(bestAvailable([row('ssssss'), row('ffffff')], { count: 2 })), ['2:3', '2:4']);
    assert.deepEqual(seatsOf(bestAvailable([row('fffffff')], { count: 3 })), ['1:3', '1:4', '1:5']);
  });

  it('never leaves a single isolated free seat when another placement in the row avoids it', () => {
    // the middle of 6 for 4 would leave seats 1 and 6 alone
    assert.deepEqual(seatsOf(bestAvailable([row('ffffff')], { count: 4 })), ['1:1', '1:2', '1:3', '1:4']);
    // 3 of a run of 4 between sold seats: any placement leaves one seat; of 5: the ends avoid it
    assert.deepEqual(seatsOf(bestAvailable([row('sffffs')], { count: 3 })), ['1:2', '1:3', '1:4']);
    assert.deepEqual(seatsOf(bestAvailable([row('sfffffs')], { count: 3 })), ['1:2', '1:3', '1:4']);
    // of two runs, the placement nearest the middle that leaves no orphan (seats 6-8 would leave seat 5 alone)
    assert.deepEqual(seatsOf(bestAvailable([row('fffsffffffsff')], { count: 3 })), ['1:5', '1:6', '1:7']);
  });

  it('keeps the row order before orphans: a better row with an orphan beats a worse row without', () => {
    assert.deepEqual(seatsOf(bestAvailable([row('sfffs'), row('ffffff')], { count: 2 })), ['1:2', '1:3']);
  });

  it('splits over the best rows when no row has N together, and is null when there are fewer than N', () => {
    const choice = bestAvailable([row('ffsff'), row('sfs'), row('ffff')], { count: 5 });
    assert.equal(choice!.together, false);
    assert.deepEqual(seatsOf(choice), ['1:1', '1:2', '1:4', '1:5', '2:2']);
    assert.equal(bestAvailable([row('fsf'), row('sss')], { count: 3 }), null);
  });

  it('honours the category and accessible seats', () => {
    const rows = [row('ffff', 'vip'), row('ffff', 'standard', '--aa'), row('ffff', 'standard', 'aa--')];
    assert.deepEqual(seatsOf(bestAvailable(rows, { count: 2, category: 'standard' })), ['2:1', '2:2']);
    assert.deepEqual(seatsOf(bestAvailable(rows, { count: 2, accessible: true })), ['2:3', '2:4']);
    assert.equal(bestAvailable(rows, { count: 3, category: 'vip', accessible: true }), null);
  });
});

describe('seats: the hold script chooses what the rule chooses', () => {
  const instance = useInstance({}, { background: false });
  const ROWS = 12;
  let showId: string;
  let rowSizes: number[];
  let masks: Array<string | null>;
  let categories: string[];

  before(async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    rowSizes = Array.from({ length: ROWS }, () => 1 + Math.floor(random() * 14));
    categories = rowSizes.map(() => (random() < 0.3 ? 'vip' : 'standard'));
    masks = rowSizes.map((n) => (random() < 0.4 ? Array.from({ length: n }, () => (random() < 0.5 ? 'a' : '-')).join('') : null));
    const venueId = uniqueId('parity');
    await createVenue(instance.app, {
      id: venueId,
      name: 'Parity',
      sections: [
        {
          id: 'P',
          rows: rowSizes.map((n, i) => ({
            id: String(i + 1),
            seats: n,
            category: categories[i],
            accessible: masks[i] ? [...masks[i]!].flatMap((c, p) => (c === 'a' ? [String(p + 1)] : [])) : [],
          })),
        },
      ],
    });
    showId = uniqueId('parity');
    await createShow(instance.app, { id: showId, venueId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), maxSeatsPerUser: 50 });
  });

  it('on 300 random states of 12 rows, for random requests', async () => {
    const service = instance.ctx.get(seatsCapability).service;
    const scripts = (service as unknown as { deps: { scripts: import('../../src/seats/scripts.js').ShowScripts } }).deps.scripts;
    const known = await service.show(showId);
    let seed = 11;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let together = 0;
    let split = 0;
    let none = 0;
    for (let round = 0; round < 300; round++) {
      const fill = random();
      const statuses = rowSizes.map((n) => Array.from({ length: n }, () => (random() < fill ? 's' : 'f')).join(''));
      const sold = statuses.flatMap((s, r) => [...s].flatMap((c, p) => (c === 's' ? [`P-${r + 1}-${p + 1}`] : [])));
      const booking = { bookingId: 'bk_x', userId: 'nobody', partnerId: null, seats: sold } as unknown as BookingRecord;
      await service.writeState(known, sold.length ? [booking] : [], [], '');
      const request = {
        count: 1 + Math.floor(random() * 6),
        ...(random() < 0.3 ? { category: random() < 0.5 ? 'vip' : 'standard' } : {}),
        ...(random() < 0.2 ? { accessible: true } : {}),
      };
      const expected = bestAvailable(
        statuses.map((status, i) => row(status, categories[i], masks[i])),
        request,
      );
      const batch = await scripts.hold(showId, Date.now(), [
        {
          holdId: `hd_${round}`,
          userId: `u${round}`,
          partnerId: '',
          mode: 'best',
          count: request.count,
          category: request.category ?? null,
          accessible: request.accessible === true,
        },
      ]);
      assert.equal(batch.kind, 'decided');
      const decision = batch.kind === 'decided' ? batch.decisions[0]! : null;
      const label = `round ${round}: ${JSON.stringify(request)} on ${JSON.stringify(statuses)}`;
      if (!expected) {
        assert.equal(decision?.kind, 'sold_out', label);
        none++;
        continue;
      }
      assert.equal(decision?.kind, 'held', label);
      if (decision?.kind !== 'held') continue;
      assert.deepEqual(
        decision.seats.map((s) => `${s.row}:${s.pos}`),
        seatsOf(expected),
        label,
      );
      if (expected.together) together++;
      else split++;
    }
    // the random states exercised every branch
    assert.ok(together > 50 && split > 10 && none > 10, `together ${together}, split ${split}, none ${none}`);
  });
});
