import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import { AppError } from '../http/errors.js';
import type { Metrics } from '../metrics/metrics.js';
import { KeyedBatcher } from '../redis/batcher.js';
import { CampaignCache } from './campaign-cache.js';
import type { ClaimIds } from './claim-ids.js';
import { type NewCampaignInput, resolveNewCampaign } from './domain/campaign-config.js';
import { claimWindow, localTime, nextDailyOpening } from './domain/window.js';
import { campaignKeys } from './keys.js';
import type { AcceptedClaim, CampaignRecord, CampaignRepository, StoredClaim } from './repository.js';
import { campaignScripts } from './scripts.js';
import { ClaimSweeper } from './sweeper.js';
import { ClaimWriter, PersistencePending } from './writer.js';

export type ClaimOutcome =
  | { kind: 'confirmed' | 'pending'; claim: { claimId: string; campaignId: string; userId: string; seq: number } }
  | { kind: 'already_claimed'; claims: Array<{ claimId: string; seq: number }> }
  | { kind: 'sold_out'; scope: 'campaign' | 'day'; nextOpening?: string }
  | { kind: 'not_open'; opensAt: string }
  | { kind: 'closed' }
  | { kind: 'rebuilding' };

/** One claim's outcome from lua/claim-3.lua. */
type Decision = [number, ...Array<number | string>];

/** How long a rebuild waits for claims already accepted to reach PostgreSQL before reading it. */
const REBUILD_SETTLE_MS = 1_000;
const REBUILD_LEASE_MS = 30_000;

export interface ClaimsDeps {
  redis: Redis;
  prefix: string;
  repository: CampaignRepository;
  claimIds: ClaimIds;
  clock: Clock;
  log: FastifyBaseLogger;
  metrics: Metrics;
  roomExists(roomId: string): Promise<boolean>;
}

export class ClaimsService {
  readonly campaigns: CampaignCache;
  readonly writer: ClaimWriter;
  readonly sweeper: ClaimSweeper;
  private readonly rebuilds = new Map<string, Promise<unknown>>();
  /** Batches claim decisions by (campaign, day, time): see lua/claim-3.lua. */
  private readonly decisions: KeyedBatcher<string, { userId: string; at: number }, Decision>;

  constructor(private readonly deps: ClaimsDeps) {
    this.campaigns = new CampaignCache(deps.repository);
    this.writer = new ClaimWriter(deps.repository, deps.redis, deps.prefix, deps.log);
    this.writer.onBatch = (size, lagsMs) => {
      deps.metrics.batchSize.observe(size);
      for (const ms of lagsMs) deps.metrics.persistenceLag.observe(ms / 1000);
    };
    this.writer.onFailure = () => deps.metrics.dependencyErrors.inc({ dependency: 'postgres' });
    this.decisions = new KeyedBatcher<string, { userId: string; at: number }, Decision>(async (batchKey, claims) => {
      const [campaignId, day] = batchKey.split('\n') as [string, string];
      const keys = campaignKeys(deps.prefix, campaignId);
      const args = [day, ...claims.flatMap((c) => [c.userId, c.at])];
      const reply = (await campaignScripts.claim.run(deps.redis, [keys.st, keys.users, keys.log], args)) as [-1] | Decision[];
      return reply[0] === -1 ? claims.map((): Decision => [-1]) : (reply as Decision[]);
    });
    this.sweeper = new ClaimSweeper(deps.redis, deps.prefix, deps.repository, this.writer, deps.claimIds, deps.log);
  }

  async createCampaign(input: NewCampaignInput): Promise<CampaignRecord> {
    const config = resolveNewCampaign(input);
    if ('problem' in config) throw new AppError('invalid_request', config.problem);
    if (config.roomId && !(await this.deps.roomExists(config.roomId))) {
      throw new AppError('invalid_request', `roomId "${config.roomId}" is not a room`);
    }
    const record = await this.deps.repository.insert(config);
    if (!record) throw new AppError('campaign_exists');
    const keys = campaignKeys(this.deps.prefix, record.id);
    await this.deps.redis.hset(keys.st, {
      stock: record.stock,
      perUserLimit: record.perUserLimit,
      dailyQuota: record.daily?.quota ?? 0,
      claimed: 0,
      ready: 1,
    });
    this.campaigns.set(record);
    return record;
  }

