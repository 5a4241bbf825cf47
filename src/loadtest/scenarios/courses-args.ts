// The courses scenario's command-line options (src/loadtest/command.ts spreads them in).
import type { AdminClient } from '../admin-client.js';
import type { PreparedScenario } from '../scenarios.js';
import { coursesScenario } from './courses.js';

export const COURSES_USAGE = `  courses:       --students 18000 --courses 300 --groups 3 --group-gap 2s --early-share 0.02 --max-credits 18
                 --p99-goal-ms 2000; --database-url for the audit (the record replayed through the rules)`;

export const COURSES_OPTIONS = {
  students: { type: 'string', default: '18000' },
  courses: { type: 'string', default: '300' },
  groups: { type: 'string', default: '3' },
  'group-gap': { type: 'string', default: '2s' },
  'early-share': { type: 'string', default: '0.02' },
  'max-credits': { type: 'string', default: '18' },
  'p99-goal-ms': { type: 'string', default: '2000' },
} as const;

function ms(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new Error(`--group-gap: expected a duration like 2s or 500ms, got "${text}"`);
  return Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000);
}

export function coursesFromArgs(
  admin: AdminClient,
  values: { [K in keyof typeof COURSES_OPTIONS]?: string },
  databaseUrl: string | undefined,
): Promise<PreparedScenario> {
  return coursesScenario(admin, {
    students: Number(values.students),
    courses: Number(values.courses),
    groups: Number(values.groups),
    groupGapMs: ms(values['group-gap']!),
    earlyShare: Number(values['early-share']),
    maxCredits: Number(values['max-credits']),
    p99GoalMs: Number(values['p99-goal-ms']),
    ...(databaseUrl ? { databaseUrl } : {}),
  });
}
