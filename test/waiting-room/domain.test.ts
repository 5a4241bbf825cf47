import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollAfterMs, RateWindow } from '../../src/waiting-room/domain/polling.js';
import { issuedToPlace, placeToIssued } from '../../src/waiting-room/domain/shuffle.js';

describe('shuffle permutation', () => {
  it('is a bijection on 1..n whose inverse is issuedToPlace, for many sizes', () => {
    for (const size of [1, 2, 3, 5, 16, 17, 100, 257, 1000]) {
      const seen = new Set<number>();
      for (let place = 1; place <= size; place++) {
        const issued = placeToIssued(place, size, 'seed-x');
        assert.ok(issued >= 1 && issued <= size);
        seen.add(issued);
        assert.equal(issuedToPlace(issued, size, 'seed-x'), place);
      }
      assert.equal(seen.size, size);
    }
  });

  it('depends on the seed', () => {
    const order = (seed: string) => Array.from({ length: 50 }, (_, i) => placeToIssued(i + 1, 50, seed));
    assert.notDeepEqual(order('a'), order('b'));
  });
});

describe('polling interval', () => {
  it('is short at the front, long far back, and bounded by the wait and by abandonment', () => {
    assert.equal(pollAfterMs(1, 1, null), 1000);
    assert.ok(pollAfterMs(100, 1000, null) > 1000);
    assert.ok(pollAfterMs(300_000, 3000, null) <= 90_000);
    assert.equal(pollAfterMs(300_000, 10, null), 8000, 'never later than 80% of the expected wait');
    assert.ok(pollAfterMs(300_000, 3000, 30) <= 10_000, 'never so late that the ticket looks abandoned');
  });

  it('keeps 300,000 waiting users to a few thousand polls per second in total', () => {
    let pollsPerSecond = 0;
    for (let position = 1; position <= 300_000; position++) {
      pollsPerSecond += 1000 / pollAfterMs(position, position / 200, null); // admitting 200/s
    }
    assert.ok(pollsPerSecond < 5000, `${Math.round(pollsPerSecond)} polls/s`);
  });
});

describe('observed admission rate', () => {
  it('is measured over a sliding window', () => {
    const window = new RateWindow(10_000);
    window.add(0, 0);
    assert.equal(window.perSecond(), null);
    window.add(2000, 100);
    assert.equal(window.perSecond(), 50);
  });
});
