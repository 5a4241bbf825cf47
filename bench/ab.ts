// npm run bench -- --ab <built checkout>: the same hot paths (entry, poll, claim) on another build of
// Floodgate (an older commit, built in its own folder) and on this one, alternated in one run on
// the same Redis, each against the bare node:http server measured just before and after it. Each
// build has a database of its own (their migrations differ); both use the one Redis, under
// different key prefixes. Reports each build's requests/s, p99 and ratio to the bare server, and
// this build's throughput relative to the other's, per round and as the median.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'undici';
import type { LoadResult } from './closed-loop.js';
import { runLoadJob } from './load-job.js';
import { type Started, startProcess } from './processes.js';

export interface AbOptions {
  /** A checkout of the other build, with `npm ci && npm run build` done (bin/floodgate.js, dist/). */
  otherDir: string;
  redisUrl: string;
  /** This build's database; the other build gets `<name>_ab_other` on the same server. */
  databaseUrl: string;
  seconds: number;
  connections: number[];
  rounds: number;
}

interface Target {
  name: 'other' | 'this';
  server: Started;
  entryRoom: string;
  pollPaths: string[];
  campaign: string;
  apiKey: string;
}

const adminToken = `bench-${randomBytes(12).toString('hex')}`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function post(origin: string, path: string, body: object, headers: Record<string, string> = {}) {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${origin}${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<Record<string, unknown>>;
}

async function start(name: Target['name'], dir: string, redisUrl: string, databaseUrl: string): Promise<Target> {
  const server = await startProcess(
    [join(dir, 'bin/floodgate.js'), 'serve', '--drain-seconds', '0'],
    {
      REDIS_URL: redisUrl,
      DATABASE_URL: databaseUrl,
      FLOODGATE_ADMIN_TOKEN: adminToken,
      FLOODGATE_REDIS_PREFIX: `fgab-${name}-${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: 'warn',
    },
    '/readyz',
  );
  const room = { admitPerSecond: 1, maxActive: 1, sessionSeconds: 600 };
  const entryRoom = `ab-entry-${randomBytes(3).toString('hex')}`;
  const pollRoom = `ab-poll-${randomBytes(3).toString('hex')}`;
  await post(server.origin, '/v1/rooms', { id: entryRoom, ...room });
  await post(server.origin, '/v1/rooms', { id: pollRoom, ...room });
  const setup = new Pool(server.origin, { connections: 50 });
  const pollPaths: string[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const ids = await Promise.all(
      Array.from({ length: 500 }, async (_, i) => {
        const res = await setup.request({
          method: 'POST',
          path: `/v1/rooms/${pollRoom}/tickets`,
          // Both builds take a named user from a caller with the admin token (the older one ignores it).
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({ userId: `poller-${batch * 500 + i}` }),
        });
        return ((await res.body.json()) as { ticketId: string }).ticketId;
      }),
    );
    pollPaths.push(...ids.map((t) => `/v1/rooms/${pollRoom}/tickets/${t}`));
  }
  await setup.close();
  const campaign = `ab-claims-${randomBytes(3).toString('hex')}`;
  await post(server.origin, '/v1/campaigns', { id: campaign, stock: 50_000_000 });
  const { apiKey } = (await post(server.origin, '/v1/partners', { name: 'bench' })) as { apiKey: string };
  return { name, server, entryRoom, pollPaths, campaign, apiKey };
}

type Path = 'enter' | 'poll' | 'claim';

function measure(path: Path, target: Target, round: number, connections: number, seconds: number): Promise<LoadResult> {
  const base = { origin: target.server.origin, seconds, connections, watch: { server: [{ pid: target.server.child.pid! }] } };
  const prefix = `${target.name}-${round}-${connections}-`;
  switch (path) {
    case 'enter':
      return runLoadJob({
        ...base,
        method: 'POST',
        paths: [`/v1/rooms/${target.entryRoom}/tickets`],
        userIdPrefix: `user-${prefix}`,
        headers: { authorization: `Bearer ${adminToken}` },
      });
    case 'poll':
      return runLoadJob({ ...base, method: 'GET', paths: target.pollPaths });
    case 'claim':
      return runLoadJob({
        ...base,
        method: 'POST',
        paths: [`/v1/campaigns/${target.campaign}/claims`],
        userIdPrefix: `claimer-${prefix}`,
        headers: { 'x-api-key': target.apiKey },
      });
  }
}

export async function ab(options: AbOptions): Promise<string> {
  const otherDb = new URL(options.databaseUrl);
  otherDb.pathname = `${otherDb.pathname}_ab_other`;
  const bare = await startProcess(['--import', 'tsx', 'bench/bare-server.ts'], {}, '/');
  const other = await start('other', options.otherDir, options.redisUrl, otherDb.toString());
  const self = await start('this', process.cwd(), options.redisUrl, options.databaseUrl);
  const paths: Path[] = ['enter', 'poll', 'claim'];
  const rows: string[] = [];
  try {
    for (const connections of options.connections) {
      for (const path of paths) {
        const results: Record<Target['name'], { perSecond: number[]; p99: number[]; ratio: number[] }> = {
          other: { perSecond: [], p99: [], ratio: [] },
          this: { perSecond: [], p99: [], ratio: [] },
        };
        const relative: number[] = [];
        for (let round = 0; round < options.rounds; round++) {
          // Alternate which build goes first: a drift within a round favours neither.
          const order = round % 2 === 0 ? [other, self] : [self, other];
          const perSecond: Partial<Record<Target['name'], number>> = {};
          for (const target of order) {
            // The bare server's GET has no body (a GET with one made undici's closed loop ~5x slower).
            const bareJob = {
              origin: bare.origin,
              seconds: options.seconds,
              connections,
              watch: {},
              ...(path === 'poll'
                ? { method: 'GET' as const, paths: ['/poll'] }
                : { method: 'POST' as const, paths: ['/enter'], userIdPrefix: 'u' }),
            };
            const before = await runLoadJob(bareJob);
            const result = await measure(path, target, round, connections, options.seconds);
            const after = await runLoadJob(bareJob);
            const r = results[target.name];
            r.perSecond.push(result.perSecond);
            r.p99.push(result.p99Ms);
            r.ratio.push(result.perSecond / ((before.perSecond + after.perSecond) / 2));
            perSecond[target.name] = result.perSecond;
            console.error(
              `round ${round + 1}: ${path}, ${connections} connections, ${target.name} build: ${result.perSecond}/s (bare ${before.perSecond}/s, ${after.perSecond}/s)`,
            );
          }
          relative.push(perSecond.this! / perSecond.other!);
        }
        const o = results.other;
        const t = results.this;
        rows.push(
          `| ${path} | ${connections} | ${median(o.perSecond)} | ${median(o.p99).toFixed(1)} | ${median(o.ratio).toFixed(2)}x | ${median(t.perSecond)} | ${median(t.p99).toFixed(1)} | ${median(t.ratio).toFixed(2)}x | ${median(relative).toFixed(2)}x | ${relative.map((x) => x.toFixed(2)).join(', ')} |`,
        );
      }
    }
  } finally {
    await Promise.all([bare.stop(), other.server.stop(), self.server.stop()]);
  }
  return [
    `${new Date().toISOString()}: other build ${options.otherDir} vs this build, ${options.seconds} s closed loop per measurement, ${options.rounds} rounds alternated, single Redis`,
    '',
    '| path | connections | other req/s | other p99 ms | other / bare | this req/s | this p99 ms | this / bare | this / other (median) | per round |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}
