import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { campaignKeys } from '../../src/claims/keys.js';
import { claim, createCampaign, createPartner, describeCampaign, pooled } from '../claims/helpers.js';
import {
  deletePrefix,
  eventually,
  type Instance,
  killServe,
  REDIS_MODE,
  sleep,
  startInstance,
  startServe,
  testPrefix,
  uniqueId,
} from '../helpers.js';
import { TcpProxy } from '../tcp-proxy.js';

// The fault suite (issue 19): each scenario breaks something mid-burst, lets the system recover,
// then runs the same audit. Every 2xx is durable; nothing is oversold or sold twice; nothing stays
// pending; every campaign converges (claimed = persisted, the whole stock sells).

interface Answer {
  status: number;
  claimId?: string;
}

/** The audit after recovery: claims on until sold out, then checks every invariant against PostgreSQL. */
async function audit(instance: Instance, campaignId: string, stock: number, answers: Answer[], apiKey: string): Promise<void> {
  // Whatever the faults left: every unit must sell, holes included (units no surviving record holds).
  let round = 0;
  await eventually(
    async () => {
      const rest = await pooled(
        Array.from({ length: stock }, (_, i) => () => claim(instance.app, campaignId, `after-${round}-${i}`, apiKey)),
        20,
      );
      round++;
      for (const r of rest) answers.push({ status: r.status, claimId: r.body.claimId });
      const stats = await describeCampaign(instance.app, campaignId);
      return stats.remaining === 0 && stats.pending === 0 ? true : undefined;
    },
    30_000,
    500,
  );
  const { rows } = await instance.ctx.infra.pool.query<{ seq: number; claim_id: string; user_id: string }>(
    'SELECT seq, claim_id, user_id FROM claims WHERE campaign_id = $1 ORDER BY seq',
    [campaignId],
  );
  const stored = new Set(rows.map((r) => r.claim_id));
  for (const a of answers)
    if (a.status === 201 || a.status === 202) assert.ok(stored.has(a.claimId!), `a ${a.status} (${a.claimId}) is durable`);
  assert.deepEqual(
    rows.map((r) => r.seq),
    Array.from({ length: stock }, (_, i) => i + 1),
    'each unit sold exactly once, none oversold',
  );
  assert.equal(new Set(rows.map((r) => r.user_id)).size, rows.length, 'one claim per user (perUserLimit 1)');
  const stats = await describeCampaign(instance.app, campaignId);
  assert.deepEqual([stats.claimed, stats.persisted, stats.pending], [stock, stock, 0]);
  // committed entries are trimmed together, every ~100 ms
  const log = campaignKeys(instance.ctx.infra.prefix, campaignId).log;
  await eventually(async () => ((await instance.ctx.infra.redis.xlen(log)) === 0 ? true : undefined), 5_000, 50);
}

