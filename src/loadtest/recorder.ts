import * as hdr from 'hdr-histogram-js';

export interface Summary {
  name: string;
  count: number;
  errors: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SecondSample {
  second: number;
  started: number;
  completed: number;
  errors: number;
  dropped: number;
  p99Ms: number;
  inFlight: number;
  gauges: Record<string, number>;
}

function histogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
}

/**
 * Latencies (µs, from each request's *scheduled* start, so queueing in the client counts) per
 * request kind in HDR histograms, plus a per-second timeline for the live view and the report.
 */
export class Recorder {
  private readonly kinds = new Map<string, { h: ReturnType<typeof histogram>; errors: number; statuses: Record<string, number> }>();
  private second = histogram();
  private current: Omit<SecondSample, 'second' | 'p99Ms' | 'inFlight' | 'gauges'> = { started: 0, completed: 0, errors: 0, dropped: 0 };
  readonly timeline: SecondSample[] = [];
  dropped = 0;
  started = 0;
  inFlight = 0;

  start(): void {
    this.started++;
    this.inFlight++;
    this.current.started++;
  }

  drop(): void {
    this.dropped++;
    this.current.dropped++;
  }

  record(kind: string, latencyMs: number, status: number | 'error', ok: boolean): void {
    this.inFlight--;
    let entry = this.kinds.get(kind);
    if (!entry) this.kinds.set(kind, (entry = { h: histogram(), errors: 0, statuses: {} }));
    const micros = Math.max(1, Math.round(latencyMs * 1000));
    entry.h.recordValue(micros);
    this.second.recordValue(micros);
    entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
    this.current.completed++;
    if (!ok) {
      entry.errors++;
      this.current.errors++;
    }
  }

  /** Closes the current second of the timeline. */
  tick(second: number, gauges: Record<string, number>): SecondSample {
    const sample = {
      second,
      ...this.current,
      p99Ms: this.second.totalCount ? this.second.getValueAtPercentile(99) / 1000 : 0,
      inFlight: this.inFlight,
      gauges,
    };
    this.timeline.push(sample);
    this.current = { started: 0, completed: 0, errors: 0, dropped: 0 };
    this.second.reset();
    return sample;
  }

  summaries(): Summary[] {
    return [...this.kinds].map(([name, { h, errors, statuses }]) => ({
      name,
      count: h.totalCount,
      errors,
      statuses,
      p50Ms: h.getValueAtPercentile(50) / 1000,
      p95Ms: h.getValueAtPercentile(95) / 1000,
      p99Ms: h.getValueAtPercentile(99) / 1000,
      maxMs: h.maxValue / 1000,
    }));
  }
}
