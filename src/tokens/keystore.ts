import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import type { Pool } from '../db/pool.js';

export const TOKEN_ALGORITHM = 'EdDSA';
// Only one instance creates the first key or secret; the others wait on the lock and read it.
const KEYSTORE_LOCK_ID = 4_242_002;

/** A key as JSON Web Key, with the members a JWKS publishes. */
type Jwk = JsonWebKey & { kid: string; alg: string };

export interface Keystore {
  /** The key new tokens are signed with (PKCS#8 PEM). */
  signing: { kid: string; privateKeyPem: string };
  /** Every key whose tokens may still be live, by kid (SPKI PEM)... */
  publicKeys: Map<string, string>;
  /** ...and the same keys as the published JWKS. */
  publicJwks: { keys: Jwk[] };
}

interface KeyRow {
  kid: string;
  private_jwk: Jwk;
  public_jwk: Jwk;
  retired_at: Date | null;
}

/**
 * Loads the signing keys from PostgreSQL, creating the first one on first boot, so that every
 * instance signs with the same key and any instance verifies any token.
 */
export async function loadKeystore(pool: Pool): Promise<Keystore> {
  let rows = await selectKeys(pool);
  if (!rows.some((r) => r.retired_at === null)) {
    await withLock(pool, async () => {
      if ((await selectKeys(pool)).some((r) => r.retired_at === null)) return;
      await insertKey(pool);
    });
    rows = await selectKeys(pool);
  }
  const current = rows.find((r) => r.retired_at === null)!;
  const pem = (jwk: Jwk, kind: 'private' | 'public') =>
    kind === 'private'
      ? createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString()
      : createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  return {
    signing: { kid: current.kid, privateKeyPem: pem(current.private_jwk, 'private') },
    publicKeys: new Map(rows.map((r) => [r.kid, pem(r.public_jwk, 'public')])),
    publicJwks: { keys: rows.map((r) => r.public_jwk) },
  };
}

/** Retires the current key and makes a new one; the retired key stays in the JWKS. */
export async function rotateSigningKey(pool: Pool): Promise<string> {
  return withLock(pool, async () => {
    await pool.query('UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL');
    return insertKey(pool);
  });
}

async function selectKeys(pool: Pool): Promise<KeyRow[]> {
  // Retired keys are kept for a day: longer than any session lasts with its extensions.
  const result = await pool.query<KeyRow>(
    `SELECT kid, private_jwk, public_jwk, retired_at FROM signing_keys
      WHERE retired_at IS NULL OR retired_at > now() - interval '1 day'
      ORDER BY created_at DESC`,
  );
  return result.rows;
}

async function insertKey(pool: Pool): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = randomBytes(8).toString('base64url');
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: TOKEN_ALGORITHM };
  await pool.query('INSERT INTO signing_keys (kid, algorithm, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)', [
    kid,
    TOKEN_ALGORITHM,
    privateJwk,
    publicJwk,
  ]);
  return kid;
}

/** A random secret shared by all instances, created on first use. */
export async function loadSecret(pool: Pool, name: string): Promise<Buffer> {
  await pool.query('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, randomBytes(32)]);
  const result = await pool.query<{ value: Buffer }>('SELECT value FROM secrets WHERE name = $1', [name]);
  return result.rows[0]!.value;
}

async function withLock<T>(pool: Pool, fn: () => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [KEYSTORE_LOCK_ID]);
    return await fn();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [KEYSTORE_LOCK_ID]).catch(() => {});
    client.release();
  }
}
