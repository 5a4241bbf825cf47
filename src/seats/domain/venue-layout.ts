// A venue's seating, as operators give it (sections → rows → seats), compiled into what the seats
// capability works with: rows numbered 1..R in the venue's order (its order is the order of
// quality: best rows first), seats numbered 1..n within their row, and the public seat ids
// `<section>-<row>-<label>`. Pure: no I/O.

/** Section ids, row ids, seat labels and categories: no "-" (it separates a seat id's parts) and no ",". */
export const PART_PATTERN = '^[A-Za-z0-9_]{1,16}$';
export const SEAT_ID_PATTERN = '^[A-Za-z0-9_]{1,16}-[A-Za-z0-9_]{1,16}-[A-Za-z0-9_]{1,16}$';
export const CATEGORY_PATTERN = '^[A-Za-z0-9_]{1,32}$';

export const MAX_SEATS = 100_000;
export const MAX_ROWS = 10_000;
export const MAX_SEATS_PER_ROW = 1_000;
export const MAX_CATEGORIES = 20;
/** The category of a row that names none. */
export const DEFAULT_CATEGORY = 'standard';

export interface RowInput {
  id: string;
  /** A count (labels 1..n) or the labels in the row's order. */
  seats: number | string[];
  category?: string;
  /** Labels of the row's wheelchair-accessible seats. */
  accessible?: string[];
}

export interface VenueInput {
  id: string;
  name: string;
  sections: Array<{ id: string; rows: RowInput[] }>;
}

export interface LayoutRow {
  /** 1-based, in the venue's order (best first). */
  number: number;
  sectionId: string;
  rowId: string;
  /** Seats in the row. */
  size: number;
  /** The labels when given as a list; null when they are 1..size. */
  labels: string[] | null;
  category: string;
  /** One character per seat: "a" accessible, "-" not; null when the row has none. */
  accessibleMask: string | null;
}

export interface SeatRef {
  row: number;
  /** 1-based position in the row. */
  pos: number;
}

export interface VenueLayout {
  id: string;
  name: string;
  capacity: number;
  rows: LayoutRow[];
  /** Categories in the order of their first row. */
  categories: string[];
  /** The venue as given (echoed by the API; the seat map is built from it). */
  sections: VenueInput['sections'];
  /** The seat an id names, or null. */
  seat(seatId: string): SeatRef | null;
  /** A seat's public id. */
  seatId(ref: SeatRef): string;
}

function labelOf(row: LayoutRow, pos: number): string {
  return row.labels ? row.labels[pos - 1]! : String(pos);
}

/** Checks what the JSON schema cannot (uniqueness, totals) and compiles the venue; or says what is wrong. */
export function compileVenue(input: VenueInput): VenueLayout | { problem: string } {
  const rows: LayoutRow[] = [];
  const categories: string[] = [];
  const sectionIds = new Set<string>();
  let capacity = 0;
  for (const section of input.sections) {
    if (sectionIds.has(section.id)) return { problem: `section "${section.id}" is given twice` };
    sectionIds.add(section.id);
    const rowIds = new Set<string>();
    for (const row of section.rows) {
      if (rowIds.has(row.id)) return { problem: `row "${row.id}" is given twice in section "${section.id}"` };
      rowIds.add(row.id);
      const labels = typeof row.seats === 'number' ? null : row.seats;
      const size = labels ? labels.length : (row.seats as number);
      if (labels && new Set(labels).size !== labels.length) return { problem: `row "${section.id}-${row.id}" has a label twice` };
      let accessibleMask: string | null = null;
      if (row.accessible && row.accessible.length > 0) {
        const wanted = new Set(row.accessible);
        const mask: string[] = [];
        let found = 0;
        for (let pos = 1; pos <= size; pos++) {
          const on = wanted.has(labels ? labels[pos - 1]! : String(pos));
          if (on) found++;
          mask.push(on ? 'a' : '-');
        }
        if (found !== wanted.size) return { problem: `row "${section.id}-${row.id}" lists an accessible seat it does not have` };
        accessibleMask = mask.join('');
      }
      const category = row.category ?? DEFAULT_CATEGORY;
      if (!categories.includes(category)) categories.push(category);
      capacity += size;
      rows.push({ number: rows.length + 1, sectionId: section.id, rowId: row.id, size, labels, category, accessibleMask });
    }
  }
  if (rows.length === 0) return { problem: 'a venue has at least one row' };
  if (rows.length > MAX_ROWS) return { problem: `a venue has at most ${MAX_ROWS} rows` };
  if (capacity > MAX_SEATS) return { problem: `a venue has at most ${MAX_SEATS} seats (this one has ${capacity})` };
  if (categories.length > MAX_CATEGORIES) return { problem: `a venue has at most ${MAX_CATEGORIES} categories` };
  return buildLayout({ id: input.id, name: input.name, sections: input.sections }, rows, categories, capacity);
}

function buildLayout(input: VenueInput, rows: LayoutRow[], categories: string[], capacity: number): VenueLayout {
  // Seat ids → seats, built on first use: most requests name seats of a few rows only.
  let rowsById: Map<string, { row: LayoutRow; positions: Map<string, number> | null }> | null = null;
  const index = () => {
    if (rowsById) return rowsById;
    rowsById = new Map();
    for (const row of rows) {
      rowsById.set(`${row.sectionId}-${row.rowId}`, {
        row,
        positions: row.labels ? new Map(row.labels.map((label, i) => [label, i + 1])) : null,
      });
    }
    return rowsById;
  };
  return {
    id: input.id,
    name: input.name,
    capacity,
    rows,
    categories,
    sections: input.sections,
    seat(seatId) {
      const parts = seatId.split('-');
      if (parts.length !== 3) return null;
      const found = index().get(`${parts[0]}-${parts[1]}`);
      if (!found) return null;
      const label = parts[2]!;
      let pos: number | undefined;
      if (found.positions) pos = found.positions.get(label);
      else if (/^[1-9][0-9]{0,3}$/.test(label)) pos = Number(label);
      return pos !== undefined && pos >= 1 && pos <= found.row.size ? { row: found.row.number, pos } : null;
    },
    seatId({ row, pos }) {
      const r = rows[row - 1]!;
      return `${r.sectionId}-${r.rowId}-${labelOf(r, pos)}`;
    },
  };
}

/** Whether the seats are side by side in one row (the `together` of a hold). */
export function together(seats: readonly SeatRef[]): boolean {
  if (seats.length <= 1) return true;
  const positions = seats.map((s) => s.pos).sort((a, b) => a - b);
  return seats.every((s) => s.row === seats[0]!.row) && positions.every((p, i) => i === 0 || p === positions[i - 1]! + 1);
}
