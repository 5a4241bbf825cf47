import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import type { Pool, PoolClient, Queryable } from '../db/pool.js';

export const TOKEN_ALGORITHM = 'EdDSA';
// Only one instance creates the first key or secret; the others wait on the lock and read it.
const KEYSTORE_LOCK_ID = 4_242_002;

/**
 * A new key is published (in every instance's JWKS, and trusted by every instance) this long
 * before any instance signs with it. An origin that verifies tokens offline caches the JWKS for
 * up to 300 s (its cache-control), and each instance reloads the keys every KEY_RELOAD_MS: with
 * 600 s, everyone knows a key before the first token signed with it exists.
 */
export const KEY_ACTIVATION_DELAY_SECONDS = 600;
/** How often each instance reads the keys again (a rotation is picked up without a restart). */
export const KEY_RELOAD_MS = 30_000;
/** Retired keys stay trusted (and published) this long: longer than any session lasts with its extensions. */
const RETIRED_KEY_KEPT = '1 day';

/** A key as JSON Web Key, with the members a JWKS publishes. */
type Jwk = JsonWebKey & { kid: string; alg: string };

export interface Keystore {
  /** The key new tokens are signed with (PKCS#8 PEM). */
  signing: { kid: string; privateKeyPem: string };
  /** Every key whose tokens may still be live, or soon will be, by kid (SPKI PEM)... */
  publicKeys: Map<string, string>;
  /** ...and the same keys as the published JWKS. */
  publicJwks: { keys: Jwk[] };
}

interface KeyRow {
  kid: string;
  private_jwk: Jwk;
  public_jwk: Jwk;
  created_at: Date;
  /** Set when a newer key replaces this one: from then on nobody signs with it. */
  retired_at: Date | null;
  /** Computed by PostgreSQL, on its one clock: retired_at has passed. */
  retired: boolean;
  /** Computed by PostgreSQL: the key was created at least KEY_ACTIVATION_DELAY_SECONDS ago. */
  active: boolean;
}

/**
 * The key to sign with: of the keys not retired, the newest one old enough to be active.
 *
 * A rotation inserts a key and sets the current key's retired_at to the moment the new one
 * becomes active (created_at + KEY_ACTIVATION_DELAY_SECONDS, both from the transaction's now()):
 * until then the old key signs, from then the new one, on every instance alike. Only when no key
 * is old enough (the very first key, just created) does the oldest one sign at once: there are no
 * tokens and no cached JWKS yet to disagree with it.
 */
function signingKey(rows: KeyRow[]): KeyRow | undefined {
  const live = rows.filter((r) => !r.retired).sort((a, b) => b.created_at.getTime() - a.created_at.getTime());
  return live.find((r) => r.active) ?? live.at(-1);
}

function toKeystore(rows: KeyRow[]): Keystore {
  const current = signingKey(rows);
  if (!current) throw new Error('no signing key');
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

/**
 * Loads the signing keys from PostgreSQL, creating the first one on first boot, so that every
 * instance signs with the same key and any instance verifies any token.
 */
export async function loadKeystore(pool: Pool): Promise<Keystore> {
  let rows = await selectKeys(pool);
  if (!signingKey(rows)) {
    await withLock(pool, async (client) => {
      if (signingKey(await selectKeys(client))) return;
      await insertKey(client);
    });
    rows = await selectKeys(pool);
  }
  return toKeystore(rows);
}

export interface Rotation {
  /** The new key: published now, signing from activatesAt. */
  kid: string;
  activatesAt: Date;
  /** The keys it replaces: they sign until activatesAt and stay trusted for a day after. */
  replaces: string[];
}

/** Publishes a new key, which replaces the current one KEY_ACTIVATION_DELAY_SECONDS later. */
export async function rotateSigningKey(pool: Pool): Promise<Rotation> {
  return withLock(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const retired = await client.query<{ kid: string }>(
        `UPDATE signing_keys SET retired_at = now() + make_interval(secs => $1) WHERE retired_at IS NULL RETURNING kid`,
        [KEY_ACTIVATION_DELAY_SECONDS],
      );
      const kid = await insertKey(client);
      const { rows } = await client.query<{ activates_at: Date }>('SELECT now() + make_interval(secs => $1) AS activates_at', [
        KEY_ACTIVATION_DELAY_SECONDS,
      ]);
      await client.query('COMMIT');
      return { kid, activatesAt: rows[0]!.activates_at, replaces: retired.rows.map((r) => r.kid) };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

async function selectKeys(db: Queryable): Promise<KeyRow[]> {
  const result = await db.query<KeyRow>(
    `SELECT kid, private_jwk, public_jwk, created_at, retired_at,
            coalesce(retired_at <= now(), false) AS retired,
            created_at <= now() - make_interval(secs => $1) AS active
       FROM signing_keys
      WHERE retired_at IS NULL OR retired_at > now() - interval '${RETIRED_KEY_KEPT}'
      ORDER BY created_at DESC`,
    [KEY_ACTIVATION_DELAY_SECONDS],
  );
  return result.rows;
}

async function insertKey(db: Queryable): Promise<string> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const kid = randomBytes(8).toString('base64url');
  const publicJwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
  const privateJwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: TOKEN_ALGORITHM };
  await db.query('INSERT INTO signing_keys (kid, algorithm, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)', [
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

/**
 * Runs `fn` holding the keystore's advisory lock, on the very connection that holds it: `fn`
 * queries through `client`, never through the pool (a pool of one connection would otherwise wait
 * for ever for the connection the lock holds).
 */
async function withLock<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [KEYSTORE_LOCK_ID]);
    return await fn(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [KEYSTORE_LOCK_ID]).catch(() => {});
    client.release();
  }
}

/**
 * The keys an instance works with, read again every KEY_RELOAD_MS: a key published by
 * `floodgate rotate-key` is trusted and in the JWKS within that time, and signs from its
 * activation on, without a restart. A failed reload keeps the keys held (logged by the owner).
 */
export class KeyRing {
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: Array<(keystore: Keystore) => void> = [];

  private constructor(
    private readonly pool: Pool,
    private keystore: Keystore,
  ) {}

  static async open(pool: Pool): Promise<KeyRing> {
    return new KeyRing(pool, await loadKeystore(pool));
  }

  get current(): Keystore {
    return this.keystore;
  }

  /** Called with the new keys each time they change. */
  onChange(listener: (keystore: Keystore) => void): void {
    this.listeners.push(listener);
  }

  /** Reads the keys; true when the signing key or the set of trusted keys changed. */
  async reload(): Promise<boolean> {
    const next = await loadKeystore(this.pool);
    const before = this.keystore;
    const same =
      next.signing.kid === before.signing.kid &&
      next.publicKeys.size === before.publicKeys.size &&
      [...next.publicKeys.keys()].every((kid) => before.publicKeys.has(kid));
    if (same) return false;
    this.keystore = next;
    for (const listener of this.listeners) listener(next);
    return true;
  }

  /** Reloads every `ms` until stop(); `onError` hears of a failed reload. */
  reloadEvery(ms: number, onError: (err: unknown) => void): void {
    this.stop();
    let running = false;
    this.timer = setInterval(() => {
      if (running) return;
      running = true;
      this.reload()
        .catch((err) => {
          if (this.timer) onError(err); // not after stop(): the pool may be closing
        })
        .finally(() => (running = false));
    }, ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
