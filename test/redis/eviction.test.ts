import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { masters } from '../../src/redis/client.js';
import { evictionFindings } from '../../src/redis/eviction.js';
import { REDIS_MODE, testRedis } from '../helpers.js';

describe(`Redis (${REDIS_MODE}): a server that may evict keys is found`, () => {
  const redis = testRedis();
  after(() => redis.disconnect());

  it('finds none on servers without a memory limit or with noeviction, and every master that may evict', async () => {
    const nodes = await masters(redis);
    const saved = await Promise.all(
      nodes.map(async (node) => ({
        node,
        policy: ((await node.call('CONFIG', 'GET', 'maxmemory-policy')) as string[])[1]!,
        maxmemory: ((await node.call('CONFIG', 'GET', 'maxmemory')) as string[])[1]!,
      })),
    );
    try {
      // The tests' servers: no memory limit, so nothing is evicted whatever the policy.
      assert.deepEqual(await evictionFindings(redis), []);
      await Promise.all(nodes.map((n) => n.call('CONFIG', 'SET', 'maxmemory', String(1 << 30))));
      assert.deepEqual(await evictionFindings(redis), [], 'a limit with noeviction refuses writes, evicts nothing');
      await Promise.all(nodes.map((n) => n.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru')));
      const findings = await evictionFindings(redis);
      assert.equal(findings.length, nodes.length, 'one per master');
      for (const f of findings)
        assert.deepEqual({ ...f, server: '' }, { server: '', kind: 'evicts', policy: 'allkeys-lru', maxmemoryBytes: 1 << 30 });
      assert.deepEqual(new Set(findings.map((f) => f.server)), new Set(nodes.map((n) => `${n.options.host}:${n.options.port}`)));
    } finally {
      await Promise.all(
        saved.map(async ({ node, policy, maxmemory }) => {
          await node.call('CONFIG', 'SET', 'maxmemory-policy', policy);
          await node.call('CONFIG', 'SET', 'maxmemory', maxmemory);
        }),
      );
    }
  });
});
