// The vocabulary of course registration, shared by the rules (this folder), the decider and the
// API. Pure data: no I/O.

export const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Day = (typeof DAYS)[number];

/** A weekly meeting, in minutes since midnight: [start, end). */
export interface Meeting {
  readonly day: Day;
  readonly start: number;
  readonly end: number;
}

export interface CourseDef {
  readonly id: string;
  readonly title: string;
  readonly credits: number;
  readonly meetings: readonly Meeting[];
  /** Courses the student must have completed (any ids: often courses of earlier terms). */
  readonly requires: readonly string[];
  /** Courses of this term that must be enrolled whenever this one is (a lecture's lab). */
  readonly linked: readonly string[];
}

export interface StudentDef {
  readonly id: string;
  /** The priority group whose window (time ticket) the student registers in. */
  readonly group: string;
  readonly completed: ReadonlySet<string>;
  /** Reasons the student may not register (unpaid fees…): any hold refuses every action. */
  readonly holds: readonly string[];
}

export interface TermRules {
  readonly minCredits: number;
  readonly maxCredits: number;
  /** Priority windows: group -> opensAt (ms). Null: no windows, registration is open from the start. */
  readonly windows: ReadonlyMap<string, number> | null;
  readonly closesAt: number | null;
}

export type Action =
  | { readonly add: string }
  | { readonly drop: string }
  | { readonly swap: { readonly drop: string; readonly add: string } };

/** Why an action was refused (`all_or_nothing`: it would have applied, but another action of its request did not). */
export const REASONS = [
  'full',
  'credit_limit',
  'time_clash',
  'requires',
  'linked',
  'hold',
  'not_open',
  'closed',
  'not_enrolled',
  'all_or_nothing',
] as const;
export type Reason = (typeof REASONS)[number];

/** Why a waitlisted student was passed over when a seat freed (they keep their place). */
export type SkipReason = Extract<Reason, 'hold' | 'requires' | 'credit_limit' | 'time_clash' | 'linked'>;

export type Outcome = 'enrolled' | 'waitlisted' | 'dropped' | 'rejected';

export interface ActionResult {
  readonly action: Action;
  readonly outcome: Outcome;
  readonly reason?: Reason;
  /** 1-based place on the course's waitlist when the action left the student waitlisted. */
  readonly waitlistPosition?: number;
}

/** A student's request, as the decider reads it from the term's log. */
export interface RegistrationRequest {
  readonly seq: number;
  readonly studentId: string;
  readonly actions: readonly Action[];
  readonly allOrNothing: boolean;
  /** When it was accepted (ms): windows are judged at arrival, not at decision. */
  readonly at: number;
}

/** An operator's change of a course's limits, decided in order with the requests. */
export interface CourseChange {
  readonly seq: number;
  readonly courseId: string;
  readonly capacity?: number;
  readonly waitlistSize?: number;
}

export type CourseChangeResult =
  | { readonly outcome: 'applied' }
  | { readonly outcome: 'refused'; readonly reason: 'below_enrolled' | 'below_waitlisted' };

export const isAdd = (a: Action): a is { add: string } => 'add' in a;
export const isDrop = (a: Action): a is { drop: string } => 'drop' in a;
export const isSwap = (a: Action): a is { swap: { drop: string; add: string } } => 'swap' in a;

/** Every course an action names. */
export function coursesOf(action: Action): string[] {
  if ('add' in action) return [action.add];
  if ('drop' in action) return [action.drop];
  return [action.swap.drop, action.swap.add];
}
