import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminClient } from '../../src/loadtest/admin-client.js';
import { run } from '../../src/loadtest/runner.js';
import { walletScenario } from '../../src/loadtest/scenarios/wallet.js';
import { parseStage } from '../../src/loadtest/stages.js';
import { ADMIN_TOKEN, useListeningInstance } from '../helpers.js';

describe('floodgate loadtest --scenario wallet', () => {
  const instance = useListeningInstance();

  it('runs a mixed load with replays, and its audit passes; a lot edited by hand fails it', async () => {
    const databaseUrl = process.env.TEST_DATABASE_URL!;
    const scenario = await walletScenario(new AdminClient(instance.origin, ADMIN_TOKEN), {
      target: instance.origin,
      wallets: 50,
      replayShare: 0.2,
      databaseUrl,
    });
    const result = await run(scenario, {
      target: instance.origin,
      stages: [parseStage('400/s:2s')],
      connections: 64,
      maxInFlight: 10_000,
      maxLagMs: 2_000,
      drainMs: 10_000,
    });
    assert.equal(result.unfinished, 0);
    const kinds = new Map(result.recorder.summaries().map((s) => [s.name, s.count]));
    for (const kind of ['transfer', 'spend', 'earn', 'hold', 'replay'])
      assert.ok((kinds.get(kind) ?? 0) > 0, `${kind}: ${kinds.get(kind)}`);
    const checks = await scenario.audit();
    for (const c of checks) assert.ok(c.pass, `${c.invariant}: ${c.detail}`);
    assert.equal(checks.length, 5);

    // The audit can fail: a lot edited by hand makes a balance that is not the sum of its postings.
    const pool = instance.ctx.infra.pool;
    const { partnerId } = scenario.describe() as { partnerId: string };
    const { rows } = await pool.query<{ id: number }>(
      'SELECT l.id FROM wallet_lots l JOIN wallet_accounts a ON a.id = l.account_id WHERE a.partner_id = $1 AND l.open LIMIT 1',
      [partnerId],
    );
    await pool.query('UPDATE wallet_lots SET remaining = remaining + 1 WHERE id = $1', [rows[0]!.id]);
    try {
      const broken = await scenario.audit();
      assert.equal(broken.find((c) => c.invariant.startsWith('no negative balance'))!.pass, false);
    } finally {
      await pool.query('UPDATE wallet_lots SET remaining = remaining - 1 WHERE id = $1', [rows[0]!.id]);
    }
  });
});
