import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

export type ScriptArg = string | number;

/** Told about every script call made on a client: name, seconds, and whether it failed. */
export type ScriptObserver = (name: string, seconds: number, failed: boolean) => void;
const observers = new WeakMap<Redis, ScriptObserver>();

/** Observes the script calls made through one Redis client (metrics). */
export function observeScripts(redis: Redis, observer: ScriptObserver): void {
  observers.set(redis, observer);
}

/**
 * One Lua script file, named `<name>-<numberOfKeys>.lua` as in BullMQ, so the key count is checked
 * where the script is called. Runs by EVALSHA and falls back to EVAL once after a Redis restart
 * (NOSCRIPT), which also loads it for the next call.
 */
export class Script {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly lua: string,
    readonly numberOfKeys: number,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  static load(dir: URL, file: string): Script {
    const match = /^(.+)-(\d+)\.lua$/.exec(file);
    if (!match) throw new Error(`Lua script ${file} must be named <name>-<numberOfKeys>.lua`);
    return new Script(match[1]!, readFileSync(new URL(file, dir), 'utf8'), Number(match[2]));
  }

  async run(redis: Redis, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (keys.length !== this.numberOfKeys) {
      throw new Error(`${this.name} takes ${this.numberOfKeys} keys, got ${keys.length}`);
    }
    const observer = observers.get(redis);
    const started = observer ? performance.now() : 0;
    let failed = false;
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) {
        failed = true;
        throw err;
      }
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    } finally {
      observer?.(this.name, (performance.now() - started) / 1000, failed);
    }
  }
}
