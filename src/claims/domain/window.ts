// When a campaign accepts claims: its overall opening and closing, and an optional daily window in
// a time zone. Pure functions of the time; the caller passes its clock's reading.

export interface DailyRule {
  opensAt: string; // "HH:MM", local
  closesAt: string | null; // "HH:MM", local; null: until midnight
  timeZone: string;
  quota: number;
}

export interface WindowRule {
  opensAt: number | null;
  closesAt: number | null;
  daily: DailyRule | null;
}

export type WindowState = { state: 'open'; day: string | null } | { state: 'not_open'; opensAt: number } | { state: 'closed' };

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Local calendar day ("YYYY-MM-DD") and wall-clock time of an instant in a time zone. */
export function localTime(at: number, timeZone: string): { day: string; minutes: number; offsetMs: number } {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(at))
      .map((p) => [p.type, p.value]),
  );
  const day = `${parts.year}-${parts.month}-${parts.day}`;
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute), offsetMs: asUtc - Math.floor(at / 1000) * 1000 };
}

/** The instant at which the wall clock of `timeZone` shows `hhmm` on `day` (DST-aware). */
export function zonedInstant(day: string, hhmm: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const [hh, mm] = hhmm.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // Two passes: the offset at the first guess may differ from the offset at the answer (DST).
  let guess = wall - localTime(wall, timeZone).offsetMs;
  guess = wall - localTime(guess, timeZone).offsetMs;
  return guess;
}

export function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

export function claimWindow(now: number, rule: WindowRule): WindowState {
  if (rule.opensAt !== null && now < rule.opensAt) return { state: 'not_open', opensAt: rule.opensAt };
  if (rule.closesAt !== null && now >= rule.closesAt) return { state: 'closed' };
  if (!rule.daily) return { state: 'open', day: null };

  const { opensAt, closesAt, timeZone } = rule.daily;
  const { day } = localTime(now, timeZone);
  const opening = zonedInstant(day, opensAt, timeZone);
  const closing = closesAt ? zonedInstant(day, closesAt, timeZone) : zonedInstant(nextDay(day), '00:00', timeZone);
  if (now < opening) return { state: 'not_open', opensAt: opening };
  if (now < closing) return { state: 'open', day };
  const tomorrow = zonedInstant(nextDay(day), opensAt, timeZone);
  if (rule.closesAt !== null && tomorrow >= rule.closesAt) return { state: 'closed' };
  return { state: 'not_open', opensAt: tomorrow };
}

/** The opening of the next local day's window (after today's quota ran out), or null past closesAt. */
export function nextDailyOpening(now: number, rule: WindowRule): number | null {
  if (!rule.daily) return null;
  const { day } = localTime(now, rule.daily.timeZone);
  const next = zonedInstant(nextDay(day), rule.daily.opensAt, rule.daily.timeZone);
  return rule.closesAt !== null && next >= rule.closesAt ? null : next;
}
