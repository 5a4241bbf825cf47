import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pollAfterMs, pollAfterMsBeforeOpening, RateWindow } from '../../src/waiting-room/domain/polling.js';
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
  const noJitter = () => 0;
  const mostJitter = () => 0.999;

  it('is short at the front, long far back, and bounded by the wait and by abandonment', () => {
    assert.equal(pollAfterMs(1, 1, null, noJitter), 1000);
    assert.ok(pollAfterMs(100, 1000, null, noJitter) > 1000);
    assert.ok(pollAfterMs(300_000, 3000, null, noJitter) <= 90_000);
    assert.equal(pollAfterMs(300_000, 10, null, noJitter), 8000, 'never later than 80% of the expected wait');
    assert.ok(pollAfterMs(300_000, 3000, 30, noJitter) <= 10_000, 'never so late that the ticket looks abandoned');
    assert.equal(pollAfterMs(300_000, 10.5, null, noJitter), 8400, 'the expected wait is taken unrounded');
  });

  it('spreads clients told the same thing, only ever shortening the interval', () => {
    assert.equal(pollAfterMs(1, 1, null, mostJitter), 800);
    const intervals = new Set(Array.from({ length: 200 }, () => pollAfterMs(1, 1, null)));
    assert.ok(intervals.size > 50, `${intervals.size} distinct intervals for 200 clients at the front`);
    for (const interval of intervals) assert.ok(interval >= 800 && interval <= 1000, `${interval}`);
    for (let i = 0; i < 200; i++) assert.ok(pollAfterMs(300_000, 3000, 30) <= 10_000, 'jitter never breaks the abandonment bound');
  });

  it('before opening, follows the time to one own turn only, not the position', () => {
    assert.equal(pollAfterMsBeforeOpening(3600, null, noJitter), 90_000, 'an hour before opening: the longest interval');
    assert.equal(pollAfterMsBeforeOpening(2, null, noJitter), 1600);
    assert.equal(pollAfterMsBeforeOpening(0.1, null, noJitter), 1000);
    assert.equal(pollAfterMsBeforeOpening(3600, 30, noJitter), 10_000, 'never so late that the ticket looks abandoned');
    const shortest = pollAfterMsBeforeOpening(3600, null, mostJitter);
    assert.ok(shortest >= 72_000 && shortest <= 72_100, `${shortest}`);
  });

  it('keeps 300,000 waiting users to a few thousand polls per second in total', () => {
    let pollsPerSecond = 0;
    for (let position = 1; position <= 300_000; position++) {
      pollsPerSecond += 1000 / pollAfterMs(position, position / 200, null); // admitting 200/s
    }
    assert.ok(pollsPerSecond < 5500, `${Math.round(pollsPerSecond)} polls/s`);
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
