import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Pool } from '../db/pool.js';
import { DomainError } from '../errors.js';

/** The port capabilities use to know a partner's backend by its X-Api-Key. */
export interface PartnerKeys {
  /** The partner id of a valid, unrevoked key, or null. */
  check(apiKey: string): Promise<string | null>;
  /** The partner whose key the request carries in X-Api-Key, else `invalid_api_key`. */
  require(headers: IncomingHttpHeaders): Promise<string>;
}

export interface PartnerRecord {
  partnerId: string;
  name: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** How often every instance reloads the set of valid keys: a revoked key stops within this time. */
const REFRESH_MS = 2_000;
/**
 * An unknown key (maybe created on another instance a moment ago) is looked up in the database,
 * but at most this many times per second per instance: random keys cannot load the database.
 */
const MISS_LOOKUPS_PER_SECOND = 20;
/** Valid keys remembered as presented (see check()); partners are few, so this is never reached in practice. */
const REMEMBERED_KEYS = 10_000;

/**
 * Partner API keys, checked against an in-process set of key hashes: no database query per request
 * (seed 002's per-request lookup pinned its database CPU). The set is reloaded every two seconds.
 */
export class ApiKeys implements PartnerKeys {
  private partnerByHash = new Map<string, string>();
  /**
   * Keys found valid since the last reload, as presented: a partner's backend sends the same key
   * on every claim, and hashing it each time was the largest part of answering a sold-out claim.
   * Emptied whenever the set of valid keys is reloaded or a key is revoked, so a revoked key stops
   * working as soon as it would without this memory. Never logged.
   */
  private readonly partnerByKey = new Map<string, string>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;
  private missWindow = { second: 0, lookups: 0 };
  /** Lookups of unknown keys in flight, by hash (at most MISS_LOOKUPS_PER_SECOND start each second). */
  private readonly lookups = new Map<string, Promise<string | null>>();

  constructor(private readonly pool: Pool) {}

  async create(name: string): Promise<{ partnerId: string; apiKey: string }> {
    const partnerId = `pt_${randomBytes(8).toString('base64url')}`;
    const apiKey = `fgk_${randomBytes(24).toString('base64url')}`;
    await this.pool.query('INSERT INTO partners (id, name, key_hash) VALUES ($1, $2, $3)', [
      partnerId,
      name,
      Buffer.from(hashApiKey(apiKey), 'hex'),
    ]);
    this.partnerByHash.set(hashApiKey(apiKey), partnerId);
    return { partnerId, apiKey };
  }

  async revoke(partnerId: string): Promise<boolean> {
    const result = await this.pool.query('UPDATE partners SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [partnerId]);
    for (const [hash, id] of this.partnerByHash) if (id === partnerId) this.partnerByHash.delete(hash);
    this.partnerByKey.clear();
    if (result.rowCount === 1) return true;
    return (await this.pool.query('SELECT 1 FROM partners WHERE id = $1', [partnerId])).rowCount === 1;
  }

  /** Every partner, revoked ones included (never their keys: only hashes are stored). */
  async list(): Promise<PartnerRecord[]> {
    const { rows } = await this.pool.query<PartnerRecord>(
      'SELECT id AS "partnerId", name, created_at AS "createdAt", revoked_at AS "revokedAt" FROM partners ORDER BY created_at, id',
    );
    return rows;
  }

  async require(headers: IncomingHttpHeaders): Promise<string> {
    const key = headers['x-api-key'];
    const partnerId = typeof key === 'string' ? await this.check(key) : null;
    if (!partnerId) throw new DomainError('invalid_api_key');
    return partnerId;
  }

  /** The partner id of a valid key, or null. */
  async check(apiKey: string): Promise<string | null> {
    // The set is renewed in the background once half its age limit has passed, so that claims do
    // not all wait for the reload every two seconds (every claim in flight waited for the query,
    // which queues behind the claim writer's commits); only a set older than the limit is waited
    // for. (No throughput difference measured at 500 connections; the wait itself is gone.)
    // A database hiccup keeps the keys we know working (stale by at most the outage).
    const age = Date.now() - this.loadedAt;
    if (age > REFRESH_MS) await this.reload().catch(() => {});
    else if (age > REFRESH_MS / 2 && !this.loading) this.reload().catch(() => {});
    const remembered = this.partnerByKey.get(apiKey);
    if (remembered) return remembered;
    const hash = hashApiKey(apiKey);
    const known = this.partnerByHash.get(hash);
    if (known) {
      if (this.partnerByKey.size < REMEMBERED_KEYS) this.partnerByKey.set(apiKey, known);
      return known;
    }
    // Requests carrying the same unknown key share one lookup: a key created on another instance
    // a moment ago arrives in a burst (a partner's first claims), and one lookup per request spent
    // the budget below on that one key and refused the rest of the burst with 401.
    const inFlight = this.lookups.get(hash);
    if (inFlight) return inFlight;
    const second = Math.floor(Date.now() / 1000);
    if (this.missWindow.second !== second) this.missWindow = { second, lookups: 0 };
    if (++this.missWindow.lookups > MISS_LOOKUPS_PER_SECOND) return null;
    const lookup = this.pool
      .query<{ id: string }>('SELECT id FROM partners WHERE key_hash = $1 AND revoked_at IS NULL', [Buffer.from(hash, 'hex')])
      .then(({ rows }) => {
        if (rows[0]) this.partnerByHash.set(hash, rows[0].id);
        return rows[0]?.id ?? null;
      })
      .finally(() => this.lookups.delete(hash));
    this.lookups.set(hash, lookup);
    return lookup;
  }

  async reload(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows = (await this.pool.query<{ id: string; key_hash: Buffer }>('SELECT id, key_hash FROM partners WHERE revoked_at IS NULL'))
          .rows;
        this.partnerByHash = new Map(rows.map((r) => [r.key_hash.toString('hex'), r.id]));
        this.partnerByKey.clear();
        this.loadedAt = Date.now();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
