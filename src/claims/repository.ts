import type { Pool } from '../db/pool.js';
import type { DurableStore, StoreVerdict } from '../durable/persist.js';
import { InvalidRequest } from '../errors.js';
import type { CampaignConfig } from './domain/campaign-config.js';
import type { UserClaim } from './user-claims.js';

export interface CampaignRecord extends CampaignConfig {
  /** When the campaign was archived (closed for good); null while in use. */
  archivedAt: Date | null;
  createdAt: Date;
}

/** A claim accepted in Redis, as the writer and the sweeper persist it. */
export interface AcceptedClaim {
  campaignId: string;
  seq: number;
  userId: string;
  userClaimNo: number;
  claimId: string;
  day: string | null;
  daySeq: number | null;
  claimedAt: number;
}

export interface StoredClaim {
  claimId: string;
  campaignId: string;
  userId: string;
  seq: number;
  status: 'confirmed';
  claimedAt: Date;
  redeemedAt: Date | null;
}

interface CampaignRow {
  id: string;
  stock: number;
  per_user_limit: number;
  opens_at: Date | null;
  closes_at: Date | null;
  daily_opens_at: string | null;
  daily_closes_at: string | null;
  daily_time_zone: string | null;
  daily_quota: number;
  room_id: string | null;
  webhook_url: string | null;
  client_rate_per_second: number | null;
  client_burst: number | null;
  archived_at: Date | null;
  created_at: Date;
}

function fromRow(row: CampaignRow): CampaignRecord {
  return {
    id: row.id,
    stock: row.stock,
    perUserLimit: row.per_user_limit,
    opensAt: row.opens_at,
    closesAt: row.closes_at,
    daily: row.daily_opens_at
      ? { opensAt: row.daily_opens_at, closesAt: row.daily_closes_at, timeZone: row.daily_time_zone!, quota: row.daily_quota }
      : null,
    roomId: row.room_id,
    webhookUrl: row.webhook_url,
    clientRate: row.client_rate_per_second === null ? null : { perSecond: row.client_rate_per_second, burst: row.client_burst! },
    archivedAt: row.archived_at,
    createdAt: row.created_at,
  };
}

const CLAIM_COLUMNS = `claim_id AS "claimId", campaign_id AS "campaignId", user_id AS "userId", seq, status,
  claimed_at AS "claimedAt", redeemed_at AS "redeemedAt"`;

/**
 * Accepted claims → rows, with their webhook notifications (outbox) in the same statement, hence
 * the same transaction. The campaign's limits are copied from the campaign row, and the
 * constraints check them (see migrations/002_claims.sql).
 *
 * Two forms. The writer's claims are new unless something replays them, so its form has no
 * ON CONFLICT, whose speculative insertion was ~40% of the statement's time (100,000 rows: 740 vs
 * 520 ms); a claim already stored then fails the whole statement with a unique violation, and the
 * caller takes the idempotent form, which skips rows already stored on (campaign, seq) and returns
 * the ids it wrote. The new-claims form returns how many rows went in.
 */
function persistClaimsSql(idempotent: boolean): string {
  return `
WITH incoming AS (
  SELECT campaign_id, seq, user_id, user_claim_no, claim_id, day, day_seq, to_timestamp(claimed_ms / 1000.0) AS claimed_at
    FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::date[], $7::int[], $8::bigint[])
      AS r(campaign_id, seq, user_id, user_claim_no, claim_id, day, day_seq, claimed_ms)
), inserted AS (
  INSERT INTO claims (campaign_id, seq, user_id, user_claim_no, claim_id, day, day_seq,
                      stock, per_user_limit, daily_quota, claimed_at)
  SELECT i.campaign_id, i.seq, i.user_id, i.user_claim_no, i.claim_id, i.day, i.day_seq,
         c.stock, c.per_user_limit, c.daily_quota, i.claimed_at
    FROM incoming i JOIN campaigns c ON c.id = i.campaign_id
  ${idempotent ? 'ON CONFLICT (campaign_id, seq) DO NOTHING' : ''}
  RETURNING campaign_id, seq, user_id, claim_id, claimed_at
), notified AS (
  INSERT INTO outbox (topic, url, idempotency_key, payload)
  SELECT 'claim.confirmed', c.webhook_url, 'claim.confirmed:' || n.claim_id,
         jsonb_build_object('event', 'claim.confirmed', 'claimId', n.claim_id, 'campaignId', n.campaign_id,
                            'userId', n.user_id, 'seq', n.seq, 'claimedAt', n.claimed_at)
    FROM inserted n JOIN campaigns c ON c.id = n.campaign_id
   WHERE c.webhook_url IS NOT NULL
  ON CONFLICT (idempotency_key) DO NOTHING
)
${idempotent ? 'SELECT claim_id FROM inserted' : 'SELECT count(*)::int AS n FROM inserted'}`;
}
const PERSIST_CLAIMS = persistClaimsSql(true);
const PERSIST_NEW_CLAIMS = persistClaimsSql(false);