  listCampaigns(): Promise<CampaignRecord[]> {
    return this.deps.repository.list();
  }

  async describe(campaignId: string) {
    const record = await this.deps.repository.get(campaignId);
    if (!record) throw new AppError('campaign_not_found');
    return this.describeRecord(record);
  }

  async describeRecord(record: CampaignRecord) {
    const campaignId = record.id;
    const keys = campaignKeys(this.deps.prefix, campaignId);
    const day = record.daily ? localTime(this.deps.clock.now(), record.daily.timeZone).day : null;
    const [[claimedRaw, ready, todayRaw], persisted, persistedToday] = await Promise.all([
      this.deps.redis.hmget(keys.st, 'claimed', 'ready', day ? `d:${day}` : 'ready'),
      this.deps.repository.countPersisted(campaignId),
      day ? this.deps.repository.countPersistedOn(campaignId, day) : Promise.resolve(0),
    ]);
    // Redis is the live count; when its state is missing (being rebuilt), PostgreSQL's is the floor.
    const claimed = ready === '1' ? Number(claimedRaw ?? 0) : persisted;
    return {
      record,
      stats: {
        stock: record.stock,
        claimed,
        remaining: Math.max(0, record.stock - claimed),
        persisted,
        pending: Math.max(0, claimed - persisted),
        ...(record.daily && day
          ? { today: { day, quota: record.daily.quota, claimed: ready === '1' ? Number(todayRaw ?? 0) : persistedToday } }
          : {}),
      },
    };
  }

  /** Decides a claim and, when accepted, waits until it is committed in PostgreSQL. */
  async claim(campaign: CampaignRecord, userId: string): Promise<ClaimOutcome> {
    const outcome = await this.decide(campaign, userId);
    this.deps.metrics.claims.inc({ campaign: campaign.id, result: outcome.kind });
    return outcome;
  }

  private async decide(campaign: CampaignRecord, userId: string): Promise<ClaimOutcome> {
    const now = this.deps.clock.now();
    const window = claimWindow(now, {
      opensAt: campaign.opensAt?.getTime() ?? null,
      closesAt: campaign.closesAt?.getTime() ?? null,
      daily: campaign.daily,
    });
    if (window.state === 'not_open') return { kind: 'not_open', opensAt: new Date(window.opensAt).toISOString() };
    if (window.state === 'closed') return { kind: 'closed' };

    // Claims to one campaign arriving in the same turn of the event loop share one script run.
    const reply = await this.decisions.add(`${campaign.id}\n${window.day ?? ''}`, { userId, at: now });
    switch (reply[0]) {
      case -1:
        this.startRebuild(campaign.id);
        return { kind: 'rebuilding' };
      case -2:
        return {
          kind: 'already_claimed',
          claims: String(reply[1])
            .split(',')
            .map((seq) => ({ seq: Number(seq), claimId: this.deps.claimIds.for(campaign.id, Number(seq)) })),
        };
      case -3:
        return { kind: 'sold_out', scope: 'campaign' };
      case -4: {
        const next = nextDailyOpening(now, { opensAt: null, closesAt: campaign.closesAt?.getTime() ?? null, daily: campaign.daily });
        return { kind: 'sold_out', scope: 'day', ...(next !== null ? { nextOpening: new Date(next).toISOString() } : {}) };
      }
    }
    const [, seq, userClaimNo, daySeq, logId] = reply as [number, number, number, number, string];
    const accepted: AcceptedClaim = {
      campaignId: campaign.id,
      seq,
      userId,
      userClaimNo,
      claimId: this.deps.claimIds.for(campaign.id, seq),
      day: window.day,
      daySeq: daySeq > 0 ? daySeq : null,
      claimedAt: now,
    };
    const claim = { claimId: accepted.claimId, campaignId: campaign.id, userId, seq };
    try {
      await this.writer.persist(accepted, logId);
      return { kind: 'confirmed', claim };
    } catch (err) {
      if (err instanceof PersistencePending) return { kind: 'pending', claim };
      throw err;
    }
  }

