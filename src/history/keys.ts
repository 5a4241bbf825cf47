// Where the short history lives in Redis. Each entity's history is a few hashes, one per minute,
// under one hash tag ({hist:<kind>:<entity>}): one Cluster slot, so a write or a read of one entity
// is one pipeline on one node, and different entities spread over the masters.

/** How far back the history goes, at one point per second. */
export const HISTORY_SECONDS = 900;
/** A minute's hash outlives the window by a little, then Redis drops it by itself. */
export const MINUTE_TTL_SECONDS = HISTORY_SECONDS + 120;

/** Kinds of entity: lower-case words (`room`, `campaign`, `route`). */
export const KIND_PATTERN = '^[a-z][a-z0-9-]{0,31}$';
/**
 * Entity ids: operator-chosen ids (src/input-rules.ts), and route templates with their method
 * (`GET /v1/rooms/:roomId`). Never a brace: the id is written inside the key's hash tag.
 */
export const ENTITY_PATTERN = '^[A-Za-z0-9_:/.* -]{1,200}$';
/** Names of series: letters, digits, `_`, `.` and `-` (a field's parts are separated by `:`). */
export const SERIES_NAME_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

const kindRule = new RegExp(KIND_PATTERN);
const entityRule = new RegExp(ENTITY_PATTERN);
const nameRule = new RegExp(SERIES_NAME_PATTERN);

export const isKind = (kind: string) => kindRule.test(kind);
export const isEntity = (entity: string) => entityRule.test(entity);
export const isSeriesName = (name: string) => nameRule.test(name);

/** The hash of one entity's minute (epoch seconds / 60). */
export function minuteKey(prefix: string, kind: string, entity: string, minute: number): string {
  return `${prefix}:{hist:${kind}:${entity}}:${minute}`;
}

/** Taken (SET NX) by the one instance that reads the shared figures for that second. */
export function turnKey(prefix: string, second: number): string {
  return `${prefix}:hist-turn:${second}`;
}

/**
 * Fields of a minute's hash, each but `n:` prefixed by its epoch second:
 * - `<s>:v:<set>` the shared values, written once: numbers separated by commas (empty: null) in the
 *   order of the names in `n:<set>`, written once per minute. Small values keep the hash in Redis's
 *   compact encoding: the same figures as JSON with their names took ~2.5 times the memory
 *   (measured: 16.5 KB against 6-7 KB per entity and minute).
 * - `<s>:c:<name>` a count's increase in that second (summed over instances);
 * - `<s>:d:<name>:<le>` a distribution's increase at or below `le`.
 */
export const field = {
  names: (set: string) => `n:${set}`,
  values: (second: number, set: string) => `${second}:v:${set}`,
  count: (second: number, name: string) => `${second}:c:${name}`,
  bucket: (second: number, name: string, le: number) => `${second}:d:${name}:${le === Number.POSITIVE_INFINITY ? '+Inf' : le}`,
};

export type ParsedField =
  | { type: 'names'; set: string }
  | { second: number; type: 'values'; set: string }
  | { second: number; type: 'count'; name: string }
  | { second: number; type: 'bucket'; name: string; le: number };

export function parseField(text: string): ParsedField | null {
  const parts = text.split(':');
  if (parts[0] === 'n' && parts.length === 2) return { type: 'names', set: parts[1]! };
  const second = Number(parts[0]);
  if (!Number.isSafeInteger(second)) return null;
  if (parts[1] === 'v' && parts.length === 3) return { second, type: 'values', set: parts[2]! };
  if (parts[1] === 'c' && parts.length === 3) return { second, type: 'count', name: parts[2]! };
  if (parts[1] === 'd' && parts.length === 4) {
    const le = parts[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(parts[3]);
    return Number.isNaN(le) ? null : { second, type: 'bucket', name: parts[2]!, le };
  }
  return null;
}
