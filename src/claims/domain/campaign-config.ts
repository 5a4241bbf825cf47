import { webhookUrlProblem } from '../../input-rules.js';
import type { RateRule } from '../../limits/client-limiter.js';
import { type DailyRule, isTimeZone } from './window.js';

export interface CampaignConfig {
  id: string;
  stock: number;
  perUserLimit: number;
  opensAt: Date | null;
  closesAt: Date | null;
  daily: DailyRule | null;
  roomId: string | null;
  webhookUrl: string | null;
  /** Per-client limit of claims by browsers (room token holders); null: none. */
  clientRate: RateRule | null;
}

export interface NewCampaignInput {
  id: string;
  stock: number;
  perUserLimit?: number;
  opensAt?: string;
  closesAt?: string;
  daily?: { opensAt: string; closesAt?: string; timeZone: string; quota: number };
  roomId?: string;
  webhookUrl?: string;
  clientRate?: RateRule | null;
}

function date(value: string | undefined, name: string): Date | null | { problem: string } {
  if (value === undefined) return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? { problem: `${name} must be an ISO 8601 date-time` } : parsed;
}

/** Checks what the JSON schema cannot, and fills in the defaults. */
export function resolveNewCampaign(
  input: NewCampaignInput,
  options: { webhookAllowPrivate: boolean; clientRate: RateRule },
): CampaignConfig | { problem: string } {
  const opensAt = date(input.opensAt, 'opensAt');
  if (opensAt && 'problem' in opensAt) return opensAt;
  const closesAt = date(input.closesAt, 'closesAt');
  if (closesAt && 'problem' in closesAt) return closesAt;
  if (opensAt && closesAt && closesAt <= opensAt) return { problem: 'closesAt must be after opensAt' };
  if (input.daily) {
    if (!isTimeZone(input.daily.timeZone)) return { problem: `unknown time zone "${input.daily.timeZone}"` };
    if (input.daily.closesAt !== undefined && input.daily.closesAt <= input.daily.opensAt) {
      return { problem: 'daily.closesAt must be after daily.opensAt (windows do not span midnight)' };
    }
  }
  if (input.webhookUrl !== undefined) {
    const problem = webhookUrlProblem(input.webhookUrl, options.webhookAllowPrivate);
    if (problem) return { problem };
  }
  return {
    id: input.id,
    stock: input.stock,
    perUserLimit: input.perUserLimit ?? 1,
    opensAt,
    closesAt,
    daily: input.daily
      ? { opensAt: input.daily.opensAt, closesAt: input.daily.closesAt ?? null, timeZone: input.daily.timeZone, quota: input.daily.quota }
      : null,
    roomId: input.roomId ?? null,
    webhookUrl: input.webhookUrl ?? null,
    clientRate: input.clientRate === undefined ? options.clientRate : input.clientRate,
  };
}