describe('faults: every 2xx durable, nothing oversold, nothing stuck pending, every campaign converges', () => {
  const prefixes: string[] = [];
  after(async () => {
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  it('an instance killed mid-burst, and within seconds Redis loses the campaign: converges, every time (4 rounds)', async () => {
    for (let round = 0; round < 4; round++) {
      const prefix = testPrefix();
      prefixes.push(prefix);
      const served = await startServe(prefix);
      const { origin } = served;
      const instance = await startInstance({ redisPrefix: prefix });
      try {
        const stock = 300;
        const { apiKey } = await createPartner(instance.app);
        const { id } = await createCampaign(instance.app, { id: uniqueId(`kill${round}`), stock });
        const answers: Answer[] = [];
        let killed = false;
        await pooled(
          Array.from({ length: 600 }, (_, i) => async () => {
            try {
              const res = await request(`${origin}/v1/campaigns/${id}/claims`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
                body: JSON.stringify({ userId: `u${i}` }),
              });
              const body = (await res.body.json()) as { claimId?: string };
              answers.push({ status: res.statusCode, ...(body.claimId ? { claimId: body.claimId } : {}) });
              if (!killed && answers.filter((a) => a.status === 201).length >= 40 + round * 20) {
                killed = true;
                served.child.kill('SIGKILL');
              }
            } catch {
              // the connection died with the process: no answer, no promise made
            }
          }),
          60,
        );
        assert.ok(killed);
        await killServe(served);
        // Within seconds, Redis loses the campaign (a restart without persistence).
        await sleep(round * 500);
        await deletePrefix(prefix);
        await audit(instance, id, stock, answers, apiKey);
      } finally {
        await killServe(served);
        await instance.close();
      }
    }
  });

  it('PostgreSQL stopped and started mid-burst: 202s become confirmed, the campaign converges', async () => {
    const dataDir = process.env.TEST_PG_DATA_DIR;
    assert.ok(dataDir, 'TEST_PG_DATA_DIR names the private PostgreSQL to restart (npm test sets it)');
    const prefix = testPrefix();
    prefixes.push(prefix);
    const instance = await startInstance({ redisPrefix: prefix });
    try {
      const stock = 200;
      const { apiKey } = await createPartner(instance.app);
      const { id } = await createCampaign(instance.app, { id: uniqueId('pgstop'), stock });
      const answers: Answer[] = [];
      const burst = (from: number, count: number) =>
        pooled(
          Array.from({ length: count }, (_, i) => async () => {
            const r = await claim(instance.app, id, `u${from + i}`, apiKey);
            answers.push({ status: r.status, claimId: r.body.claimId });
          }),
          20,
        );
      await burst(0, 50);
      pgCtl(dataDir, 'stop', '-m', 'fast');
      try {
        await burst(50, 50);
        assert.ok(
          answers.slice(50).every((a) => a.status === 202 || a.status === 503),
          'while PostgreSQL is down: 202 pending (or 503), never a 201 nor a 500',
        );
      } finally {
        pgCtl(dataDir, 'start');
      }
      await audit(instance, id, stock, answers, apiKey);
    } finally {
      await instance.close();
    }
  });

  if (REDIS_MODE === 'single') {
    it('Redis unreachable mid-burst: refused fast with 503, nothing half-decided, then converges', async () => {
      const prefix = testPrefix();
      prefixes.push(prefix);
      const url = new URL(process.env.TEST_REDIS_URL!);
      const proxy = await new TcpProxy({ host: url.hostname, port: Number(url.port) }).start();
      const instance = await startInstance({ redisPrefix: prefix, redisUrl: proxy.url(process.env.TEST_REDIS_URL!) });
      try {
        const stock = 150;
        const { apiKey } = await createPartner(instance.app);
        const { id } = await createCampaign(instance.app, { id: uniqueId('redisdown'), stock });
        const answers: Answer[] = [];
        const burst = (from: number, count: number) =>
          pooled(
            Array.from({ length: count }, (_, i) => async () => {
              const started = Date.now();
              const r = await claim(instance.app, id, `u${from + i}`, apiKey);
              answers.push({ status: r.status, claimId: r.body.claimId });
              return Date.now() - started;
            }),
            20,
          );
        await burst(0, 40);
        proxy.down();
        const took = await burst(40, 40);
        proxy.up();
        const during = answers.slice(40);
        assert.ok(
          during.every((a) => a.status === 503 || a.status === 201),
          `while Redis is unreachable: ${[...new Set(during.map((a) => a.status))]}`,
        );
        assert.ok(Math.max(...took) < 3_000, `answered within ${Math.max(...took)} ms`);
        await audit(instance, id, stock, answers, apiKey);
      } finally {
        proxy.up();
        await instance.close();
        await proxy.close();
      }
    });
  }

  it('a poisoned log entry (a row PostgreSQL refuses) is parked; the campaign and the ones after it converge', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const instance = await startInstance({ redisPrefix: prefix });
    try {
      const stock = 50;
      const { apiKey } = await createPartner(instance.app);
      const poisoned = await createCampaign(instance.app, { id: uniqueId('a-poison'), stock });
      const next = await createCampaign(instance.app, { id: uniqueId('b-next'), stock });
      // A dead writer's claims from a minute ago, as claim-4.lua records them: one the database
      // refuses (a NUL in the user id, which the API refuses but an older version or a bug might
      // let through), one fine.
      const at = Date.now() - 60_000;
      const keys = campaignKeys(prefix, poisoned.id);
      const { redis } = instance.ctx.infra;
      await redis.xadd(keys.log, `${at}-0`, 'c', `1|1|0||${at}|nul\u0000user`);
      await redis.xadd(keys.log, `${at}-1`, 'c', `2|1|0||${at}|fine`);
      await redis.hset(keys.users, 'nul\u0000user', '1:1', 'fine', '2:1');
      await redis.hset(keys.st, 'claimed', 2, 'nextSeq', 2);
      const log = keys.log;
      // the sweeper runs in the background: the poisoned entry is parked, 'fine' is stored, the log empties
      await eventually(async () => ((await instance.ctx.infra.redis.xlen(log)) === 0 ? true : undefined), 10_000, 200);
      const parked = await instance.ctx.infra.pool.query('SELECT reason FROM parked_entries WHERE capability = $1 AND entity_id = $2', [
        'claims',
        Buffer.from(poisoned.id),
      ]);
      assert.equal(parked.rowCount, 1);
      // The parked claim's unit (seq 1) was never confirmed: parking gave it back, and it sells again.
      assert.equal((await describeCampaign(instance.app, poisoned.id)).pending, 0);
      await audit(instance, poisoned.id, stock, [], apiKey);
      await audit(instance, next.id, stock, [], apiKey);
    } finally {
      await instance.close();
    }
  });
});

/** pg_ctl on the private test PostgreSQL (as the postgres user when root), with the options it was started with. */
function pgCtl(dataDir: string, action: 'stop' | 'start', ...args: string[]): void {
  const bin = execFileSync('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1']).toString().trim();
  const options =
    action === 'start'
      ? [
          '-o',
          readFileSync(`${dataDir}/postmaster.opts`, 'utf8')
            .replace(/^\S+\s*/, '')
            .replace(/"/g, '')
            .trim(),
          '-l',
          `${dataDir}/server.log`,
          '-w',
        ]
      : [];
  const command = [`${bin}/pg_ctl`, '-D', dataDir, action, ...args, ...options];
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...command] : command;
  execFileSync(asPostgres[0]!, asPostgres.slice(1), { stdio: 'ignore' });
}
