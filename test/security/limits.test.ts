import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { createCampaign } from '../claims/helpers.js';
import { admin, createRoom, enter, eventually, poll, uniqueId, useListeningInstance } from '../helpers.js';

/** Issue 19, defects 9 and 10: per-client limits, framework errors, webhook destinations, /metrics. */
describe('per-client limits and the edges of the HTTP surface', () => {
  const instance = useListeningInstance(
    { trustedProxies: ['10.0.0.1'], metricsToken: 'metrics-token-0123456789', webhookAllowPrivate: false },
    { background: true },
  );

  async function enterAnonymously(roomId: string, headers: Record<string, string> = {}) {
    const res = await request(`${instance.origin}/v1/rooms/${roomId}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: (await res.body.json()) as any };
  }

  it('limits a client’s anonymous entries with a token bucket per room: 429 with Retry-After; other clients and backends go on', async () => {
    const room = await createRoom(instance.app, {
      id: uniqueId('rate'),
      admitPerSecond: 1,
      maxActive: 1,
      sessionSeconds: 60,
      clientRate: { perSecond: 1, burst: 5 },
    });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push(await enterAnonymously(room.id));
    assert.deepEqual(
      statuses.map((s) => s.status),
      [201, 201, 201, 201, 201, 429, 429, 429],
    );
    assert.equal(statuses[5]!.body.error.code, 'rate_limited');
    assert.equal(statuses[5]!.retryAfter, '1');
    // a backend naming users is not a browser: not limited per address
    for (let i = 0; i < 8; i++) assert.equal((await enter(instance.app, room.id, `named-${i}`)).status, 201);
    // the limit refills at the rule's rate
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal((await enterAnonymously(room.id)).status, 201);
    // an operator can lift it
    const lifted = await instance.app.inject({
      method: 'PATCH',
      url: `/v1/rooms/${room.id}`,
      headers: admin,
      payload: { clientRate: null },
    });
    assert.equal(lifted.statusCode, 200);
    assert.equal(lifted.json().clientRate, null);
    await eventually(async () => ((await enterAnonymously(room.id)).status === 201 ? true : undefined));
  });

  it('believes X-Forwarded-For only from a configured proxy', async () => {
    // Requests here come from 127.0.0.1, which is not a trusted proxy: the forwarded address is
    // ignored, so spoofing a new one each time does not escape the limit.
    const room = await createRoom(instance.app, {
      id: uniqueId('xff'),
      admitPerSecond: 1,
      maxActive: 1,
      sessionSeconds: 60,
      clientRate: { perSecond: 1, burst: 2 },
    });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await enterAnonymously(room.id, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    assert.deepEqual(statuses, [201, 201, 429, 429]);
  });

  it('limits browser claims on a room-gated campaign per client too', async () => {
    const room = await createRoom(instance.app, { id: uniqueId('gate'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 });
    const campaign = await createCampaign(instance.app, {
      id: uniqueId('gated'),
      stock: 100,
      roomId: room.id,
      clientRate: { perSecond: 1, burst: 2 },
    });
    const ticketId = (await enter(instance.app, room.id, 'hal')).body.ticketId as string;
    const token = await eventually(async () => (await poll(instance.app, room.id, ticketId)).body.accessToken as string | undefined);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(`${instance.origin}/v1/campaigns/${campaign.id}/claims`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: '{}',
      });
      await res.body.dump();
      statuses.push(res.statusCode);
    }
    assert.deepEqual(statuses, [201, 409, 429]);
  });

  it('answers framework errors with the documented body: 414, 431, 415, 404', async () => {
    const { port } = new URL(instance.origin);
    const errorOf = async (res: { statusCode: number; body: { json(): Promise<unknown> } }) => ({
      status: res.statusCode,
      body: (await res.body.json()) as any,
    });
    const longParam = await errorOf(await request(`${instance.origin}/v1/campaigns/c/claims/${'x'.repeat(3_000)}`));
    assert.equal(longParam.status, 414);
    assert.equal(longParam.body.error.code, 'uri_too_long');
    const bigHeaders = await errorOf(await request(`http://127.0.0.1:${port}/livez`, { headers: { 'x-filler': 'x'.repeat(20_000) } }));
    assert.equal(bigHeaders.status, 431);
    assert.equal(bigHeaders.body.error.code, 'header_fields_too_large');
    const wrongType = await errorOf(
      await request(`${instance.origin}/v1/partners`, {
        method: 'POST',
        headers: { 'content-type': 'application/xml', ...admin },
        body: '<x/>',
      }),
    );
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.body.error.code, 'unsupported_media_type');
    const missing = await errorOf(await request(`${instance.origin}/nowhere`));
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
  });

  it('refuses webhooks to loopback, link-local and private addresses (unless FLOODGATE_WEBHOOK_ALLOW_PRIVATE=1)', async () => {
    for (const webhookUrl of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://169.254.169.254/latest',
      'http://10.1.2.3/x',
      'http://[::1]/x',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      const res = await instance.app.inject({
        method: 'POST',
        url: '/v1/campaigns',
        headers: admin,
        payload: { id: uniqueId('hook'), stock: 1, webhookUrl },
      });
      assert.equal(res.statusCode, 400, webhookUrl);
      assert.match(res.json().error.message, /FLOODGATE_WEBHOOK_ALLOW_PRIVATE/);
    }
    const ok = await instance.app.inject({
      method: 'POST',
      url: '/v1/campaigns',
      headers: admin,
      payload: { id: uniqueId('hook'), stock: 1, webhookUrl: 'https://hooks.example.com/floodgate' },
    });
    assert.equal(ok.statusCode, 201);
  });

  it('protects /metrics with FLOODGATE_METRICS_TOKEN when it is set', async () => {
    assert.equal((await instance.app.inject({ url: '/metrics' })).statusCode, 401);
    assert.equal((await instance.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
    const scraped = await instance.app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
    assert.equal(scraped.statusCode, 200);
    assert.match(scraped.body, /floodgate_http_request_duration_seconds/);
  });
});
