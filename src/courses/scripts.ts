// The term's Lua scripts, each with the decoder of its reply (its header documents it).
import type { RedisClient } from '../redis/client.js';
import { type Reply, Script } from '../redis/script.js';
import { termKeys } from './keys.js';

const dir = new URL('./lua/', import.meta.url);

/** The term's counters are not in Redis (lost): restore them first; nothing was accepted. */
export const STATE_MISSING = { kind: 'state_missing' } as const;
export type StateMissing = typeof STATE_MISSING;

export interface Enqueued {
  seq: number;
  logId: string;
}
export type EnqueueBatch = StateMissing | { kind: 'accepted'; decided: number; entries: Enqueued[] };

const enqueue = Script.load(dir, 'enqueue-2.lua', (reply): EnqueueBatch => {
  switch (reply.code()) {
    case -1:
      return STATE_MISSING;
    case 1: {
      const items = reply.list();
      const entries: Enqueued[] = [];
      for (let i = 2; i + 1 < items.length; i += 2) entries.push({ seq: items[i]!.int(), logId: items[i + 1]!.str() });
      return { kind: 'accepted', decided: reply.at(1).int(), entries };
    }
    default:
      return reply.unknownCode();
  }
});

const publish = Script.load(dir, 'publish-2.lua', (reply: Reply) => {
  if (reply.int() !== 1) reply.unknownCode();
});

const restore = Script.load(dir, 'restore-2.lua', (reply) => {
  const code = reply.int();
  if (code !== 0 && code !== 1) reply.unknownCode();
  return code === 1;
});

/** The term scripts bound to a client. */
export class TermScripts {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Accepts encoded entries to one term, in order (log-entry.ts encodes them). */
  async enqueue(termId: string, contents: readonly string[]): Promise<EnqueueBatch> {
    const k = termKeys(this.prefix, termId);
    const batch = await enqueue.run(this.redis, [k.st, k.log], contents);
    if (batch.kind === 'accepted' && batch.entries.length !== contents.length) {
      throw new Error(`enqueue-2 accepted ${batch.entries.length} of ${contents.length}`);
    }
    return batch;
  }

  /** Publishes committed decisions: results by seq, and how far the term is decided. */
  publish(termId: string, decided: number, results: ReadonlyArray<{ seq: number; json: string }>): Promise<void> {
    const k = termKeys(this.prefix, termId);
    return publish.run(this.redis, [k.st, k.res], [decided, ...results.flatMap((r) => [r.seq, r.json])]);
  }

  /** Writes restored counters and opens the term again, if `leaseToken` still holds the restore lease. */
  restore(termId: string, leaseToken: string, seqFloor: number, decided: number): Promise<boolean> {
    const k = termKeys(this.prefix, termId);
    return restore.run(this.redis, [k.st, k.rebuild], [leaseToken, seqFloor, decided]);
  }
}
