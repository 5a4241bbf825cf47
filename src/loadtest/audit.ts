export interface Check {
  invariant: string;
  pass: boolean;
  detail: string;
}

export function check(invariant: string, pass: boolean, detail: string): Check {
  return { invariant, pass, detail };
}

/**
 * Admission in ticket order, from what clients saw: no ticket may have been seen admitted before a
 * lower-numbered ticket was last seen still waiting (beyond `toleranceMs`, the age of the cached
 * counters a waiting poll is answered from). O(n log n).
 */
export function admissionOrderViolations(
  tickets: Array<{ ticketNo: number; admittedAt: number | null; lastWaitingAt: number | null }>,
  toleranceMs: number,
): number {
  const sorted = [...tickets].sort((a, b) => b.ticketNo - a.ticketNo);
  let earliestAdmissionAbove = Infinity;
  let violations = 0;
  for (const t of sorted) {
    if (t.lastWaitingAt !== null && t.lastWaitingAt > earliestAdmissionAbove + toleranceMs) violations++;
    if (t.admittedAt !== null) earliestAdmissionAbove = Math.min(earliestAdmissionAbove, t.admittedAt);
  }
  return violations;
}
