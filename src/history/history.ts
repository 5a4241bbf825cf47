import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Distribution, EntitySample } from '../capability.js';
import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RedisClient } from '../redis/client.js';
import { execPipeline } from '../redis/pipeline.js';
import { quantile } from './distribution.js';
import { routeSamples } from './http-samples.js';
import { field, HISTORY_SECONDS, isEntity, isKind, isSeriesName, MINUTE_TTL_SECONDS, minuteKey, parseField, turnKey } from './keys.js';

/** Something that samples its entities: a capability with `samples` (src/capability.ts). */
export interface HistorySource {
  readonly name: string;
  samples(wanted: { shared: boolean }): Promise<readonly EntitySample[]>;
}

export interface HistoryDeps {
  redis: RedisClient;
  prefix: string;
  clock: Clock;
  metrics: Metrics;
  log: FastifyBaseLogger;
  sources: readonly HistorySource[];
}

/** How often every instance checks whether a new second is due for sampling (Loops add ±20%). */
export const SAMPLE_CHECK_MS = 250;

/** The percentiles read from each distribution, as series `<name>.p50`, `.p90`, `.p99` (and `.count`). */
const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p99', 0.99],
] as const;

/** One entity's last seconds: one point per second, null where nothing was recorded. */
export interface HistoryWindow {
  kind: string;
  entity: string;
  /** Epoch seconds of the first and last point. */
  from: number;
  to: number;
  timestamps: number[];
  series: Record<string, Array<number | null>>;
}

/** A sample's entities whose names break the key rules are left out, and said once (bounded). */
const MAX_WARNED = 100;

/**
 * The short history every instance keeps for the dashboard: the last 15 minutes of each room,
 * campaign and route at one point per second, in Redis, merged across instances, so that a reload
 * (or a dashboard on another instance) keeps the picture.
 *
 * Every instance calls sample() often (a loop); it samples once per wall-clock second. Shared
 * figures (read from Redis, the same for everyone: waiting, claimed…) are read by one instance per
 * second, the one that takes that second's turn (SET NX), and written with HSETNX so that a second
 * is written once even if two instances read it. Each instance's own figures (its Prometheus
 * counters and histograms: requests, latencies, claims by result) are written as their increase
 * since its previous sample with HINCRBY into the same field for every instance: the sum over
 * instances is made by Redis as they arrive, and a percentile is read from the summed buckets,
 * never averaged from per-instance percentiles.
 */
export class History {
  /** The second this instance last sampled. */
  private sampledSecond = 0;
  /** Each running total's last value, to write its increase: `kind\nentity\nc|d\nname[\nle]`. */
  private readonly totals = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(private readonly deps: HistoryDeps) {}

