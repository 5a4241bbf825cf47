import type { VenueLayout } from './domain/venue-layout.js';

/**
 * A show's figures for the dashboard's history, out of its state hash (`st`: `f:<category>`,
 * `h:<category>`, `s:<category>` are the live counters the hold scripts keep). Per category only
 * when there are several: with one, the totals say it all, and every series costs memory each
 * second (src/history/keys.ts). Null while the state is being restored (`ready` is not 1).
 */
export function showFigures(layout: Pick<VenueLayout, 'capacity' | 'categories'>, st: Readonly<Record<string, string>>) {
  const ready = st.ready === '1';
  const values: Record<string, number | null> = { capacity: layout.capacity, restoring: ready ? 0 : 1 };
  const totals = { free: 0, held: 0, sold: 0 };
  const perCategory: Record<string, number | null> = {};
  for (const category of layout.categories) {
    for (const [status, prefix] of [
      ['free', 'f'],
      ['held', 'h'],
      ['sold', 's'],
    ] as const) {
      const n = Number(st[`${prefix}:${category}`] ?? 0);
      totals[status] += n;
      perCategory[`${status}.${category}`] = ready ? n : null;
    }
  }
  for (const status of ['free', 'held', 'sold'] as const) values[status] = ready ? totals[status] : null;
  return layout.categories.length > 1 ? { ...values, ...perCategory } : values;
}
