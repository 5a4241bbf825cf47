import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminClient } from '../../src/loadtest/admin-client.js';
import { run } from '../../src/loadtest/runner.js';
import { waitingRoomScenario } from '../../src/loadtest/scenarios.js';
import { parseStage } from '../../src/loadtest/stages.js';
import { ADMIN_TOKEN, useListeningInstance } from '../helpers.js';

describe('floodgate loadtest: the waiting-room scenario against a real instance', () => {
  const instance = useListeningInstance({ admissionIntervalMs: 50 });

  it('takes every person from entry through polling to admission and completion, and the audit passes', async () => {
    // Admission (40/s, 10 at a time) is slower than arrival (100/s): most people wait and poll,
    // sleeping in the runner's timer wheel between polls, and each must come back until admitted.
    const scenario = await waitingRoomScenario(new AdminClient(instance.origin, ADMIN_TOKEN), {
      admitPerSecond: 40,
      maxActive: 10,
      sessionSeconds: 60,
      holdMs: 20,
    });
    const result = await run(scenario, {
      target: instance.origin,
      stages: [parseStage('100/s:1s')],
      connections: 16,
      maxInFlight: 10_000,
      maxLagMs: 1000,
      drainMs: 15_000,
    });
    const counts = Object.fromEntries(result.recorder.summaries().map((s) => [s.name, s]));
    assert.equal(result.arrivals, 100);
    assert.equal(result.unfinished, 0, 'every person finished within the drain time');
    assert.equal(counts.enter?.count, 100);
    assert.equal(counts.complete?.count, 100, 'every person was admitted and completed');
    assert.ok((counts.poll?.count ?? 0) >= 90, `waiting people polled (${counts.poll?.count} polls)`);
    for (const s of Object.values(counts)) assert.equal(s.errors, 0, `${s.name}: no errors`);
    const audit = await scenario.audit();
    assert.deepEqual(
      audit.filter((c) => !c.pass),
      [],
    );
    assert.match(audit.find((c) => c.invariant === 'every entry got a ticket')!.detail, /^100 entries, 100 distinct tickets$/);
    // how far the ETAs were from the admissions is measured and reported, not judged
    const eta = audit.find((c) => c.invariant === 'ETA accuracy')!;
    assert.equal(eta.figure, true);
    assert.match(eta.detail, /^error of the ETA given at entry: median \d+\.\d%, p90 \d+\.\d% of the wait \(\d+ people\)/);
  });
});
