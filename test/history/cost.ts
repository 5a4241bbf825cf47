// What the short history costs: one instance's sampling with N rooms and N campaigns (N=200 by
// default), with and without the turn to read the shared figures, the memory of a minute's hash,
// and a 15-minute read. A measurement, not part of npm test (no .test.ts):
//   TEST_REDIS_MODES=single npm test -- test/history/cost.ts
import { it } from 'node:test';
import { minuteKey } from '../../src/history/keys.js';
import { createCampaign } from '../claims/helpers.js';
import { admin, createRoom, deletePrefix, enter, REDIS_MODE, startInstance, testPrefix, testRedis } from '../helpers.js';

it('cost of sampling', async () => {
  const prefix = testPrefix();
  let now = Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 200;
  const clock = { now: () => now };
  const a = await startInstance({ redisPrefix: prefix }, { background: false, clock });
  const b = await startInstance({ redisPrefix: prefix }, { background: false, clock });
  const N = Number(process.env.N ?? 200);
  for (let i = 0; i < N; i++) {
    await createRoom(a.app, { id: `cost-r${i}`, admitPerSecond: 5, maxActive: 5, sessionSeconds: 60 });
    await createCampaign(a.app, { id: `cost-c${i}`, stock: 100 });
  }
  for (let i = 0; i < 20; i++) await enter(a.app, 'cost-r0', `u${i}`);
  const shared: number[] = [],
    sharedCpu: number[] = [],
    own: number[] = [],
    ownCpu: number[] = [];
  for (let s = 0; s < 60; s++) {
    now += 1000;
    let t = performance.now();
    let c = process.cpuUsage();
    await a.ctx.history.sample();
    shared.push(performance.now() - t);
    sharedCpu.push((process.cpuUsage(c).user + process.cpuUsage(c).system) / 1000);
    t = performance.now();
    c = process.cpuUsage();
    await b.ctx.history.sample();
    own.push(performance.now() - t);
    ownCpu.push((process.cpuUsage(c).user + process.cpuUsage(c).system) / 1000);
  }
  // Each capability's part of the turn's cost.
  for (const { definition, capability } of a.ctx.capabilities) {
    if (!capability.samples) continue;
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const c = process.cpuUsage();
      await capability.samples({ shared: true });
      const used = process.cpuUsage(c);
      times.push((used.user + used.system) / 1000);
    }
    console.log(`  ${definition.name}.samples({ shared: true }): median ${[...times].sort((x, y) => x - y)[10]!.toFixed(1)} ms CPU`);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!.toFixed(1);
  console.log(`entities: ${N} rooms + ${N} campaigns (+ routes), 60 seconds sampled by two instances (one process, ${REDIS_MODE} Redis)`);
  console.log(
    `instance with the turn (reads shared figures): median ${med(shared)} ms wall, ${med(sharedCpu)} ms CPU of this process per second`,
  );
  console.log(`instance without the turn (own counters only): median ${med(own)} ms wall, ${med(ownCpu)} ms CPU per second`);
  const redis = testRedis();
  const minute = Math.floor((now - 2000) / 60_000) - 0;
  for (const [kind, entity] of [
    ['room', 'cost-r0'],
    ['room', 'cost-r1'],
    ['campaign', 'cost-c0'],
  ]) {
    const key = minuteKey(prefix, kind!, entity!, minute);
    console.log(
      `${kind} ${entity}: minute hash ${await redis.hlen(key)} fields, MEMORY USAGE ${await redis.call('MEMORY', 'USAGE', key)} bytes`,
    );
  }
  const t = performance.now();
  const res = await a.app.inject({
    url: '/v1/history?kind=room&entity=cost-r0&seconds=900',
    headers: admin,
  });
  console.log(`GET /v1/history 900 s of a room: ${(performance.now() - t).toFixed(1)} ms, ${res.body.length} bytes`);
  redis.disconnect();
  await a.close();
  await b.close();
  await deletePrefix(prefix);
});