/** Of the given claims, those stored exactly as given (same campaign, seq, user and claim number). */
const REPLAYED_CLAIMS = `
SELECT s.claim_id
  FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[]) AS i(campaign_id, seq, user_id, user_claim_no, claim_id)
  JOIN claims s ON s.campaign_id = i.campaign_id AND s.seq = i.seq AND s.user_id = i.user_id AND s.user_claim_no = i.user_claim_no`;

export type InsertOutcome = { inserted: Set<string>; existing: Set<string> };

/** Accepted claims as the statements' column arrays ($1..$8). */
function claimColumns(claims: readonly AcceptedClaim[]): unknown[] {
  const columns = {
    campaignId: [] as string[],
    seq: [] as number[],
    userId: [] as string[],
    userClaimNo: [] as number[],
    claimId: [] as string[],
    day: [] as Array<string | null>,
    daySeq: [] as Array<number | null>,
    claimedAt: [] as number[], // epoch ms: cheaper to send and parse than timestamps
  };
  for (const c of claims) {
    columns.campaignId.push(c.campaignId);
    columns.seq.push(c.seq);
    columns.userId.push(c.userId);
    columns.userClaimNo.push(c.userClaimNo);
    columns.claimId.push(c.claimId);
    columns.day.push(c.day);
    columns.daySeq.push(c.daySeq);
    columns.claimedAt.push(c.claimedAt);
  }
  return [
    columns.campaignId,
    columns.seq,
    columns.userId,
    columns.userClaimNo,
    columns.claimId,
    columns.day,
    columns.daySeq,
    columns.claimedAt,
  ];
}

export class CampaignRepository implements DurableStore<AcceptedClaim> {
  constructor(private readonly pool: Pool) {}

