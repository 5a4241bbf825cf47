// A closed-loop measurement run by a load generator process of its own (bench/load-worker.ts).
//
// Why a process per measurement: the generator shares the two cores with the servers it measures,
// and its own state carried over from earlier work slowed it. In one process, after the bench's
// setup (10,000 tickets taken, rooms and a campaign created) the same bare server measured
// 53,500 instead of 64,000-65,000 requests/s, the generator spending 18 instead of 15 µs per
// request; a fresh generator process started at that same moment measured 64,600 and 65,000.
// A slower generator flatters every ratio (its cost is on both sides of it).
import type { LoadResult } from './closed-loop.js';
import { runWorkerProcess } from './worker-process.js';

/** Where a process group's pids come from: a pid, the Redis at a URL, the PostgreSQL at a URL. */
export type ProcessSource = { pid: number } | { redis: string } | { postgres: string };

export interface LoadJob {
  origin: string;
  connections: number;
  seconds: number;
  method: 'GET' | 'POST';
  /** Request i goes to paths[i % paths.length]. */
  paths: string[];
  /** When set, request i's body is {"userId": "<prefix><i>"}: a new user per request. */
  userIdPrefix?: string;
  headers?: Record<string, string>;
  /** The processes whose CPU is reported, by name (see cpu.ts). */
  watch: Record<string, ProcessSource[]>;
}

/** Runs one measurement in a fresh generator process and returns its result. */
export function runLoadJob(job: LoadJob): Promise<LoadResult> {
  return runWorkerProcess<LoadResult>(new URL('./load-worker.ts', import.meta.url), job);
}
