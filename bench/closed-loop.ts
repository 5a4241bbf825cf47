import * as hdr from 'hdr-histogram-js';
import { Pool } from 'undici';
import { type CpuSample, type CpuShare, type ProcessGroup, sampleCpu } from './cpu.js';

export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
  statuses: Record<string, number>;
  /** Where the CPU went while recording, when processes to watch were given. */
  cpu?: CpuShare;
}

/**
 * Closed-loop load: `connections` clients, each sending its next request as soon as the previous
 * one is answered, for `seconds`. Measures the most a server can answer with this many clients;
 * the same generator drives the calibration server and Floodgate, so their ratio is fair.
 * Latencies are recorded in microseconds in an HDR histogram.
 */
export async function closedLoop(
  origin: string,
  next: (i: number) => RequestSpec,
  options: { connections: number; seconds: number; warmupSeconds?: number; cpu?: ProcessGroup[] },
): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const statuses: Record<string, number> = {};
  let counter = 0;
  let errors = 0;
  let recording = false;
  let requests = 0;
  // The first second or two run colder code (JIT) on both sides: not recorded.
  const warmupMs = (options.warmupSeconds ?? 2) * 1000;
  const startedAt = performance.now();
  const endAt = startedAt + warmupMs + options.seconds * 1000;
  let recordStart = 0;

  async function client(): Promise<void> {
    while (performance.now() < endAt) {
      const spec = next(counter++);
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: spec.method,
          path: spec.path,
          ...(spec.body ? { body: spec.body } : {}),
          headers: { ...(spec.body ? { 'content-type': 'application/json' } : {}), ...spec.headers },
        });
        await res.body.dump();
        if (recording) {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 400) errors++;
        }
      } catch {
        if (recording) errors++;
      }
      if (recording) {
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        requests++;
      }
    }
  }

  let cpuSample: Promise<CpuSample> | undefined;
  const warmup = setTimeout(() => {
    recording = true;
    recordStart = performance.now();
    if (options.cpu) cpuSample = sampleCpu(options.cpu);
  }, warmupMs);
  await Promise.all(Array.from({ length: options.connections }, client));
  clearTimeout(warmup);
  const elapsed = (performance.now() - recordStart) / 1000;
  const cpu = cpuSample ? await (await cpuSample).stop(requests) : undefined;
  await pool.close();
  return {
    requests,
    perSecond: Math.round(requests / elapsed),
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p95Ms: histogram.getValueAtPercentile(95) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    errors,
    statuses,
    ...(cpu ? { cpu } : {}),
  };
}
