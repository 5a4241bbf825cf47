// Distributions as Prometheus keeps them (cumulative bucket counts by upper bound), and what the
// history needs of them: their sum over label sets, and a percentile. Pure functions.
import type { Distribution } from '../capability.js';

/** What prom-client's histogram get() yields: `<name>_bucket` values carry an `le` label. */
export interface HistogramValue {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  readonly metricName?: string;
}

/**
 * The histogram's buckets summed over label sets, grouped by `groupOf(labels)` (null: left out).
 * Buckets are cumulative, so their sum over label sets is the histogram of the union.
 */
export function distributionsBy(
  values: readonly HistogramValue[],
  groupOf: (labels: HistogramValue['labels']) => string | null,
): Map<string, Distribution> {
  const byGroup = new Map<string, Map<number, number>>();
  for (const { value, labels, metricName } of values) {
    if (!metricName?.endsWith('_bucket') || labels.le === undefined) continue;
    const group = groupOf(labels);
    if (group === null) continue;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    const buckets = byGroup.get(group) ?? new Map<number, number>();
    byGroup.set(group, buckets);
    buckets.set(le, (buckets.get(le) ?? 0) + value);
  }
  const result = new Map<string, Distribution>();
  for (const [group, buckets] of byGroup) {
    result.set(group, { buckets: [...buckets].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count })) });
  }
  return result;
}

/**
 * The q-quantile (0..1) of a cumulative histogram, interpolated linearly within its bucket as
 * Prometheus' histogram_quantile() does: null without observations; the highest finite bound when
 * it falls in the +Inf bucket.
 */
export function quantile(buckets: ReadonlyArray<{ le: number; count: number }>, q: number): number | null {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < sorted.length; i++) {
    const { le, count } = sorted[i]!;
    if (count < rank) continue;
    const lower = i === 0 ? 0 : sorted[i - 1]!.le;
    const below = i === 0 ? 0 : sorted[i - 1]!.count;
    if (le === Number.POSITIVE_INFINITY) return i === 0 ? null : lower;
    if (count === below) return le;
    return lower + ((le - lower) * (rank - below)) / (count - below);
  }
  return null;
}
