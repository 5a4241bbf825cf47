// The best-available rule, as a pure function over a show's rows: the reference the Lua script
// (lua/hold-*.lua, which reaches the same choice without looking at every seat) is tested against.
//
// 1. Eligible seats: free ("f"), of the asked category, accessible when asked.
// 2. Together when possible: the FIRST row, in the venue's order (best rows first), that has N
//    eligible seats side by side. Within it, among every placement of the N seats:
//      a. one that leaves no single isolated free seat (an "orphan": a free seat whose neighbours
//         are both taken or the row's end) beats one that does;
//      b. then the one whose middle is closest to the row's middle;
//      c. then the leftmost.
//    The row is the quality: a worse row is never taken to avoid an orphan.
// 3. Otherwise (no row has N together), split: rows in order, each giving what it can from its
//    longest runs first (placed by the same rule), until N; `together` is false.
// 4. Fewer than N eligible seats: nothing (sold out for this request).

export interface ShowRow {
  /** One character per seat: "f" free, "h" held, "s" sold. */
  status: string;
  category: string;
  /** "a" per accessible seat, "-" otherwise; null when the row has none. */
  accessibleMask: string | null;
}

export interface BestRequest {
  count: number;
  category?: string;
  accessible?: boolean;
}

export interface BestChoice {
  /** 1-based rows and positions. */
  seats: Array<{ row: number; pos: number }>;
  together: boolean;
}

interface Placement {
  start: number;
  orphan: boolean;
  /** Twice the distance between the group's middle and the row's middle (an integer). */
  distance: number;
}

const isFree = (status: string, pos: number) => pos >= 1 && pos <= status.length && status[pos - 1] === 'f';

/** Whether placing `count` seats at `start` leaves a single isolated free seat beside them. */
export function leavesOrphan(status: string, start: number, count: number): boolean {
  const end = start + count - 1;
  const left = isFree(status, start - 1) && !isFree(status, start - 2);
  const right = isFree(status, end + 1) && !isFree(status, end + 2);
  return left || right;
}

function better(a: Placement, b: Placement | null): boolean {
  if (!b) return true;
  if (a.orphan !== b.orphan) return !a.orphan;
  if (a.distance !== b.distance) return a.distance < b.distance;
  return a.start < b.start;
}

/** Runs of eligible seats in a row: [start, length] pairs, 1-based. */
function eligibleRuns(row: ShowRow, accessible: boolean): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = 0;
  for (let pos = 1; pos <= row.status.length + 1; pos++) {
    const ok = pos <= row.status.length && row.status[pos - 1] === 'f' && (!accessible || row.accessibleMask?.[pos - 1] === 'a');
    if (ok && start === 0) start = pos;
    if (!ok && start !== 0) {
      runs.push([start, pos - start]);
      start = 0;
    }
  }
  return runs;
}

/** The best placement of `count` seats within one run, every offset considered. */
function placeInRun(row: ShowRow, runStart: number, runLength: number, count: number): Placement | null {
  let best: Placement | null = null;
  const size = row.status.length;
  for (let start = runStart; start + count - 1 <= runStart + runLength - 1; start++) {
    const candidate = { start, orphan: leavesOrphan(row.status, start, count), distance: Math.abs(2 * start + count - size - 2) };
    if (better(candidate, best)) best = candidate;
  }
  return best;
}

const eligibleRow = (row: ShowRow, request: BestRequest) =>
  (request.category === undefined || row.category === request.category) && (!request.accessible || row.accessibleMask !== null);

export function bestAvailable(rows: readonly ShowRow[], request: BestRequest): BestChoice | null {
  const accessible = request.accessible === true;
  const { count } = request;
  // 2. together
  for (const [i, row] of rows.entries()) {
    if (!eligibleRow(row, request)) continue;
    let best: Placement | null = null;
    for (const [start, length] of eligibleRuns(row, accessible)) {
      if (length < count) continue;
      const placement = placeInRun(row, start, length, count);
      if (placement && better(placement, best)) best = placement;
    }
    if (best) return { together: true, seats: Array.from({ length: count }, (_, k) => ({ row: i + 1, pos: best!.start + k })) };
  }
  // 4. enough seats at all?
  let eligible = 0;
  for (const row of rows) {
    if (!eligibleRow(row, request)) continue;
    for (const [, length] of eligibleRuns(row, accessible)) eligible += length;
  }
  if (eligible < count) return null;
  // 3. split: longest runs first within each row (ties: the run nearer the middle, then the leftmost)
  const seats: Array<{ row: number; pos: number }> = [];
  for (const [i, original] of rows.entries()) {
    if (seats.length === count) break;
    if (!eligibleRow(original, request)) continue;
    const row = { ...original };
    for (;;) {
      const remaining = count - seats.length;
      if (remaining === 0) break;
      const runs = eligibleRuns(row, accessible);
      if (runs.length === 0) break;
      let chosen: { placement: Placement; take: number; length: number } | null = null;
      for (const [start, length] of runs) {
        const take = Math.min(length, remaining);
        const placement = placeInRun(row, start, length, take)!;
        if (
          !chosen ||
          length > chosen.length ||
          (length === chosen.length &&
            (placement.distance < chosen.placement.distance ||
              (placement.distance === chosen.placement.distance && placement.start < chosen.placement.start)))
        ) {
          chosen = { placement, take, length };
        }
      }
      const { placement, take } = chosen!;
      for (let k = 0; k < take; k++) seats.push({ row: i + 1, pos: placement.start + k });
      row.status = row.status.slice(0, placement.start - 1) + 'h'.repeat(take) + row.status.slice(placement.start - 1 + take);
    }
  }
  return { together: false, seats };
}
