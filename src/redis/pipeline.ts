import type { ChainableCommander } from 'ioredis';

/**
 * Runs a pipeline and returns each command's result, or throws the first command's error.
 * ioredis's own exec() resolves even when the connection is gone, with an error per command: code
 * that only awaits it would carry on as if the writes had landed (and, say, trim a log it failed
 * to copy).
 */
export async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = await pipeline.exec();
  if (!replies) throw new Error('Redis pipeline was discarded');
  const failed = replies.find(([err]) => err);
  if (failed) throw failed[0];
  return replies.map(([, result]) => result);
}
