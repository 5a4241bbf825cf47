// A show's seat state as Redis holds it (lua/seat-state.lib.lua documents the keys), computed from
// its venue and the seats sold: at creation (none) and when rebuilding from PostgreSQL. Pure.
import type { SeatRef, VenueLayout } from './venue-layout.js';

/** A row's longest free run is stored as one byte: RUN_BASE + min(run, RUN_CAP) (see the Lua library). */
export const RUN_BASE = 40;
export const RUN_CAP = 215;
/** Best-available asks for at most this many seats (the run summaries count runs up to RUN_CAP). */
export const MAX_BEST_COUNT = 50;

export interface SeatState {
  /** row number -> status characters */
  rows: Array<[number, string]>;
  /** runs fields -> bytes */
  runs: Array<[string, Buffer]>;
  /** layout fields -> values */
  layout: Array<[string, string | Buffer]>;
  /** f, h, s and f:<category>… */
  counters: Record<string, number>;
}

export function longestFreeRun(status: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < status.length; i++) {
    run = status.charCodeAt(i) === 102 ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}

const runByte = (status: string) => RUN_BASE + Math.min(longestFreeRun(status), RUN_CAP);

function packRows(rows: number[]): Buffer {
  const buffer = Buffer.alloc(rows.length * 2);
  for (const [i, r] of rows.entries()) buffer.writeUInt16BE(r, i * 2);
  return buffer;
}

/** The state of a show whose `sold` seats are sold and every other seat is free (no holds). */
export function seatState(layout: VenueLayout, sold: Iterable<SeatRef>): SeatState {
  const statuses = layout.rows.map((row) => Buffer.alloc(row.size, 'f'));
  for (const { row, pos } of sold) statuses[row - 1]![pos - 1] = 115; // 's'
  const counters: Record<string, number> = { f: 0, h: 0, s: 0 };
  for (const category of layout.categories) {
    counters[`f:${category}`] = 0;
    counters[`h:${category}`] = 0;
    counters[`s:${category}`] = 0;
  }
  const rows: Array<[number, string]> = [];
  const all: number[] = [];
  const byCategory = new Map<string, { rows: number[]; bytes: number[] }>(layout.categories.map((c) => [c, { rows: [], bytes: [] }]));
  const layoutFields: Array<[string, string | Buffer]> = [];
  const accessibleRows: number[] = [];
  for (const row of layout.rows) {
    const status = statuses[row.number - 1]!.toString('latin1');
    rows.push([row.number, status]);
    const sold = status.split('s').length - 1;
    counters.s! += sold;
    counters.f! += row.size - sold;
    counters[`s:${row.category}`]! += sold;
    counters[`f:${row.category}`]! += row.size - sold;
    const byte = runByte(status);
    all.push(byte);
    const category = byCategory.get(row.category)!;
    category.rows.push(row.number);
    category.bytes.push(byte);
    layoutFields.push([`m:${row.number}`, `${row.category}|${category.rows.length}`]);
    if (row.accessibleMask) {
      accessibleRows.push(row.number);
      layoutFields.push([`a:${row.number}`, row.accessibleMask]);
    }
  }
  layoutFields.push(['a', packRows(accessibleRows)]);
  const runs: Array<[string, Buffer]> = [['*', Buffer.from(all)]];
  for (const [category, { rows: numbers, bytes }] of byCategory) {
    runs.push([`c:${category}`, Buffer.from(bytes)]);
    layoutFields.push([`r:${category}`, packRows(numbers)]);
  }
  return { rows, runs, layout: layoutFields, counters };
}
