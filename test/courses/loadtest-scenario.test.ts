import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminClient } from '../../src/loadtest/admin-client.js';
import { run } from '../../src/loadtest/runner.js';
import { coursesScenario } from '../../src/loadtest/scenarios/courses.js';
import { parseStage } from '../../src/loadtest/stages.js';
import { ADMIN_TOKEN, useListeningInstance } from '../helpers.js';

describe('floodgate loadtest: the courses scenario against a real instance', () => {
  const instance = useListeningInstance();

  it('a small registration day: three groups, carts, some early, polling as told; every check of the audit passes', async () => {
    // 900 students, 300 a second, in three groups opening a second apart (each group arrives
    // within its own second); 10% arrive a window early, are told not_open and come back.
    const scenario = await coursesScenario(new AdminClient(instance.origin, ADMIN_TOKEN), {
      students: 900,
      courses: 60,
      groups: 3,
      groupGapMs: 1000,
      earlyShare: 0.1,
      maxCredits: 18,
      p99GoalMs: 2000,
      databaseUrl: process.env.TEST_DATABASE_URL!,
    });
    const result = await run(scenario, {
      target: instance.origin,
      stages: [parseStage('300/s:3s')],
      connections: 32,
      maxInFlight: 10_000,
      maxLagMs: 1000,
      drainMs: 15_000,
    });
    assert.equal(result.arrivals, 900);
    assert.equal(result.unfinished, 0, 'every student saw their requests decided within the drain time');
    const audit = await scenario.audit();
    assert.deepEqual(
      audit.filter((c) => !c.pass),
      [],
    );
    const seen = audit.find((c) => c.invariant === 'every accepted request seen decided by its student')!.detail;
    const early = Number(/(\d+) told not_open/.exec(seen)?.[1]);
    assert.ok(early > 0, `some came early and were told so (${seen})`);
    assert.match(seen, new RegExp(`${early} resent`), 'and each came back once their window opened');
  });
});
