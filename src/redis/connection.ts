import { Redis } from 'ioredis';

export type RedisClient = Redis;

export function createRedis(url: string): Redis {
  return new Redis(url, {
    // Many concurrent requests each sending one EVALSHA are coalesced into one write per tick:
    // this is most of the hot path's throughput.
    enableAutoPipelining: true,
    maxRetriesPerRequest: 2,
    lazyConnect: false,
  });
}