  /** Inserts the campaign; null when one with the same id exists. A roomId that is no room is refused. */
  async insert(c: CampaignConfig): Promise<CampaignRecord | null> {
    const result = await this.pool
      .query<CampaignRow>(
        `INSERT INTO campaigns (id, stock, per_user_limit, opens_at, closes_at, daily_opens_at, daily_closes_at,
                              daily_time_zone, daily_quota, room_id, webhook_url, client_rate_per_second, client_burst)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (id) DO NOTHING RETURNING *`,
        [
          c.id,
          c.stock,
          c.perUserLimit,
          c.opensAt,
          c.closesAt,
          c.daily?.opensAt ?? null,
          c.daily?.closesAt ?? null,
          c.daily?.timeZone ?? null,
          c.daily?.quota ?? 0,
          c.roomId,
          c.webhookUrl,
          c.clientRate?.perSecond ?? null,
          c.clientRate?.burst ?? null,
        ],
      )
      .catch((err: unknown) => {
        // The foreign key on room_id is the check: rooms are the waiting room's, not ours to read.
        if ((err as { code?: unknown }).code === '23503') throw new InvalidRequest(`roomId "${c.roomId}" is not a room`);
        throw err;
      });
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  async get(id: string): Promise<CampaignRecord | null> {
    const result = await this.pool.query<CampaignRow>('SELECT * FROM campaigns WHERE id = $1', [id]);
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  /** The campaigns in use (archived: the archived ones instead). */
  async list(options: { archived?: boolean } = {}): Promise<CampaignRecord[]> {
    const result = await this.pool.query<CampaignRow>('SELECT * FROM campaigns WHERE (archived_at IS NOT NULL) = $1 ORDER BY id', [
      options.archived ?? false,
    ]);
    return result.rows.map(fromRow);
  }

  /** Closes the campaign for good (no new claims) and hides it from the default list. */
  async archive(id: string): Promise<CampaignRecord | null> {
    const result = await this.pool.query<CampaignRow>(
      'UPDATE campaigns SET archived_at = coalesce(archived_at, now()) WHERE id = $1 RETURNING *',
      [id],
    );
    return result.rows[0] ? fromRow(result.rows[0]) : null;
  }

  /** Deletes a campaign that holds no claim: 'not_empty' when claims are stored (they are kept). */
  async delete(id: string): Promise<'deleted' | 'missing' | 'not_empty'> {
    const result = await this.pool.query<{ deleted: boolean; claims: number }>(
      `WITH found AS (SELECT (SELECT count(*)::int FROM claims WHERE campaign_id = $1) AS claims),
            deleted AS (DELETE FROM campaigns WHERE id = $1 AND (SELECT claims FROM found) = 0 RETURNING id)
       SELECT EXISTS (SELECT 1 FROM deleted) AS deleted, (SELECT claims FROM found) AS claims`,
      [id],
    );
    const { deleted, claims } = result.rows[0]!;
    if (deleted) return 'deleted';
    return claims > 0 ? 'not_empty' : 'missing';
  }

  async listIds(): Promise<string[]> {
    return (await this.pool.query<{ id: string }>('SELECT id FROM campaigns ORDER BY id')).rows.map((r) => r.id);
  }

  async countPersisted(campaignId: string): Promise<number> {
    const result = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1', [campaignId]);
    return result.rows[0]!.n;
  }

  async countPersistedOn(campaignId: string, day: string): Promise<number> {
    const result = await this.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1 AND day = $2', [
      campaignId,
      day,
    ]);
    return result.rows[0]!.n;
  }

  async claimsOf(campaignId: string, userId: string): Promise<StoredClaim[]> {
    const result = await this.pool.query<StoredClaim>(
      `SELECT ${CLAIM_COLUMNS} FROM claims WHERE campaign_id = $1 AND user_id = $2 ORDER BY seq`,
      [campaignId, userId],
    );
    return result.rows;
  }

  /** Marks a claim redeemed; exactly one of any number of concurrent calls gets 'redeemed'. */
  async redeem(campaignId: string, seq: number): Promise<{ outcome: 'redeemed' | 'already_redeemed'; claim: StoredClaim } | null> {
    const updated = await this.pool.query<StoredClaim>(
      `UPDATE claims SET redeemed_at = now() WHERE campaign_id = $1 AND seq = $2 AND redeemed_at IS NULL
       RETURNING ${CLAIM_COLUMNS}`,
      [campaignId, seq],
    );
    if (updated.rows[0]) return { outcome: 'redeemed', claim: updated.rows[0] };
    const existing = await this.pool.query<StoredClaim>(`SELECT ${CLAIM_COLUMNS} FROM claims WHERE campaign_id = $1 AND seq = $2`, [
      campaignId,
      seq,
    ]);
    return existing.rows[0] ? { outcome: 'already_redeemed', claim: existing.rows[0] } : null;
  }

  /**
   * Persists accepted claims in one statement, idempotently, with their webhook notifications
   * (outbox) in the same transaction: 'stored' when this call wrote the claim or the very same
   * claim (campaign, seq, user, claim number) was there already, 'conflict' when a different
   * stored claim holds its place. Throws when the statement fails (the durable pipeline splits a
   * batch the database refuses for its data).
   */
  async persist(claims: readonly AcceptedClaim[]): Promise<StoreVerdict[]> {
    const { inserted, existing } = await this.insertClaims(claims);
    return claims.map((c) => (inserted.has(c.claimId) || existing.has(c.claimId) ? 'stored' : 'conflict'));
  }

