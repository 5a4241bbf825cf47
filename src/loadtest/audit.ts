export interface Check {
  invariant: string;
  /** False when the invariant was found broken: the run fails. */
  pass: boolean;
  /**
   * The check could not be made: an input it needs was not given (e.g. no --database-url to read
   * the rows). It neither passes nor fails the run (`pass` is true so that `every(c => c.pass)`
   * stays the run's verdict), and is shown as SKIP, never as PASS.
   */
  skipped?: true;
  /** Not an invariant but a measurement the run reports (e.g. how good the ETAs were): shown as INFO. */
  figure?: true;
  detail: string;
}

export function check(invariant: string, pass: boolean, detail: string): Check {
  return { invariant, pass, detail };
}

/** A check that could not be made, and why (what was missing). */
export function skip(invariant: string, detail: string): Check {
  return { invariant, pass: true, skipped: true, detail };
}

/** A figure the run measured, reported next to the checks; it never fails the run. */
export function figure(name: string, detail: string): Check {
  return { invariant: name, pass: true, figure: true, detail };
}

export function verdict(c: Check): 'PASS' | 'FAIL' | 'SKIP' | 'INFO' {
  return c.figure ? 'INFO' : c.skipped ? 'SKIP' : c.pass ? 'PASS' : 'FAIL';
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
