import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminClient } from '../../src/loadtest/admin-client.js';
import { run } from '../../src/loadtest/runner.js';
import { seatsOneSeatScenario } from '../../src/loadtest/scenarios/seats.js';
import { parseStage } from '../../src/loadtest/stages.js';
import { ADMIN_TOKEN, useListeningInstance } from '../helpers.js';

describe('floodgate loadtest --scenario seats-one-seat', () => {
  const instance = useListeningInstance();

  it('seed 003: many people try one seat, one booking; the warm-up books its own show, never the audited one', async () => {
    const admin = new AdminClient(instance.origin, ADMIN_TOKEN);
    const scenario = await seatsOneSeatScenario(admin, {
      databaseUrl: process.env.TEST_DATABASE_URL!,
      users: 50,
      venueSeats: 100,
      holdSeconds: 60,
      confirmShare: 0,
      p99Ms: 60_000,
      warmup: true,
    });
    const result = await run(scenario, {
      target: instance.origin,
      stages: [parseStage('200/s:1s')],
      connections: 16,
      maxInFlight: 10_000,
      maxLagMs: 2_000,
      drainMs: 10_000,
      warmupMs: 500,
    });
    assert.equal(result.unfinished, 0);
    assert.deepEqual({ ...result.warmup, durationMs: 0 }, { arrivals: 100, failed: 0, unfinished: 0, durationMs: 0 });
    const holds = result.recorder.summaries().find((s) => s.name === 'hold')!;
    assert.equal(holds.count, 200, 'the warm-up holds are not recorded');
    assert.deepEqual(holds.statuses, { '201': 1, '409': 199 });
    const checks = [...(await scenario.audit()), ...(scenario.auditRun?.(result.recorder.summaries(), result.recorder.dropped) ?? [])];
    for (const c of checks) assert.ok(c.pass, `${c.invariant}: ${c.detail}`);

    // The warm-up's show (a twin, same partner) got its own booking; the audited show one.
    const { showId, warmupShowId } = scenario.describe() as { showId: string; warmupShowId: string };
    const partnerId = scenario.created.find((c) => c.kind === 'partner')!.id;
    const { rows } = await instance.ctx.infra.pool.query<{ show_id: string; n: number }>(
      `SELECT show_id, count(*)::int AS n FROM bookings WHERE partner_id = $1 AND status = 'confirmed' GROUP BY show_id ORDER BY show_id`,
      [partnerId],
    );
    assert.deepEqual(
      rows.map((r) => [r.show_id, r.n]).sort(),
      [
        [showId, 1],
        [warmupShowId, 1],
      ].sort(),
    );
  });
});
