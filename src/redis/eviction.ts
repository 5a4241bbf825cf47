// Floodgate keeps decisions in Redis (queues, stock, seats, the logs not yet committed): a Redis
// that evicts keys when it is full would drop them one by one, which the rebuilds (made for a
// Redis that lost everything) do not all notice. Operators are told at start-up.
import type { Redis } from 'ioredis';
import { masters, type RedisClient } from './client.js';

/** A server whose settings let it evict keys, or whose settings could not be read. */
export type EvictionFinding =
  | { server: string; kind: 'evicts'; policy: string; maxmemoryBytes: number }
  | { server: string; kind: 'unknown'; reason: string };

async function checkServer(node: Redis): Promise<EvictionFinding | null> {
  const server = `${node.options.host ?? '?'}:${node.options.port ?? '?'}`;
  try {
    const [policyReply, maxmemoryReply] = await Promise.all([
      node.call('CONFIG', 'GET', 'maxmemory-policy'),
      node.call('CONFIG', 'GET', 'maxmemory'),
    ]);
    const policy = String((policyReply as unknown[])[1] ?? '');
    const maxmemoryBytes = Number((maxmemoryReply as unknown[])[1] ?? 0);
    // Without a memory limit (0) nothing is evicted, whatever the policy says.
    if (policy === 'noeviction' || maxmemoryBytes === 0) return null;
    return { server, kind: 'evicts', policy, maxmemoryBytes };
  } catch (err) {
    // Managed services often rename or forbid CONFIG.
    return { server, kind: 'unknown', reason: (err as Error).message.slice(0, 200) };
  }
}

/** Every master whose settings let it evict Floodgate's keys (or cannot be read); empty when none can. */
export async function evictionFindings(client: RedisClient): Promise<EvictionFinding[]> {
  const found = await Promise.all((await masters(client)).map(checkServer));
  return found.filter((f) => f !== null);
}
