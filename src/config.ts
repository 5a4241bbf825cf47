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
  /**
   * Addresses (IPs, CIDRs, or proxy-addr's names: loopback, linklocal, uniquelocal) of the load
   * balancers in front: only a request from one of them is believed about the client's address
   * (X-Forwarded-For) and protocol (X-Forwarded-Proto).
   */
  trustedProxies: string[];
  /** Open connections one instance accepts; more are refused at once. */
  maxConnections: number;
  /** A request's headers must arrive within this time, its whole body within requestTimeoutMs. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Per-client token bucket of public entries and claims, unless a room or campaign sets its own. */
  clientRate: { perSecond: number; burst: number };
  /** Webhooks to loopback, link-local and private addresses are refused unless this is set. */
  webhookAllowPrivate: boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <this>`. */
  metricsToken: string | undefined;
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

function list(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function flag(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(`${name} must be 1 or 0, got "${raw}"`);
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
    trustedProxies: overrides.trustedProxies ?? list(env.FLOODGATE_TRUSTED_PROXIES),
    maxConnections: overrides.maxConnections ?? integer(env, 'FLOODGATE_MAX_CONNECTIONS', 20_000, 1, 1_000_000),
    headersTimeoutMs: overrides.headersTimeoutMs ?? integer(env, 'FLOODGATE_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    requestTimeoutMs: overrides.requestTimeoutMs ?? integer(env, 'FLOODGATE_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    clientRate: overrides.clientRate ?? {
      perSecond: integer(env, 'FLOODGATE_CLIENT_RATE_PER_SECOND', 10, 1, 1_000_000),
      burst: integer(env, 'FLOODGATE_CLIENT_BURST', 50, 1, 1_000_000),
    },
    webhookAllowPrivate: overrides.webhookAllowPrivate ?? flag(env, 'FLOODGATE_WEBHOOK_ALLOW_PRIVATE'),
    metricsToken: overrides.metricsToken ?? (env.FLOODGATE_METRICS_TOKEN || undefined),
  };
}
