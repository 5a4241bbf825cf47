import type { Meeting } from './types.js';

const HHMM = /^([01][0-9]|2[0-3]):([0-5][0-9])$/;

/** "09:30" -> 570 (minutes since midnight); null when it is not a time of day. */
export function minutesOf(hhmm: string): number | null {
  const match = HHMM.exec(hhmm);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

export function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** Two meetings overlap when they share a day and a minute; back-to-back (10:15 end, 10:15 start) is fine. */
export function overlaps(a: Meeting, b: Meeting): boolean {
  return a.day === b.day && a.start < b.end && b.start < a.end;
}

export function schedulesClash(a: readonly Meeting[], b: readonly Meeting[]): boolean {
  for (const x of a) for (const y of b) if (overlaps(x, y)) return true;
  return false;
}
