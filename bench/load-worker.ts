// The load generator process of one measurement: reads a LoadJob (load-job.ts) on stdin, runs the
// closed loop, hands the LoadResult back (worker-process.ts).
import { closedLoop } from './closed-loop.js';
import { type ProcessGroup, postgresProcesses, redisProcess } from './cpu.js';
import type { LoadJob, ProcessSource } from './load-job.js';
import { finishWorker, workerInput } from './worker-process.js';

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

const job = await workerInput<LoadJob>();
const cpu = await Promise.all(Object.entries(job.watch).map(([name, sources]) => group(name, sources)));
const result = await closedLoop(
  job.origin,
  (i) => ({
    method: job.method,
    path: job.paths[i % job.paths.length]!,
    ...(job.userIdPrefix !== undefined ? { body: JSON.stringify({ userId: `${job.userIdPrefix}${i}` }) } : {}),
    ...(job.headers ? { headers: job.headers } : {}),
  }),
  { connections: job.connections, seconds: job.seconds, cpu },
);
finishWorker(result);
