// Configuration is resolved once at boot (explicit option → environment → default) and validated,
// so a typo fails the start with a clear message instead of surfacing under load.
import { parseClusterNodes, type RedisTarget } from './redis/client.js';

export interface Config {
  port: number;
  host: string;
  redisUrl: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); when set, it is used instead of redisUrl. */
  redisClusterNodes: Array<{ host: string; port: number }> | null;
  databaseUrl: string;
  adminToken: string | undefined;
  redisPrefix: string;
  logLevel: string;
  /** How often each instance runs the admission step for every room. */
  admissionIntervalMs: number;
  /** How long an instance trusts its cached room counters before asking Redis again. */
  roomCacheMs: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function url(env: Env, name: string, fallback: string, protocols: string[]): string {
  const raw = env[name] || fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}`);
  }
  return raw;
}

function clusterNodes(env: Env): Array<{ host: string; port: number }> | null {
  const raw = env.REDIS_CLUSTER_NODES;
  if (!raw) return null;
  const nodes = parseClusterNodes(raw);
  if (!nodes) throw new ConfigError('REDIS_CLUSTER_NODES must be a comma-separated list of host:port');
  return nodes;
}

/** Where Redis is: the cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function redisTarget(config: Config): RedisTarget {
  return config.redisClusterNodes ? { kind: 'cluster', nodes: config.redisClusterNodes } : { kind: 'single', url: config.redisUrl };
}

export function loadConfig(overrides: Partial<Config> = {}, env: Env = process.env): Config {
  const prefix = overrides.redisPrefix ?? env.FLOODGATE_REDIS_PREFIX ?? 'fg';
  if (!/^[A-Za-z0-9:_-]{1,32}$/.test(prefix)) {
    throw new ConfigError('FLOODGATE_REDIS_PREFIX may contain only letters, digits, ":", "_" and "-" (at most 32)');
  }
  const adminToken = overrides.adminToken ?? (env.FLOODGATE_ADMIN_TOKEN || undefined);
  if (adminToken !== undefined && adminToken.length < 16) {
    throw new ConfigError('FLOODGATE_ADMIN_TOKEN must be at least 16 characters');
  }
  return {
    port: overrides.port ?? integer(env, 'PORT', 8080, 0, 65535),
    host: overrides.host ?? (env.HOST || '0.0.0.0'),
    redisUrl: overrides.redisUrl ?? url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisClusterNodes: overrides.redisClusterNodes !== undefined ? overrides.redisClusterNodes : clusterNodes(env),
    databaseUrl:
      overrides.databaseUrl ?? url(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/floodgate', ['postgres:', 'postgresql:']),
    adminToken,
    redisPrefix: prefix,
    logLevel: overrides.logLevel ?? (env.LOG_LEVEL || 'info'),
    admissionIntervalMs: overrides.admissionIntervalMs ?? integer(env, 'FLOODGATE_ADMISSION_INTERVAL_MS', 200, 20, 1000),
    roomCacheMs: overrides.roomCacheMs ?? integer(env, 'FLOODGATE_ROOM_CACHE_MS', 200, 0, 1000),
  };
}
