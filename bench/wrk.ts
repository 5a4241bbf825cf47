// Measurements with wrk (Debian's package): 1 thread, 64 connections. Unlike the project's own
// Node generator, wrk costs the two cores little per request, so it does not flatter the ratios
// (a generator that is slow per request slows the bare server's figure as much as Floodgate's
// and so pulls their ratio towards 1).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkJob {
  origin: string;
  method: 'GET' | 'POST';
  /** Request i goes to paths[i % paths.length]. */
  paths: string[];
  /** When set, each request's body is {"userId": "<prefix><run>-<n>"}: a new user per request, in every run. */
  userIdPrefix?: string;
  headers?: Record<string, string>;
  seconds: number;
  connections?: number;
}

export interface WrkResult {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx or 3xx, and socket errors. */
  errors: number;
}

const luaString = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** The wrk script: the method, headers, paths in turn, and a new user per request when asked. */
function script(job: WrkJob): string {
  const headers = { ...(job.method === 'POST' ? { 'Content-Type': 'application/json' } : {}), ...job.headers };
  return [
    `wrk.method = ${luaString(job.method)}`,
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
    `local paths = {${job.paths.map(luaString).join(',')}}`,
    'local n = 0',
    'request = function()',
    '  n = n + 1',
    '  local path = paths[(n % #paths) + 1]',
    job.userIdPrefix === undefined
      ? '  return wrk.format(nil, path)'
      : `  return wrk.format(nil, path, nil, '{"userId":"' .. ${luaString(`${job.userIdPrefix}${randomBytes(4).toString('hex')}-`)} .. n .. '"}')`,
    'end',
  ].join('\n');
}

function milliseconds(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === 'us' ? n / 1000 : match[2] === 'ms' ? n : match[2] === 's' ? n * 1000 : n * 60_000;
}

export async function wrk(job: WrkJob): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fg-wrk-'));
  try {
    const file = join(dir, 'job.lua');
    writeFileSync(file, script(job));
    const { stdout } = await run('wrk', ['-t1', `-c${job.connections ?? 64}`, `-d${job.seconds}s`, '--latency', '-s', file, job.origin], {
      maxBuffer: 1 << 20,
    });
    const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
    const p50Ms = milliseconds(/^\s+50%\s+(\S+)/m.exec(stdout)?.[1] ?? '');
    const p99Ms = milliseconds(/^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? '');
    const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
    const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
    if (!Number.isFinite(perSecond)) throw new Error(`wrk printed no rate:\n${stdout}`);
    return { perSecond: Math.round(perSecond), p50Ms, p99Ms, errors: non2xx + socketErrors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
