// The built-in scenarios of `floodgate loadtest`, by capability. A capability's load scenarios
// live in src/loadtest/scenarios/<capability>.ts and join with one line here.
import type { ScenarioDefinition } from './scenario-definition.js';
import { coursesDefinition } from './scenarios/courses-args.js';
import { seatsOneSeatDefinition, seatsOnSaleDefinition } from './scenarios/seats.js';
import { walletDefinition } from './scenarios/wallet.js';
import { claimsDefinition, waitingRoomDefinition } from './scenarios.js';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  waitingRoomDefinition,
  claimsDefinition,
  seatsOneSeatDefinition,
  seatsOnSaleDefinition,
  coursesDefinition,
  walletDefinition,
];
