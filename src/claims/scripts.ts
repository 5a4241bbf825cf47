// The campaign's Lua scripts, each with the decoder of its reply (its header documents it).
import type { RedisClient } from '../redis/client.js';
import { type Reply, Script } from '../redis/script.js';
import { campaignKeys } from './keys.js';

const dir = new URL('./lua/', import.meta.url);

/** One claim's decision (lua/claim-4.lua). */
export type ClaimDecision =
  | { kind: 'accepted'; seq: number; userClaimNo: number; daySeq: number | null; logId: string }
  | { kind: 'user_limit'; seqs: number[] }
  | { kind: 'sold_out' }
  | { kind: 'day_sold_out' };

/** The campaign's state is not in Redis (lost): rebuild it first; nothing was decided. */
export const STATE_MISSING = { kind: 'state_missing' } as const;
export type StateMissing = typeof STATE_MISSING;
export type ClaimBatch = StateMissing | { kind: 'decided'; decisions: ClaimDecision[] };

function decodeDecision(reply: Reply): ClaimDecision {
  switch (reply.code()) {
    case 1: {
      const daySeq = reply.at(3).int();
      return {
        kind: 'accepted',
        seq: reply.at(1).int(),
        userClaimNo: reply.at(2).int(),
        daySeq: daySeq > 0 ? daySeq : null,
        logId: reply.at(4).str(),
      };
    }
    case -2:
      return { kind: 'user_limit', seqs: reply.at(1).str().split(',').map(Number) };
    case -3:
      return { kind: 'sold_out' };
    case -4:
      return { kind: 'day_sold_out' };
    default:
      return reply.unknownCode();
  }
}

const claim = Script.load(dir, 'claim-4.lua', (reply): ClaimBatch => {
  if (reply.code() === -1) return STATE_MISSING;
  return { kind: 'decided', decisions: reply.list().map(decodeDecision) };
});

const restore = Script.load(dir, 'restore-3.lua', (reply) => {
  const code = reply.int();
  if (code !== 0 && code !== 1) reply.unknownCode();
  return code === 1;
});

const release = Script.load(dir, 'release-3.lua', (reply) => reply.int());

/** A campaign's counters as PostgreSQL's claims give them (see lua/restore-3.lua). */
export interface RestoredState {
  stock: number;
  perUserLimit: number;
  dailyQuota: number;
  /** Stored claims. */
  claimed: number;
  /** The highest stored seq; `holes` are the seqs below it that no stored claim holds. */
  nextSeq: number;
  holes: number[];
  days: Array<{ day: string; granted: number; maxDaySeq: number; holes: number[] }>;
}

/** The campaign scripts bound to a client. */
export class CampaignScripts {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Decides claims to one campaign, in order; `day` is the local day of a daily campaign, else ''. */
  claim(campaignId: string, day: string, claims: ReadonlyArray<{ userId: string; at: number }>): Promise<ClaimBatch> {
    const k = campaignKeys(this.prefix, campaignId);
    return claim.run(this.redis, [k.st, k.users, k.log, k.holes], [day, ...claims.flatMap((c) => [c.userId, c.at])]);
  }

  /** Gives back the units of claims that will never be stored (parked); returns how many were released. */
  release(
    campaignId: string,
    claims: ReadonlyArray<{ seq: number; userId: string; day: string | null; daySeq: number | null }>,
  ): Promise<number> {
    const k = campaignKeys(this.prefix, campaignId);
    return release.run(
      this.redis,
      [k.st, k.users, k.holes],
      claims.flatMap((c) => [c.seq, c.userId, c.day ?? '', c.daySeq ?? 0]),
    );
  }

  /** Writes restored counters and marks the state ready, if `leaseToken` still holds the rebuild lease. */
  restore(campaignId: string, leaseToken: string, state: RestoredState): Promise<boolean> {
    const k = campaignKeys(this.prefix, campaignId);
    return restore.run(
      this.redis,
      [k.st, k.rebuild, k.holes],
      [
        leaseToken,
        state.stock,
        state.perUserLimit,
        state.dailyQuota,
        state.claimed,
        state.nextSeq,
        state.holes.join(','),
        ...state.days.flatMap((d) => [d.day, d.granted, d.maxDaySeq, d.holes.join(',')]),
      ],
    );
  }
}
