import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSigner } from 'fast-jwt';
import { type AccessClaims, AccessTokens } from '../../src/tokens/access-token.js';
import type { Keystore } from '../../src/tokens/keystore.js';

function keyPair(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    kid,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

function keystore(signing: ReturnType<typeof keyPair>, ...others: Array<ReturnType<typeof keyPair>>): Keystore {
  return {
    signing: { kid: signing.kid, privateKeyPem: signing.privateKeyPem },
    publicKeys: new Map([signing, ...others].map((k) => [k.kid, k.publicKeyPem])),
    publicJwks: { keys: [] },
  };
}

const claims = (expiresAt = Date.now() + 60_000): AccessClaims => ({
  roomId: 'r1',
  userId: 'alice',
  ticketId: '7.abc',
  extensions: 0,
  issuedAt: Date.now(),
  expiresAt,
});

/** Replaces one character of the signature with another valid base64url character. */
function flipSignature(token: string): string {
  const i = token.lastIndexOf('.') + 5;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe('access tokens (signing and verification, no I/O)', () => {
  const current = keyPair('k2');
  const previous = keyPair('k1');
  const tokens = new AccessTokens(keystore(current, previous));

  it('accepts its own tokens, for their room only', () => {
    const token = tokens.issue(claims());
    const result = tokens.verify(token, 'r1');
    assert.ok(result.ok);
    assert.equal(result.claims.userId, 'alice');
    assert.equal(result.claims.ticketId, '7.abc');
    assert.deepEqual(tokens.verify(token, 'r2'), { ok: false, reason: 'invalid' });
  });

  it('rejects a changed signature, a changed payload, and a token signed by another key under our kid', () => {
    const token = tokens.issue(claims());
    assert.deepEqual(tokens.verify(flipSignature(token)), { ok: false, reason: 'invalid' });
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const changed = [h, Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url'), s].join('.');
    assert.deepEqual(tokens.verify(changed), { ok: false, reason: 'invalid' });
    const impostor = keyPair('k2');
    const forged = createSigner({ key: impostor.privateKeyPem, algorithm: 'EdDSA', kid: 'k2' })(payload);
    assert.deepEqual(tokens.verify(forged), { ok: false, reason: 'invalid' });
  });

  it('another instance with the same keys accepts them too (it did not issue them: it signs them again)', () => {
    const token = tokens.issue(claims());
    const other = new AccessTokens(keystore(current, previous));
    assert.ok(other.verify(token, 'r1').ok);
    assert.deepEqual(other.verify(flipSignature(token)), { ok: false, reason: 'invalid' });
  });

  it('accepts tokens of an earlier key that is still published', () => {
    const older = new AccessTokens(keystore(previous));
    const token = older.issue(claims());
    assert.ok(tokens.verify(token, 'r1').ok);
  });

  it('reports expiry, from our own key and from an earlier one alike', () => {
    const past = Date.now() - 2_000;
    assert.deepEqual(tokens.verify(tokens.issue(claims(past))), { ok: false, reason: 'expired' });
    assert.deepEqual(tokens.verify(new AccessTokens(keystore(previous)).issue(claims(past))), { ok: false, reason: 'expired' });
  });
});
