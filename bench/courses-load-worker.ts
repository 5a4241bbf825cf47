// The load generator process of one course-request measurement (bench/courses.ts): like
// load-worker.ts, but each request is a student's cart: {studentId, actions: [{add}, ...]}.
import { closedLoop } from './closed-loop.js';
import { type ProcessGroup, postgresProcesses, redisProcess } from './cpu.js';
import type { ProcessSource } from './load-job.js';
import { finishWorker, workerInput } from './worker-process.js';

export interface CourseLoadJob {
  origin: string;
  connections: number;
  seconds: number;
  path: string;
  headers: Record<string, string>;
  /** Request i is made for student `${studentPrefix}${i % students}`... */
  studentPrefix: string;
  students: number;
  /** ...adding `cart` courses from `courses`, starting at i (so carts vary). */
  courses: string[];
  cart: number;
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

const job = await workerInput<CourseLoadJob>();
const cpu = await Promise.all(Object.entries(job.watch).map(([name, sources]) => group(name, sources)));
const result = await closedLoop(
  job.origin,
  (i) => ({
    method: 'POST',
    path: job.path,
    headers: job.headers,
    body: JSON.stringify({
      studentId: `${job.studentPrefix}${i % job.students}`,
      actions: Array.from({ length: job.cart }, (_, k) => ({ add: job.courses[(i + k * 7) % job.courses.length] })),
    }),
  }),
  { connections: job.connections, seconds: job.seconds, cpu },
);
finishWorker(result);
