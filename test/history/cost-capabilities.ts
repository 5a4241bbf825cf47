// What the history of shows, terms, courses and partners' wallets costs: one instance's sampling
// with a term of 300 courses, 50 shows of 1,000 seats and 50 partners with wallet activity. A
// measurement, not part of npm test (no .test.ts):
//   TEST_REDIS_MODES=single npm test -- test/history/cost-capabilities.ts
// (or, with the dev services: node --import tsx --test test/history/cost-capabilities.ts)
import { it } from 'node:test';
import { minuteKey } from '../../src/history/keys.js';
import { course, setUpTerm } from '../courses/helpers.js';
import { admin, deletePrefix, REDIS_MODE, startInstance, testPrefix, testRedis, uniqueId } from '../helpers.js';
import { createPartner, simpleShow } from '../seats/helpers.js';
import { walletClient } from '../wallet/helpers.js';

it('cost of sampling shows, terms, courses and wallets', async () => {
  const prefix = testPrefix();
  let now = Math.floor(Date.now() / 60_000) * 60_000 + 60_000 + 200;
  const clock = { now: () => now };
  const a = await startInstance({ redisPrefix: prefix }, { background: false, clock });
  const COURSES = Number(process.env.COURSES ?? 300);
  const SHOWS = Number(process.env.SHOWS ?? 50);
  const PARTNERS = Number(process.env.PARTNERS ?? 50);
  const { termId } = await setUpTerm(a.app, {
    term: { id: uniqueId('cost-term') },
    courses: Array.from({ length: COURSES }, (_, i) => course(`c${i}`, { capacity: 30, waitlist: 10 })),
    students: ['s0'],
  });
  const showIds: string[] = [];
  for (let i = 0; i < SHOWS; i++) showIds.push((await simpleShow(a.app, { rows: 20, seats: 50 })).showId);
  for (let i = 0; i < PARTNERS; i++) {
    const { apiKey } = await createPartner(a.app, `p${i}`);
    const wallet = walletClient(a.app, apiKey);
    await wallet.earn('u', { points: 10 });
    await wallet.spend('u', 3);
  }
  const { rows } = await a.ctx.infra.pool.query<{ terms: number; shows: number; rooms: number; campaigns: number }>(
    `SELECT (SELECT count(*) FROM terms)::int AS terms, (SELECT count(*) FROM shows WHERE sales_close_at > now())::int AS shows,
            (SELECT count(*) FROM rooms)::int AS rooms, (SELECT count(*) FROM campaigns)::int AS campaigns`,
  );
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let s = 0; s < 61; s++) {
    now += 1000;
    const t = performance.now();
    const c = process.cpuUsage();
    await a.ctx.history.sample();
    wall.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!.toFixed(1);
  console.log(
    `database: ${rows[0]!.terms} terms (the newest 100 open ones sampled), ${rows[0]!.shows} active shows, ${rows[0]!.rooms} rooms, ${rows[0]!.campaigns} campaigns; this test's: a term of ${COURSES} courses, ${SHOWS} shows of 1,000 seats, ${PARTNERS} partners (${REDIS_MODE} Redis)`,
  );
  console.log(`history.sample() with the turn, every capability: median ${med(wall)} ms wall, ${med(cpu)} ms CPU per second`);
  for (const { definition, capability } of a.ctx.capabilities) {
    if (!capability.samples || !['seats', 'courses', 'wallet'].includes(definition.name)) continue;
    const times: number[] = [];
    let entities = 0;
    for (let i = 0; i < 20; i++) {
      const c = process.cpuUsage();
      entities = (await capability.samples({ shared: true })).length;
      const used = process.cpuUsage(c);
      times.push((used.user + used.system) / 1000);
    }
    console.log(`  ${definition.name}.samples({ shared: true }): ${entities} entities, median ${med(times)} ms CPU`);
  }
  const redis = testRedis();
  // The first minute, sampled in full (the clock starts 200 ms into it).
  const minute = Math.floor((now - 2000) / 60_000);
  for (const [kind, entity] of [
    ['term', termId],
    ['course', `${termId}/c0`],
    ['show', showIds[0]!],
  ]) {
    const key = minuteKey(prefix, kind!, entity!, minute);
    console.log(
      `${kind} ${entity}: minute hash ${await redis.hlen(key)} fields, MEMORY USAGE ${await redis.call('MEMORY', 'USAGE', key)} bytes`,
    );
  }
  const t = performance.now();
  const res = await a.app.inject({ url: `/v1/history?kind=course&entity=${termId}/c0&seconds=900`, headers: admin });
  console.log(`GET /v1/history 900 s of a course: ${(performance.now() - t).toFixed(1)} ms, ${res.body.length} bytes`);
  redis.disconnect();
  await a.close();
  await deletePrefix(prefix);
});
