import { readFileSync } from 'node:fs';
import { firstLine, UsageError } from '../cli/errors.js';
import { check } from './audit.js';
import type { PreparedScenario } from './scenarios.js';

interface Step {
  kind?: string;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Status codes that count as success (default: below 400). */
  expect?: number[];
  /** Pause before the next step (ms). */
  thinkMs?: number;
}

/** "{i}" becomes the arrival number and "{user}" a user id unique to the run, in strings and bodies. */
function fill<T>(value: T, i: number, run: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll('{i}', String(i)).replaceAll('{user}', `lt-${run}-${i}`)) as T;
}

/**
 * A custom flow from a JSON file: `{"steps": [{"method": "POST", "path": "/v1/rooms/demo/tickets",
 * "body": {"userId": "{user}"}, "expect": [200, 201]}, ...]}`. Each arrival runs the steps in order.
 * Its audit checks that every step answered as expected.
 */
export function fileScenario(file: string): PreparedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as { code?: string }).code === 'ENOENT' ? 'no such file' : firstLine(err);
    throw new UsageError(`--scenario "${file}": ${why} (a scenario is waiting-room, claims, or a JSON file of steps)`);
  }
  let steps: Step[] | undefined;
  try {
    steps = (JSON.parse(text) as { steps?: Step[] } | null)?.steps;
  } catch (err) {
    throw new UsageError(`--scenario "${file}" is not valid JSON: ${firstLine(err)}`);
  }
  if (!Array.isArray(steps) || steps.length === 0) throw new UsageError(`--scenario "${file}": expected {"steps": [...]}`);
  const run = Math.random().toString(36).slice(2, 8);
  let unexpected = 0;
  let total = 0;
  return {
    name: `file:${file}`,
    created: [],
    describe: () => ({ file, steps: steps.length }),
    async arrival(i, flow, scheduledAt) {
      for (const [n, step] of steps.entries()) {
        const expect = step.expect ?? null;
        const reply = await flow.request(
          step.kind ?? `${step.method} ${step.path}`,
          {
            method: step.method,
            path: fill(step.path, i, run),
            body: step.body === undefined ? undefined : fill(step.body, i, run),
            headers: step.headers,
          },
          n === 0 ? scheduledAt : undefined,
          (status) => (expect ? expect.includes(status) : status < 400),
        );
        total++;
        if (reply.status === 'error' || (expect ? !expect.includes(reply.status) : reply.status >= 400)) unexpected++;
        if (step.thinkMs && !(await flow.sleep(step.thinkMs))) return;
      }
    },
    async audit() {
      return [check('every step answered as expected', unexpected === 0, `${unexpected} of ${total} answers unexpected`)];
    },
  };
}
