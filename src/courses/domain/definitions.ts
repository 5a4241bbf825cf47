import { webhookUrlProblem } from '../../input-rules.js';
// What operators define (terms, courses, students) as the API receives it, checked for the rules
// a JSON schema cannot express, and turned into the rules' own types. Pure.
import { minutesOf } from './meetings.js';
import type { CourseDef, Day, Meeting, StudentDef, TermRules } from './types.js';

export interface NewTermInput {
  id: string;
  name: string;
  minCredits?: number;
  maxCredits: number;
  roomId?: string;
  windows?: Array<{ group: string; opensAt: string }>;
  closesAt?: string;
  webhookUrl?: string;
}

export interface TermConfig {
  id: string;
  name: string;
  minCredits: number;
  maxCredits: number;
  roomId: string | null;
  /** In the order given; at most one per group. */
  windows: Array<{ group: string; opensAt: Date }>;
  closesAt: Date | null;
  webhookUrl: string | null;
}

export type Problem = { problem: string };

export function resolveNewTerm(input: NewTermInput, options: { webhookAllowPrivate: boolean }): TermConfig | Problem {
  if (input.webhookUrl !== undefined) {
    const problem = webhookUrlProblem(input.webhookUrl, options.webhookAllowPrivate);
    if (problem) return { problem };
  }
  const minCredits = input.minCredits ?? 0;
  if (minCredits > input.maxCredits) return { problem: 'minCredits must not exceed maxCredits' };
  const closesAt = input.closesAt !== undefined ? new Date(input.closesAt) : null;
  if (closesAt && Number.isNaN(closesAt.getTime())) return { problem: 'closesAt is not a date-time' };
  const windows: TermConfig['windows'] = [];
  for (const w of input.windows ?? []) {
    if (windows.some((x) => x.group === w.group)) return { problem: `windows: group "${w.group}" is given twice` };
    const opensAt = new Date(w.opensAt);
    if (Number.isNaN(opensAt.getTime())) return { problem: `windows: opensAt of group "${w.group}" is not a date-time` };
    if (closesAt && opensAt >= closesAt) return { problem: `windows: group "${w.group}" opens after closesAt` };
    windows.push({ group: w.group, opensAt });
  }
  return {
    id: input.id,
    name: input.name,
    minCredits,
    maxCredits: input.maxCredits,
    roomId: input.roomId ?? null,
    windows,
    closesAt,
    webhookUrl: input.webhookUrl ?? null,
  };
}

/** The rules a term's decisions follow. */
export function termRules(term: Pick<TermConfig, 'minCredits' | 'maxCredits' | 'windows' | 'closesAt'>): TermRules {
  return {
    minCredits: term.minCredits,
    maxCredits: term.maxCredits,
    windows: term.windows.length > 0 ? new Map(term.windows.map((w) => [w.group, w.opensAt.getTime()])) : null,
    closesAt: term.closesAt?.getTime() ?? null,
  };
}

export interface CourseInput {
  id: string;
  title: string;
  credits: number;
  capacity: number;
  waitlist?: number;
  meetings: Array<{ day: Day; start: string; end: string }>;
  requires?: string[];
  linked?: string[];
}

export interface CourseRecord extends CourseDef {
  capacity: number;
  waitlistSize: number;
}

/**
 * Checks a bulk of new courses against each other and the term's existing course ids: distinct
 * ids, meetings that end after they start, linked courses that exist in the term (in this bulk or
 * before) and are not the course itself, requires that do not name the course itself.
 */
export function resolveCourses(inputs: readonly CourseInput[], existingIds: ReadonlySet<string>): CourseRecord[] | Problem {
  const ids = new Set<string>();
  for (const c of inputs) {
    if (ids.has(c.id)) return { problem: `course "${c.id}" is given twice` };
    ids.add(c.id);
  }
  const records: CourseRecord[] = [];
  for (const c of inputs) {
    const meetings: Meeting[] = [];
    for (const m of c.meetings) {
      const start = minutesOf(m.start);
      const end = minutesOf(m.end);
      if (start === null || end === null) return { problem: `course "${c.id}": meeting times are HH:MM` };
      if (end <= start) return { problem: `course "${c.id}": a meeting ends before it starts` };
      meetings.push({ day: m.day, start, end });
    }
    const requires = [...new Set(c.requires ?? [])];
    const linked = [...new Set(c.linked ?? [])];
    if (requires.includes(c.id)) return { problem: `course "${c.id}" requires itself` };
    if (linked.includes(c.id)) return { problem: `course "${c.id}" is linked to itself` };
    const unknown = linked.find((l) => !ids.has(l) && !existingIds.has(l));
    if (unknown !== undefined) return { problem: `course "${c.id}" is linked to "${unknown}", which is not a course of this term` };
    records.push({
      id: c.id,
      title: c.title,
      credits: c.credits,
      capacity: c.capacity,
      waitlistSize: c.waitlist ?? 0,
      meetings,
      requires,
      linked,
    });
  }
  return records;
}

export interface StudentInput {
  id: string;
  group: string;
  completed?: string[];
  holds?: string[];
}

export interface StudentRecord {
  id: string;
  group: string;
  completed: string[];
  holds: string[];
}

export function resolveStudents(inputs: readonly StudentInput[]): StudentRecord[] | Problem {
  const ids = new Set<string>();
  for (const s of inputs) {
    if (ids.has(s.id)) return { problem: `student "${s.id}" is given twice` };
    ids.add(s.id);
  }
  return inputs.map((s) => ({ id: s.id, group: s.group, completed: [...new Set(s.completed ?? [])], holds: [...new Set(s.holds ?? [])] }));
}

export function studentDef(record: StudentRecord): StudentDef {
  return { id: record.id, group: record.group, completed: new Set(record.completed), holds: record.holds };
}

/** Whether two course records define the same course (a bulk sent again is not a conflict). */
export function sameCourse(a: CourseRecord, b: CourseRecord): boolean {
  return JSON.stringify(canonicalCourse(a)) === JSON.stringify(canonicalCourse(b));
}

function canonicalCourse(c: CourseRecord) {
  return {
    id: c.id,
    title: c.title,
    credits: c.credits,
    meetings: c.meetings.map((m) => [m.day, m.start, m.end]),
    requires: [...c.requires].sort(),
    linked: [...c.linked].sort(),
  };
}
