import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { roomKeys } from '../../src/waiting-room/keys.js';
import { SeenTracker } from '../../src/waiting-room/seen-tracker.js';
import { deletePrefix, testPrefix, testRedis } from '../helpers.js';

describe('poll times (abandonment input)', () => {
  const prefix = testPrefix();
  const redis = testRedis();
  const seenKey = roomKeys(prefix, 'r1').seen;
  after(async () => {
    await deletePrefix(prefix);
    redis.disconnect();
  });

  it('stores each poll at its own time, however late the batch is written, and never moves it back', async () => {
    const tracker = new SeenTracker(redis, prefix);
    const polledAt = Date.now() - 2_500; // a poll whose batch is written 2.5 s late
    tracker.mark('r1', 7, polledAt - 100);
    tracker.mark('r1', 7, polledAt);
    tracker.mark('r1', 8, polledAt);
    await tracker.flush();
    assert.equal(Number(await redis.zscore(seenKey, '7')), polledAt);
    assert.equal(Number(await redis.zscore(seenKey, '8')), polledAt);

    // Another instance's batch carrying an older poll of ticket 7 does not move it back.
    const other = new SeenTracker(redis, prefix);
    other.mark('r1', 7, polledAt - 1_000);
    await other.flush();
    assert.equal(Number(await redis.zscore(seenKey, '7')), polledAt);
  });

  it('keeps the times of a batch Redis did not take, for the next flush', async () => {
    const tracker = new SeenTracker(redis, prefix);
    const polledAt = Date.now();
    tracker.mark('r1', 9, polledAt);
    redis.disconnect();
    await assert.rejects(tracker.flush());
    tracker.mark('r1', 10, polledAt + 1);
    await redis.connect();
    await tracker.flush();
    assert.equal(Number(await redis.zscore(seenKey, '9')), polledAt);
    assert.equal(Number(await redis.zscore(seenKey, '10')), polledAt + 1);
  });
});
