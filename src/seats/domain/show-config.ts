// A show's definition: checks what the JSON schema cannot, and fills in the defaults. Pure.

export interface ShowConfig {
  id: string;
  venueId: string;
  startsAt: Date;
  roomId: string | null;
  salesOpenAt: Date | null;
  /** When holds stop being taken: the given time, or the show's start. */
  salesCloseAt: Date;
  holdSeconds: number;
  maxHoldExtensions: number;
  maxSeatsPerUser: number;
  webhookUrl: string | null;
}

export interface NewShowInput {
  id: string;
  venueId: string;
  startsAt: string;
  roomId?: string;
  salesOpenAt?: string;
  salesCloseAt?: string;
  holdSeconds?: number;
  maxHoldExtensions?: number;
  maxSeatsPerUser?: number;
  webhookUrl?: string;
}

export const DEFAULT_HOLD_SECONDS = 600;
export const DEFAULT_MAX_HOLD_EXTENSIONS = 1;
export const DEFAULT_MAX_SEATS_PER_USER = 8;

function date(value: string | undefined, name: string): Date | null | { problem: string } {
  if (value === undefined) return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? { problem: `${name} must be an ISO 8601 date-time` } : parsed;
}

export function resolveNewShow(input: NewShowInput): ShowConfig | { problem: string } {
  const startsAt = date(input.startsAt, 'startsAt');
  if (!startsAt || 'problem' in startsAt) return startsAt ?? { problem: 'startsAt is required' };
  const salesOpenAt = date(input.salesOpenAt, 'salesOpenAt');
  if (salesOpenAt && 'problem' in salesOpenAt) return salesOpenAt;
  const salesCloseAt = date(input.salesCloseAt, 'salesCloseAt');
  if (salesCloseAt && 'problem' in salesCloseAt) return salesCloseAt;
  const closeAt = salesCloseAt ?? startsAt;
  if (salesOpenAt && closeAt <= salesOpenAt) return { problem: 'sales must close after they open (salesCloseAt, or startsAt)' };
  return {
    id: input.id,
    venueId: input.venueId,
    startsAt,
    roomId: input.roomId ?? null,
    salesOpenAt,
    salesCloseAt: closeAt,
    holdSeconds: input.holdSeconds ?? DEFAULT_HOLD_SECONDS,
    maxHoldExtensions: input.maxHoldExtensions ?? DEFAULT_MAX_HOLD_EXTENSIONS,
    maxSeatsPerUser: input.maxSeatsPerUser ?? DEFAULT_MAX_SEATS_PER_USER,
    webhookUrl: input.webhookUrl ?? null,
  };
}

/** Whether holds are taken at `now`: 'open', or why not. */
export function salesWindow(show: Pick<ShowConfig, 'salesOpenAt' | 'salesCloseAt'>, now: number): 'open' | 'not_open' | 'closed' {
  if (show.salesOpenAt && now < show.salesOpenAt.getTime()) return 'not_open';
  if (now >= show.salesCloseAt.getTime()) return 'closed';
  return 'open';
}
