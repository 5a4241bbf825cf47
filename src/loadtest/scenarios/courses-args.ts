// The courses scenario as `floodgate loadtest --scenario courses` knows it (scenario-list.ts).
import { integerOption, numberOption } from '../../cli/args.js';
import { UsageError } from '../../cli/errors.js';
import { type ScenarioDefinition, stringValue } from '../scenario-definition.js';
import { coursesScenario } from './courses.js';

function ms(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!match) throw new UsageError(`--group-gap: expected a duration like 2s or 500ms, got "${text}"`);
  return Number(match[1]) * (match[2] === 'ms' ? 1 : match[2] === 's' ? 1000 : 60_000);
}

export const coursesDefinition: ScenarioDefinition = {
  name: 'courses',
  options: {
    students: { type: 'string' },
    courses: { type: 'string' },
    groups: { type: 'string' },
    'group-gap': { type: 'string' },
    'early-share': { type: 'string' },
    'max-credits': { type: 'string' },
    'p99-goal-ms': { type: 'string' },
  },
  needsAdminToken: true,
  prepare: (values, admin, databaseUrl) =>
    coursesScenario(admin, {
      students: integerOption('students', stringValue(values, 'students'), 18_000, 1, 10_000_000),
      courses: integerOption('courses', stringValue(values, 'courses'), 300, 1, 5_000),
      groups: integerOption('groups', stringValue(values, 'groups'), 3, 1, 100),
      groupGapMs: ms(stringValue(values, 'group-gap') ?? '2s'),
      earlyShare: numberOption('early-share', stringValue(values, 'early-share'), 0.02, 0, 1),
      maxCredits: integerOption('max-credits', stringValue(values, 'max-credits'), 18, 1, 1_000),
      p99GoalMs: numberOption('p99-goal-ms', stringValue(values, 'p99-goal-ms'), 2_000, 0, 3_600_000),
      ...(databaseUrl ? { databaseUrl } : {}),
    }),
};