  async insertClaims(claims: readonly AcceptedClaim[]): Promise<InsertOutcome> {
    const values = claimColumns(claims);
    try {
      // Named statements are planned once per connection, not for every batch (planning these
      // costs more than inserting a small batch).
      const { rows } = await this.pool.query<{ n: number }>({ name: 'floodgate-persist-new-claims', text: PERSIST_NEW_CLAIMS, values });
      if (rows[0]!.n === claims.length) return { inserted: new Set(claims.map((c) => c.claimId)), existing: new Set() };
    } catch (err) {
      // Some are stored already (the sweeper persisting what a writer also did, a retry): the
      // statement wrote nothing, and the idempotent one sorts them out.
      if ((err as { code?: unknown }).code !== '23505') throw err;
    }
    return this.persistIdempotently(values, claims.length);
  }

  private async persistIdempotently(values: unknown[], count: number): Promise<InsertOutcome> {
    const result = await this.pool.query<{ claim_id: string }>({ name: 'floodgate-persist-claims', text: PERSIST_CLAIMS, values });
    const outcome: InsertOutcome = { inserted: new Set(result.rows.map((r) => r.claim_id)), existing: new Set() };
    if (outcome.inserted.size < count) {
      // Some were there already: the very same claims (a replay) are fine; anything else collides.
      const replayed = await this.pool.query<{ claim_id: string }>({
        name: 'floodgate-replayed-claims',
        text: REPLAYED_CLAIMS,
        values: values.slice(0, 5),
      });
      for (const row of replayed.rows) if (!outcome.inserted.has(row.claim_id)) outcome.existing.add(row.claim_id);
    }
    return outcome;
  }

  /**
   * What a rebuild needs: the campaign's stored claims as counters. Seqs (and day sequences) below
   * the highest stored one that no claim holds are holes, sold again first (lua/claim-4.lua).
   */
  async stateForRebuild(campaignId: string) {
    const [totals, holes, days, users] = await Promise.all([
      this.pool.query<{ claimed: number; max: number }>(
        'SELECT count(*)::int AS claimed, coalesce(max(seq), 0)::int AS max FROM claims WHERE campaign_id = $1',
        [campaignId],
      ),
      this.pool.query<{ seq: number }>(
        `SELECT s::int AS seq FROM generate_series(1, (SELECT coalesce(max(seq), 0) FROM claims WHERE campaign_id = $1)) s
         EXCEPT SELECT seq FROM claims WHERE campaign_id = $1 ORDER BY 1`,
        [campaignId],
      ),
      this.pool.query<{ day: string; n: number; max: number; holes: number[] }>(
        `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, d.n, d.max,
                ARRAY(SELECT s::int FROM generate_series(1, d.max) s
                      EXCEPT SELECT day_seq FROM claims c WHERE c.campaign_id = $1 AND c.day = d.day ORDER BY 1) AS holes
           FROM (SELECT day, count(*)::int AS n, max(day_seq)::int AS max FROM claims
                  WHERE campaign_id = $1 AND day IS NOT NULL GROUP BY day) d`,
        [campaignId],
      ),
      this.pool.query<{ user_id: string; claims: UserClaim[] }>(
        `SELECT user_id, json_agg(json_build_object('seq', seq, 'claimNo', user_claim_no) ORDER BY user_claim_no) AS claims
           FROM claims WHERE campaign_id = $1 GROUP BY user_id`,
        [campaignId],
      ),
    ]);
    return {
      claimed: totals.rows[0]!.claimed,
      nextSeq: totals.rows[0]!.max,
      holes: holes.rows.map((r) => r.seq),
      days: days.rows.map((r) => ({ day: r.day, granted: r.n, maxDaySeq: r.max, holes: r.holes })),
      users: users.rows.map((r) => ({ userId: r.user_id, claims: r.claims })),
    };
  }
}
