// The composition root: opens the shared infrastructure once, then creates every capability of the
// list (src/capabilities.ts) on it. The app, the metrics endpoint, `serve` and the test harness
// all loop over what this returns; none of them names a capability.
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { CAPABILITIES } from './capabilities.js';
import type { Capability, CapabilityDefinition, Infrastructure } from './capability.js';
import { type Clock, systemClock } from './clock.js';
import { type Config, redisTarget } from './config.js';
import { createPool } from './db/pool.js';
import { History } from './history/history.js';
import { ErrorTable } from './http/errors.js';
import { ClientLimiter } from './limits/client-limiter.js';
import { Metrics } from './metrics/metrics.js';
import { Outbox } from './outbox/port.js';
import { ApiKeys } from './partners/api-keys.js';
import { createRedis } from './redis/client.js';
import { observeScripts } from './redis/script.js';
import { AccessGate } from './tokens/access-gate.js';
import { AccessTokens } from './tokens/access-token.js';
import { adminAuth } from './tokens/admin-token.js';
import { KEY_RELOAD_MS, KeyRing, type Keystore, loadSecret } from './tokens/keystore.js';

/** Everything a running instance holds: the infrastructure and its capabilities. */
export interface Context {
  readonly infra: Infrastructure;
  /** The keys as last read (KeyRing reloads them: a rotation needs no restart). */
  readonly keystore: Keystore;
  readonly keys: KeyRing;
  /** The short history of every room, campaign and route, for the dashboard (src/history/). */
  readonly history: History;
  /** Every code a client can receive (common, capabilities', HTTP's), with its status. */
  readonly errors: ErrorTable;
  /** The capabilities, in the list's order. */
  readonly capabilities: ReadonlyArray<{ definition: CapabilityDefinition; capability: Capability }>;
  /** The capability a definition yielded here (tests reach into it). */
  get<C extends Capability>(definition: CapabilityDefinition<C>): C;
  /** Closes every capability (flushing writers), then the connections. */
  close(): Promise<void>;
}

export interface ContextOptions {
  clock?: Clock;
  log?: FastifyBaseLogger;
  /** The capabilities to run (default: all of src/capabilities.ts). */
  capabilities?: readonly CapabilityDefinition[];
}

export async function openContext(config: Config, options: ContextOptions = {}): Promise<Context> {
  const log = options.log ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const pool = createPool(config.databaseUrl);
  const redis = createRedis(redisTarget(config));
  pool.on('error', () => metrics.dependencyErrors.inc({ dependency: 'postgres' }));
  redis.on('error', () => metrics.dependencyErrors.inc({ dependency: 'redis' }));
  observeScripts(redis, (name, seconds, failed) => {
    metrics.scriptDuration.observe({ script: name }, seconds);
    if (failed) metrics.dependencyErrors.inc({ dependency: 'redis' });
  });
  const created: Array<{ definition: CapabilityDefinition; capability: Capability }> = [];
  let keys: KeyRing | undefined;
  const closeConnections = () => {
    keys?.stop();
    return Promise.allSettled([pool.end(), redis.quit()]);
  };
  try {
    const keyRing = await KeyRing.open(pool);
    keys = keyRing;
    const tokens = new AccessTokens(keyRing.current);
    keyRing.onChange((keystore) => {
      tokens.useKeystore(keystore);
      log.info({ signingKid: keystore.signing.kid, trustedKids: [...keystore.publicKeys.keys()] }, 'signing keys changed');
    });
    keyRing.reloadEvery(KEY_RELOAD_MS, (err) => log.warn({ err }, 'reading the signing keys failed; the current ones stay in use'));
    const infra: Infrastructure = {
      config,
      redis,
      prefix: config.redisPrefix,
      pool,
      clock: options.clock ?? systemClock,
      log,
      metrics,
      access: new AccessGate(tokens),
      partners: new ApiKeys(pool),
      outbox: new Outbox(pool),
      admin: adminAuth(config.adminToken),
      limits: new ClientLimiter(),
      secret: (name) => loadSecret(pool, name),
    };
    const definitions = options.capabilities ?? CAPABILITIES;
    const errors = new ErrorTable(definitions.map((d) => d.errors));
    for (const definition of definitions) created.push({ definition, capability: await definition.create(infra) });
    const history = new History({
      redis,
      prefix: config.redisPrefix,
      clock: infra.clock,
      metrics,
      log,
      sources: created.flatMap(({ definition, capability }) =>
        capability.samples ? [{ name: definition.name, samples: capability.samples.bind(capability) }] : [],
      ),
    });
    return {
      infra,
      get keystore() {
        return keyRing.current;
      },
      keys: keyRing,
      history,
      errors,
      capabilities: created,
      get<C extends Capability>(definition: CapabilityDefinition<C>): C {
        const found = created.find((c) => c.definition === definition);
        if (!found) throw new Error(`capability ${definition.name} is not running here`);
        return found.capability as C;
      },
      async close() {
        await Promise.allSettled(created.map(({ capability }) => capability.close?.()));
        await closeConnections();
      },
    };
  } catch (err) {
    await Promise.allSettled(created.map(({ capability }) => capability.close?.()));
    await closeConnections();
    throw err;
  }
}

/** JSON lines; credentials never reach the log even if a request is logged whole. */
export function createLogger(level: string): FastifyBaseLogger {
  return pino({
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'headers.authorization',
        'headers["x-api-key"]',
        'headers.cookie',
      ],
      censor: '[redacted]',
    },
  }) as FastifyBaseLogger;
}
