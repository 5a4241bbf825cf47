// An accepted entry of a term's log stream (field "r"), as lua/enqueue-2.lua writes it:
// "<seq>|<JSON>", the JSON written here: {"k": kind, "t": accepted at (ms), "u": studentId, "b": body}.
// Its one encoder and decoder; the decider reads the same entries back from PostgreSQL.
import type { Action } from './domain/types.js';

export const REQUEST_LOG_FIELD = 'r';

export type EntryKind = 'request' | 'change' | 'refresh';

export interface RequestBody {
  actions: Action[];
  allOrNothing: boolean;
}

export interface ChangeBody {
  courseId: string;
  capacity?: number;
  waitlistSize?: number;
}

export interface RefreshBody {
  /** Students whose profile changed (hold, group, completed courses). */
  students: string[];
}

/** What the log holds of one accepted entry (the seq comes from the script). */
export type EntryContent =
  | { kind: 'request'; studentId: string; body: RequestBody; at: number }
  | { kind: 'change'; studentId: null; body: ChangeBody; at: number }
  | { kind: 'refresh'; studentId: null; body: RefreshBody; at: number };

export type AcceptedEntry = EntryContent & { termId: string; seq: number };

/** The part the instance writes; the script prefixes it with the seq. */
export function encodeContent(content: EntryContent): string {
  return JSON.stringify({ k: content.kind, t: content.at, u: content.studentId, b: content.body });
}

export function encodeLogEntry(entry: AcceptedEntry): string {
  return `${entry.seq}|${encodeContent(entry)}`;
}

export function decodeLogEntry(termId: string, value: string): AcceptedEntry {
  const bar = value.indexOf('|');
  const seq = Number(value.slice(0, bar));
  if (bar < 1 || !Number.isSafeInteger(seq) || seq < 1) throw new Error('a request log entry starts with its seq');
  const parsed = JSON.parse(value.slice(bar + 1)) as { k?: unknown; t?: unknown; u?: unknown; b?: unknown };
  if (typeof parsed.t !== 'number' || !Number.isSafeInteger(parsed.t)) throw new Error('a request log entry has a time');
  if (typeof parsed.b !== 'object' || parsed.b === null) throw new Error('a request log entry has a body');
  switch (parsed.k) {
    case 'request':
      if (typeof parsed.u !== 'string') throw new Error('a request names its student');
      return { termId, seq, kind: 'request', studentId: parsed.u, body: parsed.b as RequestBody, at: parsed.t };
    case 'change':
      return { termId, seq, kind: 'change', studentId: null, body: parsed.b as ChangeBody, at: parsed.t };
    case 'refresh':
      return { termId, seq, kind: 'refresh', studentId: null, body: parsed.b as RefreshBody, at: parsed.t };
    default:
      throw new Error(`unknown entry kind ${JSON.stringify(parsed.k)}`);
  }
}
