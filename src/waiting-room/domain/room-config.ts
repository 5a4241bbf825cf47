// The rules a room's configuration must satisfy, beyond what the JSON schema expresses.
import type { RateRule } from '../../limits/client-limiter.js';

export interface RoomConfig {
  id: string;
  admitPerSecond: number;
  maxActive: number;
  sessionSeconds: number;
  maxExtensions: number;
  arrivalSeconds: number;
  abandonAfterSeconds: number | null;
  opensAt: Date | null;
  prequeue: 'fifo' | 'shuffle';
  targetUrl: string | null;
  paused: boolean;
  /** Per-client limit of entries without a partner key; null: none. */
  clientRate: RateRule | null;
}

export interface NewRoomInput {
  id: string;
  admitPerSecond: number;
  maxActive: number;
  sessionSeconds: number;
  maxExtensions?: number;
  arrivalSeconds?: number;
  opensAt?: string;
  prequeue?: 'fifo' | 'shuffle';
  abandonAfterSeconds?: number;
  targetUrl?: string;
  clientRate?: RateRule | null;
}

/** Default time an admitted user has to come back for the token before the slot is given away. */
const DEFAULT_ARRIVAL_SECONDS = 60;

export function resolveNewRoom(input: NewRoomInput, defaults: { clientRate: RateRule }): RoomConfig | { problem: string } {
  const opensAt = input.opensAt === undefined ? null : new Date(input.opensAt);
  if (opensAt && Number.isNaN(opensAt.getTime())) return { problem: 'opensAt must be an ISO 8601 date-time' };
  if (input.targetUrl !== undefined && !isHttpUrl(input.targetUrl)) {
    return { problem: 'targetUrl must be an http(s) URL' };
  }
  return {
    id: input.id,
    admitPerSecond: input.admitPerSecond,
    maxActive: input.maxActive,
    sessionSeconds: input.sessionSeconds,
    maxExtensions: input.maxExtensions ?? 0,
    arrivalSeconds: input.arrivalSeconds ?? Math.min(DEFAULT_ARRIVAL_SECONDS, input.sessionSeconds),
    abandonAfterSeconds: input.abandonAfterSeconds ?? null,
    opensAt,
    prequeue: input.prequeue ?? 'fifo',
    targetUrl: input.targetUrl ?? null,
    paused: false,
    clientRate: input.clientRate === undefined ? defaults.clientRate : input.clientRate,
  };
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
