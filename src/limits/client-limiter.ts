import { LRUCache } from 'lru-cache';

/** A token bucket: `perSecond` tokens a second, at most `burst` banked. */
export interface RateRule {
  perSecond: number;
  burst: number;
}

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Clients remembered at once; the least recently seen are forgotten first (a forgotten client starts with a full bucket). */
const MAX_CLIENTS = 100_000;

/**
 * Per-client rate limits of the public requests (entries, claims by browsers), one token bucket
 * per (scope, client address) in this instance's memory: no Redis call, and a flood of addresses
 * costs a bounded amount of memory. Behind a load balancer with N instances a client may get up
 * to N times the rule (each instance counts its own share of the traffic).
 */
export class ClientLimiter {
  private readonly buckets = new LRUCache<string, { tokens: number; at: number }>({ max: MAX_CLIENTS });

  constructor(private readonly now: () => number = Date.now) {}

  take(scope: string, client: string, rule: RateRule): Admission {
    const key = `${scope}\n${client}`;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: rule.burst, at: now };
    const tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * rule.perSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { ok: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rule.perSecond)) };
  }
}
