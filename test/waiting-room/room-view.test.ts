import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roomKeys } from '../../src/waiting-room/keys.js';
import { RoomViews } from '../../src/waiting-room/room-view.js';
import { createRoom, enter, eventually, uniqueId, useInstance } from '../helpers.js';

describe('waiting room: the cached room counters', () => {
  const instance = useInstance();

  it('are renewed in the background past half their age, never served past their age, and no reader waits for a renewal', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('view'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    let now = 1_000_000;
    const views = new RoomViews(instance.ctx.infra.redis, instance.prefix, 200, { now: () => now });

    const first = await views.get(id);
    assert.ok(first);
    assert.equal(first.issued, 0);
    assert.equal((await enter(instance.app, id, 'someone')).status, 201);

    // Young: the cached view, and nothing read (a read would have seen the new ticket).
    now += 99;
    assert.equal(views.peek(id), first);
    assert.equal(await views.get(id), first);

    // Past half its age: still answered at once from the cache, while a renewal is read...
    now += 2;
    assert.equal(views.peek(id), first);
    // ...which replaces it when it arrives: fresher, and stamped with the time of its read.
    const renewed = await eventually(async () => (views.peek(id) !== first ? views.peek(id) : undefined));
    assert.equal(renewed?.issued, 1);
    assert.equal(renewed?.fetchedAt, now);

    // Past its age (no reader came in between to renew it): not served; the next get reads.
    now += 200;
    assert.equal(views.peek(id), null);
    assert.equal(await enter(instance.app, id, 'someone-else').then((r) => r.status), 201);
    assert.equal((await views.get(id))?.issued, 2);

    // A failed renewal is no reader's business: the view is still served until its age is up.
    const failing = new RoomViews(instance.ctx.infra.redis, instance.prefix, 200, { now: () => now });
    const cached = await failing.get(id);
    (failing as unknown as { read: () => Promise<never> }).read = () => Promise.reject(new Error('Redis is gone'));
    now += 150;
    assert.equal(failing.peek(id), cached);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(failing.peek(id), cached);
    now += 100;
    assert.equal(failing.peek(id), null);
    await assert.rejects(failing.get(id), /Redis is gone/);
  });

  it('read for a fresh caller after it asked, even while a renewal that left earlier is in flight', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('view'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    let now = 1_000_000;
    const views = new RoomViews(instance.ctx.infra.redis, instance.prefix, 200, { now: () => now });
    assert.equal((await views.get(id))?.issued, 0);

    // A background renewal leaves for Redis; then, on the same connection (so after it, in
    // Redis's order), a ticket is issued; then a caller asks for a fresh view.
    now += 150;
    views.peek(id);
    const issued = instance.ctx.infra.redis.hincrby(roomKeys(instance.prefix, id).st, 'issued', 1);
    const fresh = views.get(id, { fresh: true });
    const again = views.get(id, { fresh: true });
    await issued;
    assert.equal((await fresh)?.issued, 1);
    assert.equal(await again, await fresh, 'fresh callers waiting together share one read');
  });
});
