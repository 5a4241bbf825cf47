import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './client.js';

export type ScriptArg = string | number;

/** Told about every script call made on a client: name, seconds, and whether it failed. */
export type ScriptObserver = (name: string, seconds: number, failed: boolean) => void;
const observers = new WeakMap<RedisClient, ScriptObserver>();

/** Observes the script calls made through one Redis client (metrics). */
export function observeScripts(redis: RedisClient, observer: ScriptObserver): void {
  observers.set(redis, observer);
}

/** A script answered something its header does not document: a bug, never a user's doing. */
export class UnexpectedReply extends Error {
  constructor(script: string, detail: string) {
    super(`unexpected reply from ${script}: ${detail}`);
    this.name = 'UnexpectedReply';
  }
}

/**
 * Reads a raw script reply: each accessor checks the shape it expects and throws UnexpectedReply
 * otherwise. Decoders are written with it instead of casts.
 */
export class Reply {
  constructor(
    private readonly script: string,
    readonly raw: unknown,
  ) {}

  private fail(what: string, value: unknown): never {
    throw new UnexpectedReply(this.script, `${what} expected, got ${JSON.stringify(value)?.slice(0, 120)}`);
  }

  /** The reply as a list of replies. */
  list(value: unknown = this.raw): Reply[] {
    if (!Array.isArray(value)) this.fail('an array', value);
    return (value as unknown[]).map((item) => new Reply(this.script, item));
  }

  int(value: unknown = this.raw): number {
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) this.fail('an integer', value);
    return n as number;
  }

  str(value: unknown = this.raw): string {
    if (typeof value === 'string') return value;
    if (Buffer.isBuffer(value)) return value.toString('utf8');
    if (typeof value === 'number') return String(value);
    return this.fail('a string', value);
  }

  /** Element i as a Reply (missing elements fail). */
  at(i: number): Reply {
    // Reads the one element: decoders call at() for each field of every decision in a batch, and
    // wrapping the whole list each time allocated a Reply per element per field.
    if (!Array.isArray(this.raw)) this.fail('an array', this.raw);
    const items = this.raw as unknown[];
    if (i >= items.length) this.fail(`at least ${i + 1} elements`, this.raw);
    return new Reply(this.script, items[i]);
  }

  /**
   * The integer status code a reply starts with (a bare integer, or a list's first element when
   * it is an integer); null when the reply starts with anything else (a list of results).
   */
  code(): number | null {
    const first = Array.isArray(this.raw) ? this.raw[0] : this.raw;
    return typeof first === 'number' && Number.isSafeInteger(first) ? first : null;
  }

  /** Fails for a code the header does not document. */
  unknownCode(): never {
    return this.fail('a documented code', this.raw);
  }
}

/**
 * One Lua script file, named `<name>-<numberOfKeys>.lua` as in BullMQ, so the key count is checked
 * where the script is called, with the decoder of its reply next to it: callers get typed results
 * with named codes, never raw arrays. Runs by EVALSHA and falls back to EVAL after a Redis restart
 * or a failover to a replica that never saw the script (NOSCRIPT), which also loads it there.
 */
export class Script<Result> {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly lua: string,
    readonly numberOfKeys: number,
    private readonly decode: (reply: Reply) => Result,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  static load<Result>(dir: URL, file: string, decode: (reply: Reply) => Result): Script<Result> {
    const match = /^(.+)-(\d+)\.lua$/.exec(file);
    if (!match) throw new Error(`Lua script ${file} must be named <name>-<numberOfKeys>.lua`);
    return new Script(match[1]!, readFileSync(new URL(file, dir), 'utf8'), Number(match[2]), decode);
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly ScriptArg[]): Promise<Result> {
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    }
    const observer = observers.get(redis);
    const started = observer ? performance.now() : 0;
    let failed = false;
    let raw: unknown;
    try {
      raw = await redis.evalsha(this.sha, keys.length, ...keys, ...args).catch((err: unknown) => {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(this.lua, keys.length, ...keys, ...args);
        throw err;
      });
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      observer?.(this.name, (performance.now() - started) / 1000, failed);
    }
    return this.decode(new Reply(this.name, raw));
  }
}
