// The load generator process of one seat measurement (see load-job.ts for why a process of its
// own): a closed loop of chosen-seat holds, best-available holds or confirms.
import { closedLoop } from './closed-loop.js';
import { type ProcessGroup, postgresProcesses, redisProcess } from './cpu.js';
import type { ProcessSource } from './load-job.js';
import { arenaSeat } from './seats-arena.js';
import { finishWorker, workerInput } from './worker-process.js';

export interface SeatLoadJob {
  origin: string;
  connections: number;
  seconds: number;
  kind: 'chosen' | 'best' | 'confirm';
  /**
   * Holds: request i goes to showIds[i % n] (chosen: seat floor(i / n) of it). Several shows, so
   * that a fast run never exhausts one 100,000-seat venue and measures cheap refusals instead
   * (at 15,000 holds/s, 8 s held every seat of one show). Confirms: the first show.
   */
  showIds: string[];
  apiKey: string;
  /** Users are `<prefix><i>`; chosen holds take seat i; best holds ask for `bestCount`. */
  userPrefix: string;
  bestCount?: number;
  /** Chosen holds: every request asks for this one seat (seed 003's contention) instead of seat i. */
  seat?: string;
  /** Extra request headers (e.g. a content type the hold shortcut hands to the route, for an A/B). */
  headers?: Record<string, string>;
  /** Confirms: request i confirms holdIds[i]. */
  holdIds?: string[];
  watch: Record<string, ProcessSource[]>;
}

async function group(name: string, sources: ProcessSource[]): Promise<ProcessGroup> {
  const parts = await Promise.all(
    sources.map(async (source): Promise<ProcessGroup | null> => {
      if ('pid' in source) return { name, pids: async () => [source.pid] };
      if ('redis' in source) return redisProcess(source.redis);
      return postgresProcesses(source.postgres);
    }),
  );
  const found = parts.filter((p) => p !== null);
  return { name, pids: async () => (await Promise.all(found.map((p) => p.pids()))).flat() };
}

const job = await workerInput<SeatLoadJob>();
const cpu = await Promise.all(Object.entries(job.watch).map(([name, sources]) => group(name, sources)));
const holds = (show: number) => `/v1/shows/${job.showIds[show]}/holds`;
const shows = job.showIds.length;
const headers = { 'x-api-key': job.apiKey, ...job.headers };
const result = await closedLoop(
  job.origin,
  (i) => {
    if (job.kind === 'confirm') {
      return {
        method: 'POST',
        path: `${holds(0)}/${job.holdIds![i % job.holdIds!.length]}/confirm`,
        headers: { ...headers, 'idempotency-key': `k${i}` },
      };
    }
    const body =
      job.kind === 'chosen'
        ? { seats: [job.seat ?? arenaSeat(Math.floor(i / shows))], userId: `${job.userPrefix}${i}` }
        : { best: { count: job.bestCount ?? 2 }, userId: `${job.userPrefix}${i}` };
    return { method: 'POST', path: holds(i % shows), body: JSON.stringify(body), headers };
  },
  { connections: job.connections, seconds: job.seconds, cpu },
);
finishWorker(result);