  /** A user's claims: confirmed ones from PostgreSQL, accepted-but-not-yet-stored ones from Redis. */
  async claimsOf(campaignId: string, userId: string): Promise<Array<Omit<StoredClaim, 'status'> & { status: 'confirmed' | 'pending' }>> {
    const stored = await this.deps.repository.claimsOf(campaignId, userId).catch(() => null);
    const seqs = await this.deps.redis.hget(campaignKeys(this.deps.prefix, campaignId).users, userId);
    const claims: Array<Omit<StoredClaim, 'status'> & { status: 'confirmed' | 'pending' }> = [...(stored ?? [])];
    for (const seq of seqs ? seqs.split(',').map(Number) : []) {
      if (claims.some((c) => c.seq === seq)) continue;
      claims.push({
        claimId: this.deps.claimIds.for(campaignId, seq),
        campaignId,
        userId,
        seq,
        status: 'pending',
        claimedAt: null as unknown as Date,
        redeemedAt: null,
      });
    }
    return claims.sort((a, b) => a.seq - b.seq);
  }

  async redeem(campaignId: string, claimId: string) {
    const seq = this.deps.claimIds.seqOf(campaignId, claimId);
    if (seq === null) throw new AppError('claim_not_found');
    const result = await this.deps.repository.redeem(campaignId, seq);
    if (!result) throw new AppError('claim_not_found');
    return result;
  }

  /** Starts rebuilding a campaign's Redis state from PostgreSQL (once per instance at a time). */
  startRebuild(campaignId: string): void {
    if (this.rebuilds.has(campaignId)) return;
    const run = this.rebuild(campaignId)
      .catch((err: unknown) => this.deps.log.warn({ err, campaignId }, 'campaign rebuild failed; will retry on the next claim'))
      .finally(() => this.rebuilds.delete(campaignId));
    this.rebuilds.set(campaignId, run);
  }

  /**
   * Rebuilds a campaign's state after Redis lost it. The lease only keeps instances from doing the
   * same work twice; correctness does not depend on it: until `ready` is set no claim is decided,
   * and the restore is applied only by the lease's holder.
   */
  async rebuild(campaignId: string): Promise<boolean> {
    const keys = campaignKeys(this.deps.prefix, campaignId);
    const token = randomBytes(8).toString('hex');
    if ((await this.deps.redis.set(keys.rebuild, token, 'PX', REBUILD_LEASE_MS, 'NX')) !== 'OK') return false;
    const record = await this.deps.repository.get(campaignId);
    if (!record) {
      await this.deps.redis.del(keys.rebuild);
      return false;
    }
    await this.deps.redis.hdel(keys.st, 'ready');
    // Claims accepted just before the loss may still be on their way to PostgreSQL.
    await new Promise((resolve) => setTimeout(resolve, REBUILD_SETTLE_MS));
    await this.writer.flush();
    await this.sweeper.sweep(campaignId, { all: true });
    const state = await this.deps.repository.stateForRebuild(campaignId);
    await this.deps.redis.del(keys.users);
    for (let i = 0; i < state.users.length; i += 1000) {
      const chunk: string[] = [];
      for (const { userId, seqs } of state.users.slice(i, i + 1000)) chunk.push(userId, seqs);
      await this.deps.redis.hset(keys.users, ...chunk);
    }
    const restored = await campaignScripts.restore.run(
      this.deps.redis,
      [keys.st, keys.rebuild],
      [token, record.stock, record.perUserLimit, record.daily?.quota ?? 0, state.claimed, ...state.days.flatMap((d) => [d.day, d.granted])],
    );
    this.deps.log.info({ campaignId, claimed: state.claimed, users: state.users.length }, 'campaign state rebuilt from PostgreSQL');
    return restored === 1;
  }
}
