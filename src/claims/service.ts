import type { Clock } from '../clock.js';
import type { RecordCache } from '../db/record-cache.js';
import { type DurableLog, PersistencePending } from '../durable/log.js';
import type { Rebuilds } from '../durable/rebuild.js';
import { DomainError, InvalidRequest } from '../errors.js';
import type { RateRule } from '../limits/client-limiter.js';
import { KeyedBatcher } from '../redis/batcher.js';
import type { RedisClient } from '../redis/client.js';
import { campaignCache } from './campaign-cache.js';
import type { ClaimIds } from './claim-ids.js';
import { type NewCampaignInput, resolveNewCampaign } from './domain/campaign-config.js';
import { claimWindow, localTime, nextDailyOpening } from './domain/window.js';
import type { ClaimErrorCode } from './errors.js';
import { campaignKeys } from './keys.js';
import type { AcceptedClaim, CampaignRecord, CampaignRepository, StoredClaim } from './repository.js';
import type { CampaignScripts, ClaimDecision, StateMissing } from './scripts.js';
import { decodeUserClaims, encodeUserClaims } from './user-claims.js';

/** What a claim came to. Expected outcomes are values; the routes turn them into answers (answers.ts). */
export type ClaimOutcome =
  | { kind: 'confirmed' | 'pending'; claim: { claimId: string; campaignId: string; userId: string; seq: number } }
  | { kind: 'already_claimed'; claims: Array<{ claimId: string; seq: number }> }
  | { kind: 'sold_out'; scope: 'campaign' | 'day'; nextOpening?: string }
  | { kind: 'not_open'; opensAt: string }
  | { kind: 'closed' }
  | { kind: 'rebuilding' };

export interface ClaimsDeps {
  redis: RedisClient;
  prefix: string;
  repository: CampaignRepository;
  scripts: CampaignScripts;
  durable: DurableLog<AcceptedClaim>;
  rebuilds: Rebuilds;
  claimIds: ClaimIds;
  clock: Clock;
  webhookAllowPrivate: boolean;
  /** Per-client limit of browser claims for campaigns created without their own. */
  defaultClientRate: RateRule;
  /** Counts each decided claim by result. */
  onDecided(campaignId: string, result: ClaimOutcome['kind']): void;
}

const fail = (code: ClaimErrorCode) => new DomainError(code);

export class ClaimsService {
  readonly campaigns: RecordCache<CampaignRecord>;
  /** Claims to one campaign arriving in the same turn of the event loop share one script run (per local day). */
  private readonly decisions: KeyedBatcher<string, { userId: string; at: number }, ClaimDecision | StateMissing>;

  constructor(private readonly deps: ClaimsDeps) {
    this.campaigns = campaignCache(deps.repository);
    this.decisions = new KeyedBatcher<string, { userId: string; at: number }, ClaimDecision | StateMissing>(async (batchKey, claims) => {
      const [campaignId, day] = batchKey.split('\n') as [string, string];
      const batch = await deps.scripts.claim(campaignId, day, claims);
      return batch.kind === 'state_missing' ? claims.map(() => batch) : batch.decisions;
    });
  }

  async createCampaign(input: NewCampaignInput): Promise<CampaignRecord> {
    const config = resolveNewCampaign(input, {
      webhookAllowPrivate: this.deps.webhookAllowPrivate,
      clientRate: this.deps.defaultClientRate,
    });
    if ('problem' in config) throw new InvalidRequest(config.problem);
    const record = await this.deps.repository.insert(config);
    if (!record) throw fail('campaign_exists');
    const keys = campaignKeys(this.deps.prefix, record.id);
    await this.deps.redis.hset(keys.st, {
      stock: record.stock,
      perUserLimit: record.perUserLimit,
      dailyQuota: record.daily?.quota ?? 0,
      claimed: 0,
      nextSeq: 0,
      ready: 1,
    });
    this.campaigns.set(record.id, record);
    return record;
  }

  listCampaigns(options: { archived?: boolean } = {}): Promise<CampaignRecord[]> {
    return this.deps.repository.list(options);
  }

  /** Closes the campaign for good: no new claims (within the definitions' cache time, 5 s, on every instance); claims are kept. */
  async archiveCampaign(campaignId: string): Promise<CampaignRecord> {
    const record = await this.deps.repository.archive(campaignId);
    if (!record) throw fail('campaign_not_found');
    this.campaigns.set(record.id, record);
    return record;
  }

  /** Deletes a campaign that holds no claim, stored or accepted; one that does is archived instead. */
  async deleteCampaign(campaignId: string): Promise<void> {
    const keys = campaignKeys(this.deps.prefix, campaignId);
    if (Number((await this.deps.redis.hget(keys.st, 'claimed')) ?? 0) > 0) throw fail('campaign_not_empty');
    const outcome = await this.deps.repository.delete(campaignId);
    if (outcome === 'missing') throw fail('campaign_not_found');
    if (outcome === 'not_empty') throw fail('campaign_not_empty');
    // One UNLINK: every key of a campaign shares its hash tag (one slot on a cluster).
    await this.deps.redis.unlink(...Object.values(keys));
    this.campaigns.forget(campaignId);
  }

  async describe(campaignId: string) {
    const record = await this.deps.repository.get(campaignId);
    if (!record) throw fail('campaign_not_found');
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
    this.deps.onDecided(campaign.id, outcome.kind);
    return outcome;
  }

