import type { AdminClient } from './admin-client.js';
import type { PreparedScenario } from './scenarios.js';

/** The options of a command line, as parsed (strings and flags). */
export type OptionValues = Readonly<Record<string, string | boolean | undefined>>;

/**
 * A built-in load scenario as `floodgate loadtest --scenario <name>` knows it: its own options
 * (the command refuses them for another scenario) and how it is set up on the target (its usage
 * lines are in usage.ts, which `floodgate --help` reads without loading the scenarios). Each capability's scenarios live next to each other in src/loadtest/scenarios/; the list
 * is src/loadtest/scenario-list.ts.
 */
export interface ScenarioDefinition {
  readonly name: string;
  /** Options only this scenario reads (names without the dashes). */
  readonly options: Readonly<Record<string, { type: 'string' } | { type: 'boolean' }>>;
  /** Whether it sets up or reads its target with the admin token. */
  readonly needsAdminToken: boolean;
  /** Whether its prepared scenario has a warm-up (Scenario.warmup, `--warmup`). */
  readonly warmup?: boolean;
  /** Checks its options (UsageError) and sets it up on the target. */
  prepare(values: OptionValues, admin: AdminClient, databaseUrl: string | undefined, target: string): Promise<PreparedScenario>;
}

/** A string option's value (undefined when absent). */
export function stringValue(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}
