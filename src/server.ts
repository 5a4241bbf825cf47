import { Loops } from './background.js';
import type { Config } from './config.js';
import { type Context, openContext } from './context.js';
import { ensureDatabase, migrate } from './db/migrate.js';
import { createPool } from './db/pool.js';
import { SAMPLE_CHECK_MS } from './history/history.js';
import { buildApp } from './http/app.js';
import { evictionFindings } from './redis/eviction.js';

export interface ServeOptions {
  /** Run migrations before serving (default true: one command brings an instance up). */
  migrate?: boolean;
  /** Seconds to keep answering (readiness failing) after SIGTERM before closing the listener. */
  drainSeconds?: number;
}

/** Starts one instance: API, admission loop and cleanup. Resolves once listening. */
export async function serve(config: Config, options: ServeOptions = {}) {
  if (options.migrate ?? true) await prepareDatabase(config.databaseUrl);
  const ctx = await openContext(config);
  const app = await buildApp(ctx);
  const loops = startBackground(ctx);
  await app.listen({ port: config.port, host: config.host });
  void warnOfEviction(ctx);

  let stopping: Promise<void> | null = null;
  const stop = (signal: string) =>
    (stopping ??= (async () => {
      app.log.info({ signal }, 'draining');
      app.lifecycle.draining = true;
      await new Promise((resolve) => setTimeout(resolve, (options.drainSeconds ?? 0) * 1000));
      await app.close(); // stops accepting, waits for in-flight requests
      await loops.stop();
      await ctx.close(); // each capability flushes its writers first
      app.log.info('stopped');
    })());
  process.once('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
  process.once('SIGINT', () => void stop('SIGINT').then(() => process.exit(0)));
  return { app, ctx, stop };
}

/** Says at start-up when Redis may evict keys (docs: README, Operations). Never stops the start. */
async function warnOfEviction(ctx: Context): Promise<void> {
  const findings = await evictionFindings(ctx.infra.redis).catch(() => []);
  for (const f of findings) {
    if (f.kind === 'evicts') {
      ctx.infra.log.warn(
        { redis: f.server, maxmemoryPolicy: f.policy, maxmemoryBytes: f.maxmemoryBytes },
        'this Redis may evict keys when full (maxmemory-policy is not noeviction): queues, stock and seats would be lost key by key; set maxmemory-policy noeviction',
      );
    } else {
      ctx.infra.log.info({ redis: f.server, reason: f.reason }, 'could not read maxmemory-policy: make sure it is noeviction');
    }
  }
}

export async function prepareDatabase(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl, (url) => createPool(url, 1));
  const pool = createPool(databaseUrl, 1);
  try {
    return await migrate(pool);
  } finally {
    await pool.end();
  }
}

/** Every instance's background work: each capability's loops (no leader: each step is safe to run concurrently). */
export function startBackground(ctx: Context): Loops {
  const loops = new Loops(ctx.infra.log);
  for (const { capability } of ctx.capabilities) {
    for (const loop of capability.loops ?? []) loops.every(loop.name, loop.everyMs, () => loop.step());
  }
  // Checked several times a second so that each wall-clock second is sampled early in it, once.
  loops.every('history', SAMPLE_CHECK_MS, () => ctx.history.sample());
  return loops;
}
