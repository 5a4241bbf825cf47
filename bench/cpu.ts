// Where a benchmark's CPU goes. On this 2-core machine the load generator, the server, Redis and
// PostgreSQL share the cores, so a ratio to the calibration says little about why it is what it
// is; the CPU each process spends per answered request does. Read from /proc (Linux), for the
// processes of this machine only: a Redis or PostgreSQL elsewhere is left out.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's times. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process has used, or null when it is gone or not ours to read. */
function processSeconds(pid: number): number | null {
  try {
    // The command name (field 2) may hold spaces: the fields after it start at the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

function machineTicks(): { idle: number; steal: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = values.map(Number);
  return { idle: n[3]! + n[4]!, steal: n[7] ?? 0, total: n.reduce((a, b) => a + b, 0) };
}

/** A group of processes whose CPU is added up (PostgreSQL is many), found when sampling starts and ends. */
export interface ProcessGroup {
  name: string;
  pids(): Promise<number[]>;
}

export interface CpuShare {
  /** CPU microseconds per answered request, per process group. */
  perRequestUs: Record<string, number>;
  /** Share of the machine's CPU time left idle, and taken by the hypervisor (steal), in %. */
  idlePercent: number;
  stealPercent: number;
}

export interface CpuSample {
  stop(requests: number): Promise<CpuShare>;
}

/** Starts measuring the given groups and this process (the load generator). */
export async function sampleCpu(groups: ProcessGroup[]): Promise<CpuSample> {
  const read = async () =>
    Promise.all(
      groups.map(async (group) => {
        const seconds = new Map<number, number>();
        for (const pid of await group.pids()) {
          const s = processSeconds(pid);
          if (s !== null) seconds.set(pid, s);
        }
        return seconds;
      }),
    );
  const before = await read();
  const generatorBefore = process.cpuUsage();
  const machineBefore = machineTicks();
  return {
    async stop(requests) {
      const generator = process.cpuUsage(generatorBefore);
      const machine = machineTicks();
      const after = await read();
      const perRequestUs: Record<string, number> = {};
      groups.forEach((group, i) => {
        // A process that started during the run (a new pool connection) counts from zero.
        let seconds = 0;
        for (const [pid, s] of after[i]!) seconds += s - (before[i]!.get(pid) ?? 0);
        if (after[i]!.size > 0) perRequestUs[group.name] = round((seconds * 1e6) / requests);
      });
      perRequestUs.generator = round((generator.user + generator.system) / requests);
      const total = machine.total - machineBefore.total || 1;
      return {
        perRequestUs,
        idlePercent: Math.round((100 * (machine.idle - machineBefore.idle)) / total),
        stealPercent: Math.round((100 * (machine.steal - machineBefore.steal)) / total),
      };
    },
  };
}

const round = (us: number) => Math.round(us * 10) / 10;

function isLocal(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

/** The Redis server's process, when it runs on this machine. */
export async function redisProcess(url: string): Promise<ProcessGroup | null> {
  if (!isLocal(url)) return null;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    return Number.isInteger(pid) ? { name: 'redis', pids: async () => [pid] } : null;
  } finally {
    redis.disconnect();
  }
}

/**
 * PostgreSQL's processes on this machine: every backend and background process it lists
 * (pg_stat_activity), asked again at the end so that connections opened meanwhile count.
 */
export function postgresProcesses(url: string): ProcessGroup | null {
  if (!isLocal(url)) return null;
  return {
    name: 'postgres',
    async pids() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()');
        return rows.map((r) => r.pid);
      } finally {
        await client.end();
      }
    },
  };
}