  private async decide(campaign: CampaignRecord, userId: string): Promise<ClaimOutcome> {
    const now = this.deps.clock.now();
    const rule = { opensAt: campaign.opensAt?.getTime() ?? null, closesAt: campaign.closesAt?.getTime() ?? null, daily: campaign.daily };
    const window = claimWindow(now, rule);
    if (window.state === 'not_open') return { kind: 'not_open', opensAt: new Date(window.opensAt).toISOString() };
    if (window.state === 'closed' || campaign.archivedAt) return { kind: 'closed' };

    const decision = await this.decisions.add(`${campaign.id}\n${window.day ?? ''}`, { userId, at: now });
    switch (decision.kind) {
      case 'state_missing':
        this.startRebuild(campaign.id);
        return { kind: 'rebuilding' };
      case 'user_limit':
        return {
          kind: 'already_claimed',
          claims: decision.seqs.map((seq) => ({ seq, claimId: this.deps.claimIds.for(campaign.id, seq) })),
        };
      case 'sold_out':
        return { kind: 'sold_out', scope: 'campaign' };
      case 'day_sold_out': {
        const next = nextDailyOpening(now, { ...rule, opensAt: null });
        return { kind: 'sold_out', scope: 'day', ...(next !== null ? { nextOpening: new Date(next).toISOString() } : {}) };
      }
    }
    const accepted: AcceptedClaim = {
      campaignId: campaign.id,
      seq: decision.seq,
      userId,
      userClaimNo: decision.userClaimNo,
      claimId: this.deps.claimIds.for(campaign.id, decision.seq),
      day: window.day,
      daySeq: decision.daySeq,
      claimedAt: now,
    };
    const claim = { claimId: accepted.claimId, campaignId: campaign.id, userId, seq: decision.seq };
    try {
      await this.deps.durable.commit({ entity: campaign.id, logId: decision.logId, entry: accepted });
      return { kind: 'confirmed', claim };
    } catch (err) {
      if (err instanceof PersistencePending) return { kind: 'pending', claim };
      throw err;
    }
  }

  /** A user's claims: confirmed ones from PostgreSQL, accepted-but-not-yet-stored ones from Redis. */
  async claimsOf(
    campaignId: string,
    userId: string,
  ): Promise<Array<Omit<StoredClaim, 'status' | 'claimedAt'> & { status: 'confirmed' | 'pending'; claimedAt: Date | null }>> {
    const stored = await this.deps.repository.claimsOf(campaignId, userId).catch(() => null);
    const held = decodeUserClaims(await this.deps.redis.hget(campaignKeys(this.deps.prefix, campaignId).users, userId));
    const claims: Array<Omit<StoredClaim, 'status' | 'claimedAt'> & { status: 'confirmed' | 'pending'; claimedAt: Date | null }> = [
      ...(stored ?? []),
    ];
    for (const { seq } of held) {
      if (claims.some((c) => c.seq === seq)) continue;
      claims.push({
        claimId: this.deps.claimIds.for(campaignId, seq),
        campaignId,
        userId,
        seq,
        status: 'pending',
        claimedAt: null,
        redeemedAt: null,
      });
    }
    return claims.sort((a, b) => a.seq - b.seq);
  }

  async redeem(campaignId: string, claimId: string) {
    const seq = this.deps.claimIds.seqOf(campaignId, claimId);
    if (seq === null) throw fail('claim_not_found');
    const result = await this.deps.repository.redeem(campaignId, seq);
    if (!result) throw fail('claim_not_found');
    return result;
  }

  /** Starts rebuilding a campaign's Redis state from PostgreSQL (once per instance at a time). */
  startRebuild(campaignId: string): void {
    this.deps.rebuilds.start(campaignId, () => this.rebuildSteps(campaignId));
  }

  /** Rebuilds a campaign's state after Redis lost it (see durable/rebuild.ts); true once restored. */
  rebuild(campaignId: string): Promise<boolean> {
    return this.deps.rebuilds.run(campaignId, this.rebuildSteps(campaignId));
  }

  private rebuildSteps(campaignId: string) {
    const keys = campaignKeys(this.deps.prefix, campaignId);
    let record: CampaignRecord | null = null;
    return {
      leaseKey: keys.rebuild,
      begin: async () => {
        record = await this.deps.repository.get(campaignId);
        if (!record) return false;
        // No claim is decided until the restore marks the state ready again.
        await this.deps.redis.hdel(keys.st, 'ready');
        return true;
      },
      restore: async (leaseToken: string) => {
        const state = await this.deps.repository.stateForRebuild(campaignId);
        // The users are written while the state is not ready: no claim is decided on partial data.
        await this.deps.redis.del(keys.users);
        for (let i = 0; i < state.users.length; i += 1000) {
          const chunk: string[] = [];
          for (const { userId, claims } of state.users.slice(i, i + 1000)) chunk.push(userId, encodeUserClaims(claims));
          await this.deps.redis.hset(keys.users, ...chunk);
        }
        const { stock, perUserLimit } = record!;
        return this.deps.scripts.restore(campaignId, leaseToken, {
          stock,
          perUserLimit,
          dailyQuota: record!.daily?.quota ?? 0,
          claimed: state.claimed,
          nextSeq: state.nextSeq,
          holes: state.holes,
          days: state.days,
        });
      },
    };
  }
}
