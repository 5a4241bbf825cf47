// Before an instance starts: is each dependency there? A failure is one line that names it and
// its address (without credentials). Once running, an instance rides out outages instead
// (readiness fails, clients reconnect); at start a missing dependency is far more often a
// mistake in the configuration, better said at once than discovered by a load balancer.
import { Redis } from 'ioredis';
import { type Config, redisTarget } from '../config.js';
import { prepareDatabase } from '../server.js';
import { firstLine, networkCause, OperationalError, postgresFailure, redactUrl } from './errors.js';

/** How long the Redis check waits for an answer. */
const REDIS_CHECK_TIMEOUT_MS = 5_000;

/** Where Redis is, said without credentials. */
export function redisAddress(config: Config): string {
  const target = redisTarget(config);
  return target.kind === 'single'
    ? `Redis at ${redactUrl(target.url)}`
    : `the Redis Cluster at ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
}

/** Creates the database if needed and applies the migrations; a database failure is an OperationalError. */
export async function migrateDatabase(databaseUrl: string): Promise<string[]> {
  return withPostgres(databaseUrl, () => prepareDatabase(databaseUrl));
}

/** Runs `work`; a failure to reach or use PostgreSQL becomes one line naming it. */
export async function withPostgres<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const line = postgresFailure(err, redactUrl(databaseUrl));
    if (line) throw new OperationalError(line, { cause: err });
    throw err;
  }
}

/**
 * Connects to Redis once, asks it to answer, and disconnects. For a Cluster, each seed node in
 * turn until one answers and says every slot is served (the client finds the others from it).
 */
export async function checkRedis(config: Config): Promise<void> {
  const target = redisTarget(config);
  const where = redisAddress(config);
  if (target.kind === 'single') {
    await askRedis(new Redis(target.url, NO_RETRY), where, false);
    return;
  }
  let failure: unknown;
  for (const node of target.nodes) {
    try {
      await askRedis(new Redis({ host: node.host, port: node.port, ...NO_RETRY }), where, true);
      return;
    } catch (err) {
      failure = err;
    }
  }
  throw failure;
}

const NO_RETRY = { maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: REDIS_CHECK_TIMEOUT_MS, lazyConnect: true };

async function askRedis(client: Redis, where: string, cluster: boolean): Promise<void> {
  // connect() rejects with a generic "Connection is closed": the cause is the last error emitted.
  let lastError: unknown;
  client.on('error', (err) => (lastError = err));
  try {
    await client.connect();
    await client.ping();
    if (cluster) {
      const info = String(await client.cluster('INFO'));
      const state = /cluster_state:(\w+)/.exec(info)?.[1];
      if (state !== 'ok') throw new OperationalError(`${where} is not serving every slot (cluster_state:${state ?? 'unknown'})`);
    }
  } catch (err) {
    if (err instanceof OperationalError) throw err;
    const cause = networkCause(err) ?? networkCause(lastError);
    if (cause) throw new OperationalError(`cannot reach ${where}: ${cause}`, { cause: err });
    const message = firstLine(lastError ?? err);
    if (/NOAUTH|WRONGPASS|invalid password/i.test(message)) {
      throw new OperationalError(`${where} refused the credentials: ${message}`, { cause: err });
    }
    throw new OperationalError(`cannot use ${where}: ${message}`, { cause: err });
  } finally {
    client.disconnect();
  }
}