  /**
   * Samples the second that just ended, unless this instance already did: false then. Safe to call
   * from any number of instances at once, as often as wanted.
   */
  async sample(): Promise<boolean> {
    const second = Math.floor(this.deps.clock.now() / 1000);
    if (second <= this.sampledSecond) return false;
    this.sampledSecond = second;
    const at = second - 1;
    const shared = (await this.deps.redis.set(turnKey(this.deps.prefix, at), '1', 'EX', 10, 'NX')) === 'OK';
    const gathered = await Promise.all([
      ...this.deps.sources.map((source) =>
        source.samples({ shared }).catch((err: unknown) => {
          this.deps.log.warn({ err, capability: source.name }, 'history: sampling failed; this second is left out');
          return [] as EntitySample[];
        }),
      ),
      routeSamples(this.deps.metrics),
    ]);
    const results = await Promise.allSettled(this.writes(merge(gathered.flat()), at, shared).map((pipeline) => execPipeline(pipeline)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return true;
  }

  /** One pipeline per entity (one hash, one slot), for what it has to write this second. */
  private writes(samples: readonly EntitySample[], at: number, shared: boolean) {
    const { redis, prefix } = this.deps;
    const pipelines = [];
    for (const sample of samples) {
      const { kind, entity } = sample;
      if (!isKind(kind) || !isEntity(entity)) {
        this.warnOnce(`${kind}\n${entity}`, { kind, entity }, 'history: an entity whose kind or id cannot be a key is left out');
        continue;
      }
      const key = minuteKey(prefix, kind, entity, Math.floor(at / 60));
      const pipeline = redis.pipeline();
      let written = 0;
      if (shared && sample.values) {
        const names = Object.keys(sample.values).filter(isSeriesName);
        const set = nameSet(names);
        pipeline.hsetnx(key, field.names(set), names.join(','));
        pipeline.hsetnx(key, field.values(at, set), names.map((name) => encodeValue(sample.values![name] ?? null)).join(','));
        written++;
      }
      for (const [name, total] of Object.entries(sample.counts ?? {})) {
        if (!isSeriesName(name)) continue;
        const increase = this.increase(`${kind}\n${entity}\nc\n${name}`, total);
        if (increase > 0) {
          pipeline.hincrbyfloat(key, field.count(at, name), increase);
          written++;
        }
      }
      for (const [name, distribution] of Object.entries(sample.distributions ?? {})) {
        if (!isSeriesName(name)) continue;
        const increases = this.bucketIncreases(`${kind}\n${entity}\nd\n${name}`, distribution);
        // All of a second's buckets or none: a percentile needs each bucket's lower bound.
        if (!increases.some((b) => b.increase > 0)) continue;
        for (const { le, increase } of increases) pipeline.hincrby(key, field.bucket(at, name, le), Math.round(increase));
        written += increases.length;
      }
      if (written === 0) continue;
      pipeline.expire(key, MINUTE_TTL_SECONDS);
      pipelines.push(pipeline);
    }
    return pipelines;
  }

  private bucketIncreases(prefix: string, distribution: Distribution) {
    return distribution.buckets.map(({ le, count }) => ({ le, increase: this.increase(`${prefix}\n${le}`, count) }));
  }

  /**
   * How much a running total grew since this instance's previous sample. The history and the
   * metrics are created together (context.ts), so a total seen for the first time grew from zero;
   * one that went down was reset, and grew from zero too.
   */
  private increase(key: string, total: number): number {
    if (!Number.isFinite(total)) return 0;
    const previous = this.totals.get(key) ?? 0;
    this.totals.set(key, total);
    return total >= previous ? total - previous : total;
  }

  private warnOnce(key: string, details: object, message: string): void {
    if (this.warned.has(key) || this.warned.size >= MAX_WARNED) return;
    this.warned.add(key);
    this.deps.log.warn(details, message);
  }

  /** The entity's last `seconds` seconds (up to the one that just ended), merged over instances. */
  async read(kind: string, entity: string, seconds: number = HISTORY_SECONDS): Promise<HistoryWindow> {
    const span = Math.max(1, Math.min(HISTORY_SECONDS, Math.floor(seconds)));
    const to = Math.floor(this.deps.clock.now() / 1000) - 1;
    const from = to - span + 1;
    const pipeline = this.deps.redis.pipeline();
    for (let minute = Math.floor(from / 60); minute <= Math.floor(to / 60); minute++) {
      pipeline.hgetall(minuteKey(this.deps.prefix, kind, entity, minute));
    }
    const hashes = (await execPipeline(pipeline)) as Array<Record<string, string>>;
    return assemble(kind, entity, from, to, hashes);
  }
}

/** A short name for a list of series names (the same list, the same name, on every instance). */
const nameSets = new Map<string, string>();
function nameSet(names: readonly string[]): string {
  const joined = names.join(',');
  let set = nameSets.get(joined);
  if (!set) {
    set = createHash('sha1').update(joined).digest('hex').slice(0, 8);
    if (nameSets.size < 1_000) nameSets.set(joined, set);
  }
  return set;
}

/** A value as few characters as it needs: integers whole, others to six significant digits; null empty. */
function encodeValue(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '';
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** Samples of one entity from several sources are one sample. */
function merge(samples: readonly EntitySample[]): EntitySample[] {
  const byEntity = new Map<string, EntitySample>();
  for (const sample of samples) {
    const key = `${sample.kind}\n${sample.entity}`;
    const seen = byEntity.get(key);
    byEntity.set(
      key,
      seen
        ? {
            kind: sample.kind,
            entity: sample.entity,
            values: { ...seen.values, ...sample.values },
            counts: { ...seen.counts, ...sample.counts },
            distributions: { ...seen.distributions, ...sample.distributions },
          }
        : sample,
    );
  }
  return [...byEntity.values()];
}

/** The points of [from, to] out of the minutes' hashes. */
export function assemble(
  kind: string,
  entity: string,
  from: number,
  to: number,
  hashes: ReadonlyArray<Record<string, string>>,
): HistoryWindow {
  const n = to - from + 1;
  const covered = new Array<boolean>(n).fill(false);
  const values = new Map<string, Array<number | null>>();
  const counts = new Map<string, Array<number | null>>();
  const buckets = new Map<string, Array<Map<number, number> | undefined>>();
  const seriesOf = <T>(map: Map<string, T[]>, name: string, empty: () => T) => {
    let series = map.get(name);
    if (!series) {
      series = Array.from({ length: n }, empty);
      map.set(name, series);
    }
    return series;
  };
  const nameSets = new Map<string, string[]>();
  for (const hash of hashes) {
    for (const [name, text] of Object.entries(hash)) {
      const parsed = parseField(name);
      if (parsed?.type === 'names') nameSets.set(parsed.set, text.split(','));
    }
  }
  for (const hash of hashes) {
    for (const [name, text] of Object.entries(hash)) {
      const parsed = parseField(name);
      if (!parsed || parsed.type === 'names') continue;
      const i = parsed.second - from;
      if (i < 0 || i >= n) continue;
      covered[i] = true;
      if (parsed.type === 'values') {
        const names = nameSets.get(parsed.set) ?? [];
        text.split(',').forEach((raw, k) => {
          const series = names[k];
          if (series && isSeriesName(series)) seriesOf(values, series, () => null)[i] = numberOrNull(raw);
        });
      } else if (parsed.type === 'count') {
        seriesOf(counts, parsed.name, () => null)[i] = numberOrNull(text);
      } else {
        const perSecond = seriesOf<Map<number, number> | undefined>(buckets, parsed.name, () => undefined);
        const second = perSecond[i] ?? new Map<number, number>();
        perSecond[i] = second;
        second.set(parsed.le, numberOrNull(text) ?? 0);
      }
    }
  }
  const series: Record<string, Array<number | null>> = {};
  for (const [name, points] of values) series[name] = points;
  // A count that nobody increased in a recorded second is zero; where nothing was recorded, unknown.
  for (const [name, points] of counts) series[name] = points.map((v, i) => v ?? (covered[i] ? 0 : null));
  for (const [name, perSecond] of buckets) {
    const list = perSecond.map((m) => (m ? [...m].map(([le, count]) => ({ le, count })) : null));
    for (const [suffix, q] of PERCENTILES) series[`${name}.${suffix}`] = list.map((b) => (b ? quantile(b, q) : null));
    series[`${name}.count`] = list.map((b, i) => (b ? Math.max(0, ...b.map((x) => x.count)) : covered[i] ? 0 : null));
  }
  const timestamps = Array.from({ length: n }, (_, i) => from + i);
  const sorted = Object.fromEntries(
    Object.keys(series)
      .sort()
      .map((name) => [name, series[name]!]),
  );
  return { kind, entity, from, to, timestamps, series: sorted };
}

function numberOrNull(text: string): number | null {
  const value = text === '' ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : null;
}
