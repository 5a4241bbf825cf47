import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { placeToIssued } from '../../src/waiting-room/domain/shuffle.js';
import { admin, createRoom, enter, eventually, poll, uniqueId, useInstance } from '../helpers.js';

describe('waiting room: scheduled opening with a pre-queue', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });

  async function prequeue(mode: 'fifo' | 'shuffle', users: number) {
    const opensAt = new Date(Date.now() + 1500);
    const room = await createRoom(instance.app, {
      id: uniqueId(mode),
      admitPerSecond: 100,
      maxActive: 1, // only the first place is admitted: the others keep their places for us to read
      sessionSeconds: 60,
      opensAt: opensAt.toISOString(),
      prequeue: mode,
    });
    assert.equal(room.stats.opened, false);
    const tickets: string[] = [];
    for (let i = 0; i < users; i++) {
      const { status, body } = await enter(instance.app, room.id, `user-${i}`);
      assert.equal(status, 201);
      assert.equal(body.opensAt, opensAt.toISOString());
      assert.equal(body.position, mode === 'fifo' ? i + 1 : null); // a shuffled order is unknown before opening
      tickets.push(body.ticketId);
    }
    await eventually(async () => ((await poll(instance.app, room.id, tickets[0]!)).body.opensAt === undefined ? true : undefined), 4000);
    // users arriving after opening go behind the pre-queue
    const late = (await enter(instance.app, room.id, 'late')).body;
    // everyone's place, read through the public API: admitted = place 1, waiting = 1 + position
    const places = await eventually(async () => {
      const states = await Promise.all(tickets.map(async (t) => (await poll(instance.app, room.id, t)).body));
      if (states.filter((s) => s.state === 'admitted').length !== 1) return undefined;
      return states.map((s) => (s.state === 'admitted' ? 1 : 1 + s.position));
    });
    const described = (await instance.app.inject({ url: `/v1/rooms/${room.id}`, headers: admin })).json();
    // one place is served (maxActive 1): the late user's position counts from there
    const lateNow = (await poll(instance.app, room.id, late.ticketId)).body;
    return { room, described, tickets, places, late: lateNow };
  }

  it('FIFO: shortly before opening, the far back of the pre-queue is told to poll less often than the front', async () => {
    const room = await createRoom(instance.app, {
      id: uniqueId('prepoll'),
      admitPerSecond: 10,
      maxActive: 100,
      sessionSeconds: 60,
      opensAt: new Date(Date.now() + 5000).toISOString(),
      prequeue: 'fifo',
    });
    const tickets: string[] = [];
    for (let i = 0; i < 200; i++) tickets.push((await enter(instance.app, room.id, `early-${i}`)).body.ticketId);
    // Everyone polls before their own turn: the front before the opening, place 200 (due 20 s
    // after it, at 10/s) at 64-80% of its wait, not every few seconds as if due at the opening.
    const front = (await poll(instance.app, room.id, tickets[0]!)).body;
    const untilOpen = Date.parse(front.opensAt) - Date.now();
    const back = (await poll(instance.app, room.id, tickets[199]!)).body;
    assert.ok(back.opensAt && back.position === 200, 'still before opening');
    assert.ok(
      front.pollAfterMs <= Math.max(1000, 0.8 * (untilOpen + 100)) + 10,
      `front: ${front.pollAfterMs} ms, opening in ${untilOpen} ms`,
    );
    assert.ok(back.pollAfterMs >= 0.64 * 20_000, `place 200 at 10/s: ${back.pollAfterMs} ms, as if it were due at the opening`);
  });

  it('long before opening, the pre-queue polls rarely: the front of a FIFO one and all of a shuffled one', async () => {
    for (const mode of ['fifo', 'shuffle'] as const) {
      const room = await createRoom(instance.app, {
        id: uniqueId(`hour-${mode}`),
        admitPerSecond: 100,
        maxActive: 100,
        sessionSeconds: 60,
        opensAt: new Date(Date.now() + 3_600_000).toISOString(),
        prequeue: mode,
      });
      const entered = (await enter(instance.app, room.id, 'first')).body;
      const polled = (await poll(instance.app, room.id, entered.ticketId)).body;
      for (const answer of [entered, polled]) {
        assert.ok(answer.pollAfterMs >= 72_000, `${mode}, an hour before opening: pollAfterMs ${answer.pollAfterMs}`);
      }
    }
  });

  it('FIFO: the pre-queue is admitted in arrival order', async () => {
    const { places, late } = await prequeue('fifo', 12);
    assert.deepEqual(
      places,
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.equal(late.position, 12);
  });

  it('shuffle: the order is a permutation anyone recomputes from the seed published after opening', async () => {
    const users = 40;
    const { room, described, places, late } = await prequeue('shuffle', users);
    assert.equal(room.shuffle.seed, undefined, 'the seed is secret before opening');
    const { seed, seedCommitment, prequeueSize, algorithm } = described.shuffle;
    assert.equal(prequeueSize, users);
    assert.equal(algorithm, room.shuffle.algorithm);
    assert.equal(seedCommitment, room.shuffle.seedCommitment, 'the commitment published at creation');
    assert.equal(createHash('sha256').update(seed).digest('hex'), seedCommitment);

    // recompute: place p is held by the ticket issued placeToIssued(p)-th
    const expected = new Array<number>(users);
    for (let place = 1; place <= users; place++) expected[placeToIssued(place, users, seed) - 1] = place;
    assert.deepEqual(places, expected);
    assert.notDeepEqual(
      places,
      Array.from({ length: users }, (_, i) => i + 1),
      'shuffled, not FIFO',
    );
    assert.equal(late.position, users, 'after the pre-queue');
  });
});
