import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, errors, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createRoom, enter, eventually, poll, startInstance, uniqueId, useInstance } from '../helpers.js';

describe('access tokens', () => {
  const instance = useInstance({ admissionIntervalMs: 50 });
  const prefix = instance.prefix;

  async function admit(roomId: string, userId: string, app = instance.app) {
    const ticket = (await enter(app, roomId, userId)).body.ticketId as string;
    const body = await eventually(async () => {
      const { body } = await poll(app, roomId, ticket);
      return body.state === 'admitted' ? body : undefined;
    });
    return { ticket, token: body.accessToken as string, expiresAt: body.expiresAt as string };
  }

  const verifyEndpoint = (token: string) => instance.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token } });

  it('are verified offline from the JWKS with a standard JWT library', async () => {
    const roomId = (await createRoom(instance.app, { id: uniqueId('jwt'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 })).id;
    const { ticket, token, expiresAt } = await admit(roomId, 'alice');

    const jwks = (await instance.app.inject({ url: '/.well-known/jwks.json' })).json();
    assert.ok(jwks.keys.length >= 1);
    for (const key of jwks.keys) assert.equal(key.d, undefined, 'no private part published');
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, 'EdDSA');
    assert.ok(jwks.keys.some((k: { kid: string }) => k.kid === header.kid));

    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'floodgate', audience: roomId });
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.room, roomId);
    assert.equal(payload.tid, ticket);
    assert.equal(payload.exp, Math.floor(Date.parse(expiresAt) / 1000));

    const res = await verifyEndpoint(token);
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().valid, true);
    assert.equal(res.json().claims.userId, 'alice');
    assert.equal(res.json().claims.roomId, roomId);
  });

  it('reject tampered, expired, wrong-room and unknown-key tokens', async () => {
    const roomId = (await createRoom(instance.app, { id: uniqueId('jwt'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 1 })).id;
    const otherRoom = (await createRoom(instance.app, { id: uniqueId('jwt'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 })).id;
    const { token } = await admit(roomId, 'mallory');
    const jwks = createLocalJWKSet((await instance.app.inject({ url: '/.well-known/jwks.json' })).json());

    // tampered: the payload claims another user, signature unchanged
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = [h, Buffer.from(JSON.stringify({ ...payload, sub: 'admin' })).toString('base64url'), s].join('.');
    await assert.rejects(jwtVerify(tampered, jwks), errors.JWSSignatureVerificationFailed);
    assert.equal((await verifyEndpoint(tampered)).statusCode, 401);

    // wrong room: a token of one room does not open another
    await assert.rejects(jwtVerify(token, jwks, { audience: otherRoom }), errors.JWTClaimValidationFailed);
    const extendElsewhere = await instance.app.inject({
      method: 'POST',
      url: `/v1/rooms/${otherRoom}/sessions/extend`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(extendElsewhere.statusCode, 401);

    // unknown key: well-formed, signed by someone else
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'EdDSA', kid: 'not-ours' }).sign(privateKey);
    await assert.rejects(jwtVerify(forged, jwks), errors.JWKSNoMatchingKey);
    assert.equal((await verifyEndpoint(forged)).statusCode, 401);
    assert.equal((await verifyEndpoint('not.a.jwt')).statusCode, 401);

    // expired: the session lasted one second
    await eventually(async () => ((await verifyEndpoint(token)).statusCode === 401 ? true : undefined), 3000);
    await assert.rejects(jwtVerify(token, jwks, { clockTolerance: 0 }), errors.JWTExpired);
  });

  it('are the same key across instances: one instance verifies what another signed', async () => {
    const other = await startInstance({ redisPrefix: prefix }, { background: false });
    try {
      const roomId = (await createRoom(instance.app, { id: uniqueId('jwt'), admitPerSecond: 100, maxActive: 10, sessionSeconds: 60 })).id;
      const { token } = await admit(roomId, 'bob');
      const res = await other.app.inject({ method: 'POST', url: '/v1/tokens/verify', payload: { token } });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(
        (await other.app.inject({ url: '/.well-known/jwks.json' })).json(),
        (await instance.app.inject({ url: '/.well-known/jwks.json' })).json(),
      );
    } finally {
      await other.close();
    }
  });
});
