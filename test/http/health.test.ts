import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useInstance } from '../helpers.js';

describe('http foundation', () => {
  const instance = useInstance({}, { background: false });

  it('answers liveness and readiness, and fails readiness while draining', async () => {
    assert.equal((await instance.app.inject({ url: '/livez' })).statusCode, 200);
    const ready = await instance.app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json().checks, { redis: 'ok', postgres: 'ok' });
    instance.app.lifecycle.draining = true;
    try {
      const draining = await instance.app.inject({ url: '/readyz' });
      assert.equal(draining.statusCode, 503);
      assert.equal(draining.json().error.code, 'unavailable');
    } finally {
      instance.app.lifecycle.draining = false;
    }
  });

  it('publishes an OpenAPI document generated from the route schemas, and its docs page', async () => {
    const spec = (await instance.app.inject({ url: '/openapi.json' })).json();
    assert.match(spec.openapi, /^3\./);
    const ticketPost = spec.paths['/v1/rooms/{roomId}/tickets'].post;
    assert.deepEqual(Object.keys(ticketPost.requestBody.content['application/json'].schema.properties), ['userId', 'identityToken']);
    assert.ok(spec.paths['/v1/tokens/verify']);
    const docs = await instance.app.inject({ url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers['content-type'] as string, /html/);
  });

  it('answers unknown routes with the JSON error shape', async () => {
    const res = await instance.app.inject({ url: '/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
  });
});
