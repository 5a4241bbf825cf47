import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { admin, createRoom, deletePrefix, type Instance, startInstance, testPrefix, uniqueId } from '../helpers.js';

describe('prototype poisoning', () => {
  const prefix = testPrefix();
  let instance: Instance;
  before(async () => {
    instance = await startInstance({ redisPrefix: prefix }, { background: false });
  });
  after(async () => {
    await instance.close();
    await deletePrefix(prefix);
  });

  it('bodies carrying __proto__ or constructor keys are rejected by the schemas', async () => {
    const { id } = await createRoom(instance.app, { id: uniqueId('poison'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60 });
    for (const payload of ['{"userId":"a","__proto__":{"admin":true}}', '{"userId":"a","constructor":{"prototype":{"admin":true}}}']) {
      const res = await instance.app.inject({
        method: 'POST',
        url: `/v1/rooms/${id}/tickets`,
        payload,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.statusCode, 400, payload);
    }
    const stats = (await instance.app.inject({ url: `/v1/rooms/${id}`, headers: admin })).json().stats;
    assert.equal(stats.waiting, 0);
    assert.equal(({} as Record<string, unknown>).admin, undefined);
  });
});
