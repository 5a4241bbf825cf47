import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { createCampaign, createPartner } from '../claims/helpers.js';
import { admin, createRoom, uniqueId, useInstance } from '../helpers.js';

/** Issue 19, defect 2: knowing someone's userId must not give their place or their token. */
describe('identity: proven, never asserted', () => {
  const instance = useInstance({ trustedProxies: ['127.0.0.1'] }, { background: false });
  const json = { 'content-type': 'application/json' };
  const enter = (roomId: string, payload: object, headers: Record<string, string> = {}) =>
    instance.app.inject({
      method: 'POST',
      url: `/v1/rooms/${roomId}/tickets`,
      headers: { ...json, ...headers },
      payload: JSON.stringify(payload),
    });
  const newRoom = async () =>
    createRoom(instance.app, { id: uniqueId('id'), admitPerSecond: 1, maxActive: 1, sessionSeconds: 60, clientRate: null });
  const sign = (secret: string, claims: { sub?: string; aud?: string }, expiresIn: string | number = '5m') => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(expiresIn);
    if (claims.sub !== undefined) jwt.setSubject(claims.sub);
    if (claims.aud !== undefined) jwt.setAudience(claims.aud);
    return jwt.sign(new TextEncoder().encode(secret));
  };

  it('a plain userId from an unauthenticated caller is refused and never reaches that user’s ticket', async () => {
    const room = await newRoom();
    const carol = await enter(room.id, { userId: 'carol' }, admin);
    assert.equal(carol.statusCode, 201);
    const impostor = await enter(room.id, { userId: 'carol' });
    assert.equal(impostor.statusCode, 401);
    assert.equal(impostor.json().error.code, 'identity_required');
    assert.doesNotMatch(impostor.body, new RegExp(carol.json().ticketId.replace('.', '\\.')));
    const withBadKey = await enter(room.id, { userId: 'carol' }, { 'x-api-key': 'fgk_made-up' });
    assert.equal(withBadKey.statusCode, 401);
    assert.equal(withBadKey.json().error.code, 'invalid_api_key');
  });

  it('a partner backend (X-Api-Key) names the user, as the admin may: the same user gets the same ticket', async () => {
    const room = await newRoom();
    const { apiKey } = await createPartner(instance.app);
    const first = await enter(room.id, { userId: 'dave' }, { 'x-api-key': apiKey });
    const again = await enter(room.id, { userId: 'dave' }, admin);
    assert.equal(first.statusCode, 201);
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().ticketId, first.json().ticketId);
    const visitorForm = await enter(room.id, { userId: 'visitor:abc' }, { 'x-api-key': apiKey });
    assert.equal(visitorForm.statusCode, 400, 'named users cannot take an anonymous visitor’s id');
  });

  it('an anonymous visitor gets a signed, httpOnly cookie; re-entering with it keeps the place; a forged one is a stranger', async () => {
    const room = await newRoom();
    const first = await enter(room.id, {});
    assert.equal(first.statusCode, 201);
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /^fg_visitor=[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22};/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http: no Secure flag');
    const pair = cookie.split(';')[0]!;
    const again = await enter(room.id, {}, { cookie: pair });
    assert.equal(again.statusCode, 200);
    assert.equal(again.json().ticketId, first.json().ticketId);
    assert.equal(again.headers['set-cookie'], undefined, 'a known visitor keeps the cookie it has');
    const forged = await enter(room.id, {}, { cookie: `${pair.slice(0, -3)}AAA` });
    assert.equal(forged.statusCode, 201);
    assert.notEqual(forged.json().ticketId, first.json().ticketId);
    // over https (as a trusted proxy reports it) the cookie is Secure
    const viaHttps = await enter(room.id, {}, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' });
    assert.match(String(viaHttps.headers['set-cookie']), /Secure/);
  });

  it('a site’s identity token (HS256 with the room’s secret, aud = room, exp) enters its subject; anything else is refused', async () => {
    const room = await newRoom();
    const secret = room.identitySecret as string;
    assert.ok(secret.length >= 40, 'the room was given an identity secret at creation');
    const described = (await instance.app.inject({ url: `/v1/rooms/${room.id}`, headers: admin })).json();
    assert.equal(described.identitySecret, undefined, 'the secret is never shown again');

    const erin = await enter(room.id, { identityToken: await sign(secret, { sub: 'erin', aud: room.id }) });
    assert.equal(erin.statusCode, 201);
    const erinAgain = await enter(room.id, { userId: 'erin' }, admin);
    assert.equal(erinAgain.json().ticketId, erin.json().ticketId, 'the token’s subject is the user');

    const refused = [
      await sign('another-secret-another-secret-another', { sub: 'erin', aud: room.id }),
      await sign(secret, { sub: 'erin', aud: 'another-room' }),
      await sign(secret, { sub: 'erin', aud: room.id }, Math.floor(Date.now() / 1000) - 60),
      await sign(secret, { sub: 'erin', aud: room.id }, '48h'),
      await sign(secret, { aud: room.id }),
    ];
    for (const identityToken of refused) {
      const res = await enter(room.id, { identityToken });
      assert.equal(res.statusCode, 401, identityToken);
      assert.equal(res.json().error.code, 'invalid_identity_token');
    }

    // rotating the secret: tokens signed with the old one are refused from then on
    const rotated = await instance.app.inject({ method: 'POST', url: `/v1/rooms/${room.id}/identity-secret`, headers: admin });
    assert.equal(rotated.statusCode, 200);
    const old = await enter(room.id, { identityToken: await sign(secret, { sub: 'fred', aud: room.id }) });
    assert.equal(old.statusCode, 401);
    const fresh = await enter(room.id, { identityToken: await sign(rotated.json().identitySecret, { sub: 'fred', aud: room.id }) });
    assert.equal(fresh.statusCode, 201);
  });
});

describe('partner keys across instances', () => {
  const first = useInstance({}, { background: false });
  const second = useInstance({}, { background: false });

  it('a key created on one instance works at once on another, for a whole burst', async () => {
    // The second instance has loaded its set of keys before the key exists: it must look it up.
    await first.app.inject({ method: 'GET', url: '/v1/partners', headers: admin });
    const campaign = await createCampaign(second.app, { id: uniqueId('burst'), stock: 1000 });
    await second.app.inject({
      method: 'POST',
      url: `/v1/campaigns/${campaign.id}/claims`,
      headers: { 'x-api-key': 'fgk_not-yet' },
      payload: { userId: 'warm-up' },
    });
    const { apiKey } = await createPartner(first.app);
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        second.app.inject({
          method: 'POST',
          url: `/v1/campaigns/${campaign.id}/claims`,
          headers: { 'x-api-key': apiKey },
          payload: { userId: `buyer-${i}` },
        }),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    assert.deepEqual(
      statuses.filter((s) => s !== 201),
      [],
      `not 201: ${answers.find((a) => a.statusCode !== 201)?.body}`,
    );
  });
});
