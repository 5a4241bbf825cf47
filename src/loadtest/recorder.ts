import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';
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
  /**
   * The longest the load generator's own event loop was blocked during this second (GC, too much
   * work). Latencies of a second with a large stall are the generator's as much as the target's.
   */
  generatorStallMs: number;
  /** Share of this second the generator's event loop was busy (0..1): near 1, answers wait to be read. */
  generatorBusy: number;
  gauges: Record<string, number>;
}

const LOOP_SAMPLE_MS = 10;

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
  private current: Omit<SecondSample, 'second' | 'p99Ms' | 'inFlight' | 'generatorStallMs' | 'generatorBusy' | 'gauges'> = {
    started: 0,
    completed: 0,
    errors: 0,
    dropped: 0,
  };
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_SAMPLE_MS });
  private loopUse: EventLoopUtilization = performance.eventLoopUtilization();
  readonly timeline: SecondSample[] = [];
  dropped = 0;
  started = 0;
  inFlight = 0;
  /** The longest stall of the generator's event loop over the whole run (ms). */
  maxGeneratorStallMs = 0;
  private recording = true;

  constructor() {
    this.loopDelay.enable();
  }

  /** Stops watching the event loop (the run is over). */
  close(): void {
    this.loopDelay.disable();
  }

  start(): void {
    this.started++;
    this.inFlight++;
    this.current.started++;
  }

  drop(): void {
    this.dropped++;
    this.current.dropped++;
  }

  /** Answers from now on are not recorded (an interrupted run cut them: they are not latencies). */
  stopRecording(): void {
    this.recording = false;
  }

  record(kind: string, latencyMs: number, status: number | 'error', ok: boolean): void {
    if (!this.recording) return;
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
    // The histogram holds whole sampling intervals (the period plus the delay), in ns.
    const generatorStallMs = this.loopDelay.count ? Math.max(0, Math.round((this.loopDelay.max / 1e6 - LOOP_SAMPLE_MS) * 10) / 10) : 0;
    this.loopDelay.reset();
    this.maxGeneratorStallMs = Math.max(this.maxGeneratorStallMs, generatorStallMs);
    const use = performance.eventLoopUtilization();
    const generatorBusy = Math.round(performance.eventLoopUtilization(use, this.loopUse).utilization * 100) / 100;
    this.loopUse = use;
    const sample = {
      second,
      ...this.current,
      p99Ms: this.second.totalCount ? this.second.getValueAtPercentile(99) / 1000 : 0,
      inFlight: this.inFlight,
      generatorStallMs,
      generatorBusy,
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
