import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from 'undici';
import { sleep, useListeningInstance } from '../helpers.js';

describe('http: keep-alive', () => {
  const instance = useListeningInstance({}, { background: false });

  it('keeps an idle keep-alive connection open longer than a load balancer would (Node alone: 5 s)', async () => {
    let connections = 0;
    const count = () => connections++;
    instance.app.server.on('connection', count);
    const client = new Client(instance.origin, { keepAliveTimeout: 120_000 });
    try {
      assert.equal((await client.request({ method: 'GET', path: '/livez' })).statusCode, 200);
      await sleep(5_500); // past Node's own 5 s keep-alive timeout
      const again = await client.request({ method: 'GET', path: '/livez' });
      assert.equal(again.statusCode, 200);
      await again.body.dump();
      assert.equal(connections, 1, 'both requests on one connection');
      assert.ok(instance.app.server.keepAliveTimeout > 60_000);
    } finally {
      instance.app.server.off('connection', count);
      await client.close();
    }
  });
});
