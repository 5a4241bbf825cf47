// A measurement's own process (load-worker.ts, seed-worker.ts): its input goes in as JSON on stdin,
// its result comes back as JSON on file descriptor 3, and its stdout and stderr are the bench's, so
// a worker may print what it measured as it goes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeSync } from 'node:fs';
import { text } from 'node:stream/consumers';

/** Runs `script` (a TypeScript file, through tsx) in a fresh process with `input`; resolves to its result. */
export async function runWorkerProcess<Result>(script: URL, input: unknown): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', script.pathname], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
  const result = text(child.stdio[3] as NodeJS.ReadableStream);
  child.stdin!.end(JSON.stringify(input));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${script.pathname} exited with ${code}`);
  return JSON.parse(await result) as Result;
}

/** In a worker: its input. */
export async function workerInput<Input>(): Promise<Input> {
  return JSON.parse(await text(process.stdin)) as Input;
}

/** In a worker: hands its result back and ends the process (keep-alive pools would hold it open). */
export function finishWorker(result: unknown): never {
  writeSync(3, JSON.stringify(result));
  process.exit(0);
}
