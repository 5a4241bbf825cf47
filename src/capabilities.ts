// The capabilities an instance runs, in the order they are created (the waiting room provides the
// access gate's sessions before the capabilities behind rooms use it). Adding a capability is a
// new folder and one line here.
import type { CapabilityDefinition } from './capability.js';
import { claims } from './claims/definition.js';
import { courses } from './courses/definition.js';
import { outbox } from './outbox/definition.js';
import { partners } from './partners/definition.js';
import { seats } from './seats/definition.js';
import { waitingRoom } from './waiting-room/definition.js';
import { wallet } from './wallet/definition.js';

export const CAPABILITIES: readonly CapabilityDefinition[] = [partners, outbox, waitingRoom, claims, seats, courses, wallet];
