import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { ADMIN_TOKEN, deletePrefix, eventually, killServe, sleep, startInstance, startServe, testPrefix, uniqueId } from '../helpers.js';
import { TcpProxy } from '../tcp-proxy.js';
import { claim, createCampaign, createPartner, describeCampaign, pooled } from './helpers.js';

const storedClaimIds = async (
  pool: { query: (sql: string, values: unknown[]) => Promise<unknown> },
  campaignId: string,
): Promise<Set<string>> =>
  new Set(
    (
      (await pool.query('SELECT claim_id FROM claims WHERE campaign_id = $1', [campaignId])) as { rows: Array<{ claim_id: string }> }
    ).rows.map((r) => r.claim_id),
  );

describe('claims under faults: nothing accepted is lost, nothing is sold twice', () => {
  const prefixes: string[] = [];
  after(async () => {
    for (const prefix of prefixes) await deletePrefix(prefix);
  });

  it('a process killed with SIGKILL during a burst, then restarted: every 201 is in PostgreSQL, stock holds', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    let server = await startServe(prefix);
    const { origin } = server;
    try {
      const json = async (path: string, body: object, headers: Record<string, string> = {}) => {
        const res = await request(`${origin}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
      };
      const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
      const campaignId = uniqueId('kill');
      assert.equal((await json('/v1/campaigns', { id: campaignId, stock: 300 }, auth)).status, 201);
      const { apiKey } = (await json('/v1/partners', { name: 'p' }, auth)).body as { apiKey: string };

      const confirmed: string[] = [];
      let killed = false;
      const burst = pooled(
        Array.from({ length: 1000 }, (_, i) => async () => {
          try {
            const r = await json(`/v1/campaigns/${campaignId}/claims`, { userId: `u${i}` }, { 'x-api-key': apiKey });
            if (r.status === 201) confirmed.push(r.body.claimId as string);
            if (confirmed.length >= 60 && !killed) {
              killed = true;
              server.child.kill('SIGKILL');
            }
          } catch {
            // the connection died with the process
          }
        }),
        100,
      );
      await burst;
      assert.ok(killed, 'the process was killed mid-burst');
      await killServe(server);
      server = await startServe(prefix, { port: server.port });

      // the restarted instance's sweeper persists what the dead one accepted but had not committed
      const ctx = (await startInstance({ redisPrefix: prefix }, { background: false })).ctx;
      try {
        const stored = await eventually(
          async () => {
            const ids = await storedClaimIds(ctx.infra.pool, campaignId);
            const log = await ctx.infra.redis.xlen(`${prefix}:{camp:${campaignId}}:log`);
            return log === 0 ? ids : undefined;
          },
          15_000,
          250,
        ).catch((err: unknown) => {
          throw new Error(`the log was not drained: ${String(err)}; the restarted server wrote: ${server.stderr()}`);
        });
        for (const id of confirmed) assert.ok(stored.has(id), `a 201 (${id}) is missing from PostgreSQL`);
        const claimed = Number(await ctx.infra.redis.hget(`${prefix}:{camp:${campaignId}}:st`, 'claimed'));
        assert.equal(stored.size, claimed, 'every accepted claim is stored');
        assert.ok(stored.size <= 300);

        // the campaign goes on after the restart and sells exactly its stock
        const rest = await pooled(
          Array.from(
            { length: 600 },
            (_, i) => () => json(`/v1/campaigns/${campaignId}/claims`, { userId: `v${i}` }, { 'x-api-key': apiKey }),
          ),
          50,
        );
        const tally = new Map<number, { count: number; example: unknown }>();
        for (const r of rest) tally.set(r.status, { count: (tally.get(r.status)?.count ?? 0) + 1, example: r.body });
        assert.equal(
          tally.get(201)?.count ?? 0,
          300 - claimed,
          `answers after the restart: ${JSON.stringify([...tally])}; the server wrote: ${server.stderr()}`,
        );
        const rows = await ctx.infra.pool.query<{ n: number; seqs: number; users: number }>(
          'SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs, count(DISTINCT user_id)::int AS users FROM claims WHERE campaign_id = $1',
          [campaignId],
        );
        assert.deepEqual(rows.rows[0], { n: 300, seqs: 300, users: 300 });
      } finally {
        await ctx.close();
      }
    } finally {
      await killServe(server);
    }
  });

  it('Redis loses the campaign mid-burst: it is rebuilt from PostgreSQL, nothing is re-sold', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const instance = await startInstance({ redisPrefix: prefix });
    try {
      const { apiKey } = await createPartner(instance.app);
      const { id } = await createCampaign(instance.app, { id: uniqueId('flush'), stock: 400 });
      const outcomes = new Map<string, { status: number; claimId?: string }>();
      let flushed = false;
      const attempt = async (userId: string) => {
        const r = await claim(instance.app, id, userId, apiKey);
        if (r.status === 201) outcomes.set(userId, { status: 201, claimId: r.body.claimId });
        else if (outcomes.get(userId)?.status !== 201) outcomes.set(userId, { status: r.status });
        if (!flushed && [...outcomes.values()].filter((o) => o.status === 201).length >= 150) {
          flushed = true;
          await deletePrefix(prefix); // what a restart without persistence, or a FLUSHALL, does to us
        }
        return r.status;
      };
      const first = await pooled(
        Array.from({ length: 1000 }, (_, i) => () => attempt(`u${i}`)),
        50,
      );
      assert.ok(flushed);
      assert.ok(first.includes(503), 'claims were refused while the state was rebuilt');
      // users refused during the rebuild try again
      await eventually(
        async () => {
          const retry = [...outcomes].filter(([, o]) => o.status === 503).map(([u]) => u);
          await pooled(
            retry.map((u) => () => attempt(u)),
            20,
          );
          return [...outcomes.values()].some((o) => o.status === 503) ? undefined : true;
        },
        20_000,
        500,
      );

      const wins = [...outcomes].filter(([, o]) => o.status === 201);
      const stored = await storedClaimIds(instance.ctx.infra.pool, id);
      for (const [, o] of wins) assert.ok(stored.has(o.claimId!), 'every 201 is stored');
      const rows = await instance.ctx.infra.pool.query<{ n: number; seqs: number; users: number; max: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs, count(DISTINCT user_id)::int AS users, max(seq)::int AS max FROM claims WHERE campaign_id = $1',
        [id],
      );
      assert.deepEqual(rows.rows[0], { n: 400, seqs: 400, users: 400, max: 400 });
      assert.equal(wins.length, 400);
      const stats = await describeCampaign(instance.app, id);
      assert.equal(stats.claimed, 400);
      assert.equal(stats.remaining, 0);
    } finally {
      await instance.close();
    }
  });

  it('PostgreSQL unreachable mid-burst: 202 pending, confirmed once it is back', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const target = new URL(process.env.TEST_DATABASE_URL!);
    const proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
    const instance = await startInstance({ redisPrefix: prefix, databaseUrl: proxy.url(process.env.TEST_DATABASE_URL!) });
    try {
      const { apiKey } = await createPartner(instance.app);
      const { id } = await createCampaign(instance.app, { id: uniqueId('pgdown'), stock: 100 });
      const before = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(instance.app, id, `a${i}`, apiKey)));
      assert.ok(before.every((r) => r.status === 201));

      proxy.down();
      const during = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(instance.app, id, `b${i}`, apiKey)));
      for (const r of during) {
        assert.equal(r.status, 202, JSON.stringify(r.body));
        assert.equal(r.body.status, 'pending');
      }
      const status = await instance.app.inject({ url: `/v1/campaigns/${id}/claims/b0`, headers: { 'x-api-key': apiKey } });
      assert.equal(status.json().status, 'pending');
      // still first come, first served: nobody gets a place twice, stock still counts
      assert.equal((await claim(instance.app, id, 'b0', apiKey)).status, 409);

      proxy.up();
      await eventually(
        async () => {
          const s = await instance.app.inject({ url: `/v1/campaigns/${id}/claims/b29`, headers: { 'x-api-key': apiKey } });
          return s.statusCode === 200 && s.json().status === 'confirmed' ? true : undefined;
        },
        15_000,
        250,
      );
      const stored = await storedClaimIds(instance.ctx.infra.pool, id);
      for (const r of [...before, ...during]) assert.ok(stored.has(r.body.claimId), 'every accepted claim is stored');
      assert.equal(stored.size, 50);
      await eventually(async () => ((await describeCampaign(instance.app, id)).pending === 0 ? true : undefined), 5000);
    } finally {
      await instance.close();
      await proxy.close();
    }
  });

  it('a webhook receiver down, then up: every confirmed claim is delivered, with an idempotency key', async () => {
    const prefix = testPrefix();
    prefixes.push(prefix);
    const received = new Map<string, unknown>();
    let receiverUp = false;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (!receiverUp) {
          res.writeHead(503).end();
          return;
        }
        received.set(String(req.headers['idempotency-key']), JSON.parse(body));
        res.writeHead(204).end();
      });
    }).listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    const instance = await startInstance({ redisPrefix: prefix });
    try {
      const { apiKey } = await createPartner(instance.app);
      const { id } = await createCampaign(instance.app, { id: uniqueId('hook'), stock: 25, webhookUrl: hook });
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => claim(instance.app, id, `u${i}`, apiKey)));
      const confirmed = results.filter((r) => r.status === 201).map((r) => r.body.claimId as string);
      assert.equal(confirmed.length, 25);
      await sleep(1500); // deliveries are attempted and fail meanwhile
      const attempted = await instance.ctx.infra.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE payload->>'campaignId' = $1 AND attempts > 0 AND delivered_at IS NULL`,
        [id],
      );
      assert.ok(attempted.rows[0]!.n > 0, 'deliveries were tried while the receiver was down');
      receiverUp = true;
      await eventually(async () => (confirmed.every((c) => received.has(`claim.confirmed:${c}`)) ? true : undefined), 20_000, 250);
      const payload = received.get(`claim.confirmed:${confirmed[0]}`) as Record<string, unknown>;
      assert.equal(payload.event, 'claim.confirmed');
      assert.equal(payload.campaignId, id);
    } finally {
      await instance.close();
      receiver.close();
    }
  });
});
