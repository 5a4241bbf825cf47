import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { ClaimIds } from './claims/claim-ids.js';
import { CampaignRepository } from './claims/repository.js';
import { ClaimsService } from './claims/service.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import { createPool, type Pool } from './db/pool.js';
import { Metrics } from './metrics/metrics.js';
import { OutboxSender } from './outbox/sender.js';
import { ApiKeys } from './partners/api-keys.js';
import { createRedis, type RedisClient } from './redis/connection.js';
import { observeScripts } from './redis/script.js';
import { AccessTokens } from './tokens/access-token.js';
import { type Keystore, loadKeystore, loadSecret } from './tokens/keystore.js';
import { RoomRepository } from './waiting-room/repository.js';
import { WaitingRoomService } from './waiting-room/service.js';
import { TicketIds } from './waiting-room/ticket-id.js';

/** Everything a running instance holds: connections, keys and the capability services. */
export interface Context {
  config: Config;
  pool: Pool;
  redis: RedisClient;
  keystore: Keystore;
  rooms: RoomRepository;
  waitingRoom: WaitingRoomService;
  campaigns: CampaignRepository;
  claims: ClaimsService;
  apiKeys: ApiKeys;
  outbox: OutboxSender;
  clock: Clock;
  log: FastifyBaseLogger;
  metrics: Metrics;
  close(): Promise<void>;
}

export interface ContextOptions {
  clock?: Clock;
  log?: FastifyBaseLogger;
}

export async function openContext(config: Config, options: ContextOptions = {}): Promise<Context> {
  const log = options.log ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const metrics = new Metrics();
  const pool = createPool(config.databaseUrl);
  const redis = createRedis(config.redisUrl);
  pool.on('error', () => metrics.dependencyErrors.inc({ dependency: 'postgres' }));
  redis.on('error', () => metrics.dependencyErrors.inc({ dependency: 'redis' }));
  observeScripts(redis, (name, seconds, failed) => {
    metrics.scriptDuration.observe({ script: name }, seconds);
    if (failed) metrics.dependencyErrors.inc({ dependency: 'redis' });
  });
  try {
    const keystore = await loadKeystore(pool);
    const ticketIds = new TicketIds(await loadSecret(pool, 'ticket-id-hmac'));
    const rooms = new RoomRepository(pool);
    const waitingRoom = new WaitingRoomService({
      redis,
      prefix: config.redisPrefix,
      rooms,
      tokens: new AccessTokens(keystore),
      ticketIds,
      roomCacheMs: config.roomCacheMs,
    });
    const campaigns = new CampaignRepository(pool);
    const claims = new ClaimsService({
      redis,
      prefix: config.redisPrefix,
      repository: campaigns,
      claimIds: new ClaimIds(await loadSecret(pool, 'claim-id-hmac')),
      clock,
      log,
      metrics,
      roomExists: async (roomId) => (await rooms.get(roomId)) !== null,
    });
    return {
      config,
      pool,
      redis,
      keystore,
      rooms,
      waitingRoom,
      campaigns,
      claims,
      apiKeys: new ApiKeys(pool),
      outbox: new OutboxSender(pool, log),
      clock,
      log,
      metrics,
      async close() {
        await Promise.allSettled([pool.end(), redis.quit()]);
      },
    };
  } catch (err) {
    await Promise.allSettled([pool.end(), redis.quit()]);
    throw err;
  }
}

/** JSON lines; credentials never reach the log even if a request is logged whole. */
export function createLogger(level: string): FastifyBaseLogger {
  return pino({
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]',
    },
  }) as FastifyBaseLogger;
}
