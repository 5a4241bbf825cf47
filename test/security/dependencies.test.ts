import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { admin, createRoom, enter, REDIS_MODE, startInstance, testConfig, testPrefix, uniqueId } from '../helpers.js';
import { TcpProxy } from '../tcp-proxy.js';

/** Every request that needs Redis: 503 dependency_unavailable, Retry-After, within ~2 s. */
async function assertAnswersUnavailable(app: FastifyInstance, roomId: string, ticketId: string): Promise<void> {
  for (const [method, url] of [
    ['POST', `/v1/rooms/${roomId}/tickets`],
    ['GET', `/v1/rooms/${roomId}/tickets/${ticketId}`],
    ['GET', `/v1/rooms/${roomId}`],
  ] as const) {
    const started = Date.now();
    const res = await app.inject({ method, url, headers: admin, ...(method === 'POST' ? { payload: { userId: 'bob' } } : {}) });
    const took = Date.now() - started;
    assert.equal(res.statusCode, 503, `${method} ${url}: ${res.body}`);
    assert.equal(res.json().error.code, 'dependency_unavailable');
    assert.equal(res.headers['retry-after'], '1');
    assert.ok(took < 3_000, `${method} ${url} answered after ${took} ms`);
  }
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 503);
}

/** Issue 19, defect 8: with Redis unreachable, nothing hangs. */
describe(`Redis unreachable (${REDIS_MODE})`, () => {
  if (REDIS_MODE === 'single') {
    it('cut mid-run: 503 dependency_unavailable within ~2 s, and the same requests succeed again once it is back', async () => {
      const config = testConfig();
      const target = new URL(config.redisUrl);
      const proxy = await new TcpProxy({ host: target.hostname, port: Number(target.port) }).start();
      const instance = await startInstance({ redisPrefix: testPrefix(), redisUrl: proxy.url(config.redisUrl) }, { background: false });
      try {
        const { id } = await createRoom(instance.app, { id: uniqueId('down'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
        const ticketId = (await enter(instance.app, id, 'ann')).body.ticketId as string;
        proxy.down();
        await assertAnswersUnavailable(instance.app, id, ticketId);
        proxy.up();
        const deadline = Date.now() + 10_000;
        let status = 0;
        while (Date.now() < deadline && status !== 200) {
          status = (await instance.app.inject({ url: `/v1/rooms/${id}/tickets/${ticketId}` })).statusCode;
          if (status !== 200) await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(status, 200, 'polls are answered again once Redis is back, without a restart');
      } finally {
        proxy.up();
        await instance.close();
        await proxy.close();
      }
    });
  } else {
    it('a cluster none of whose nodes answers: 503 dependency_unavailable within ~2 s', async () => {
      const prefix = testPrefix();
      const healthy = await startInstance({ redisPrefix: prefix }, { background: false });
      const { id } = await createRoom(healthy.app, { id: uniqueId('down'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
      const ticketId = (await enter(healthy.app, id, 'ann')).body.ticketId as string;
      await healthy.close();
      // The same room and database, through seed nodes nothing answers on: no slot map, ever.
      const dead = await new TcpProxy({ host: '127.0.0.1', port: 9 }).start();
      dead.down();
      const instance = await startInstance(
        { redisPrefix: prefix, redisClusterNodes: [{ host: '127.0.0.1', port: dead.port }] },
        { background: false },
      );
      try {
        await assertAnswersUnavailable(instance.app, id, ticketId);
      } finally {
        await instance.close();
        await dead.close();
      }
    });
  }
});
