// The capability contract. A capability (waiting room, claims, seats, …) is a folder that exports
// one CapabilityDefinition: given the shared infrastructure it yields its routes, request
// shortcuts, background loops, gauges, error codes and its own shutdown. The composition root
// (src/capabilities.ts lists them; src/app-context.ts opens them) loops over the list: adding a
// capability is a new folder plus one line there. A capability imports shared modules (redis/,
// db/, durable/, tokens/, errors.ts, input-rules.ts…) but never another capability, nor http/.
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Pool } from './db/pool.js';
import type { ErrorCatalogue } from './errors.js';
import type { ClientLimiter } from './limits/client-limiter.js';
import type { Metrics } from './metrics/metrics.js';
import type { OutboxPort } from './outbox/port.js';
import type { ApiKeys } from './partners/api-keys.js';
import type { RedisClient } from './redis/client.js';
import type { AccessGate } from './tokens/access-gate.js';
import type { AdminAuth } from './tokens/admin-token.js';

/** What every capability is built from: connections, time, observability and the shared ports. */
export interface Infrastructure {
  readonly config: Config;
  readonly redis: RedisClient;
  /** Key prefix of every Redis key (FLOODGATE_REDIS_PREFIX). */
  readonly prefix: string;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly log: FastifyBaseLogger;
  readonly metrics: Metrics;
  /** "This request carries a live access token of room R": rooms issue them, others check them. */
  readonly access: AccessGate;
  /** Partners' API keys, checked in memory (capabilities use its PartnerKeys side; the partners capability manages them). */
  readonly partners: ApiKeys;
  /** Webhooks written in the same transaction as the facts they announce. */
  readonly outbox: OutboxPort;
  /** The operator's credential (FLOODGATE_ADMIN_TOKEN): a hook for admin routes, and a check. */
  readonly admin: AdminAuth;
  /** Per-client token buckets of public requests, in this instance's memory. */
  readonly limits: ClientLimiter;
  /** A random secret shared by every instance, created on first use (HMAC keys of public ids). */
  secret(name: string): Promise<Buffer>;
}

/** A periodic step every instance runs (src/background.ts): it must be safe to run concurrently. */
export interface Loop {
  readonly name: string;
  readonly everyMs: number;
  step(): Promise<unknown>;
}

/** A request a shortcut does not take is handed, untouched, to the Fastify route. */
export const PASS: unique symbol = Symbol('pass to the route');

/** The client's address (the forwarded one behind a trusted proxy) and whether it came over https. */
export interface ClientInfo {
  readonly ip: string;
  readonly secure: boolean;
}

/** The client of a routed request: Fastify applies the same trusted-proxy rule (trustProxy) as the shortcuts. */
export function clientOf(request: FastifyRequest): ClientInfo {
  return { ip: request.ip, secure: request.protocol === 'https' };
}

export interface ShortcutRequest {
  /** Path parameters, matched by the shared patterns of src/input-rules.ts. */
  readonly params: Readonly<Record<string, string>>;
  readonly headers: IncomingHttpHeaders;
  readonly client: ClientInfo;
  /** The parsed JSON body, already valid against `bodySchema`; undefined without one. */
  readonly body: unknown;
}

export interface ShortcutAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A request answered straight from node:http, before Fastify routes it: for the few requests a
 * surge is made of, where the framework's per-request work is a large share of the cost. The
 * Fastify route with the same method and template stays the endpoint's definition and answers
 * whatever the shortcut passes on; a parity test runs the same cases through both.
 */
export interface Shortcut {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** The route's template, exactly as given to Fastify (`/v1/rooms/:roomId/tickets/:ticketId`). */
  readonly route: string;
  /**
   * Whether running it twice is harmless. An idempotent shortcut hands every failure to the route,
   * which runs it again and answers; a non-idempotent one answers its failures itself once it may
   * have decided something (DomainErrors through the error table, like the route would).
   */
  readonly idempotent: boolean;
  /** The route's body schema: a body it rejects goes to the route (which answers the 400). Absent: no body. */
  readonly bodySchema?: object;
  handle(request: ShortcutRequest): ShortcutAnswer | typeof PASS | Promise<ShortcutAnswer | typeof PASS>;
}

/**
 * One entity's figures at one instant, for the operators' short history (src/history/): every
 * instance samples every second, and the dashboard charts the last 15 minutes.
 */
export interface EntitySample {
  /** What the entity is (`room`, `campaign`): with `entity`, it names the history. */
  readonly kind: string;
  /** The entity's id (an operator-chosen id, src/input-rules.ts). */
  readonly entity: string;
  /**
   * Figures every instance reads alike (from Redis): waiting, claimed… One reading stands for the
   * second, whichever instance took it. Null: not known now (the entity is being restored).
   */
  readonly values?: Readonly<Record<string, number | null>>;
  /**
   * This instance's own running totals (its Prometheus counters, since it started): the history
   * keeps their increase per second, summed over every instance.
   */
  readonly counts?: Readonly<Record<string, number>>;
  /** This instance's own distributions (Prometheus histograms): merged bucket by bucket over instances, read as percentiles. */
  readonly distributions?: Readonly<Record<string, Distribution>>;
}

/** A histogram as Prometheus holds it: observations at or below each upper bound (the last is +Infinity), since start. */
export interface Distribution {
  readonly buckets: ReadonlyArray<{ readonly le: number; readonly count: number }>;
}

/** What a capability yields once created. */
export interface Capability {
  /** Registers its routes (and their schemas) on the app. */
  routes(app: FastifyInstance): void;
  readonly shortcuts?: readonly Shortcut[];
  readonly loops?: readonly Loop[];
  /** Refreshes the gauges that are read at scrape time. */
  gauges?(): Promise<void>;
  /**
   * Its entities' figures now, for the short history (src/history/), asked once a second. With
   * `shared` false another instance reads the shared `values` this second: give only this
   * instance's `counts` and `distributions` (from memory, no I/O).
   */
  samples?(wanted: { shared: boolean }): Promise<readonly EntitySample[]>;
  /** Flushes its writers and stops its timers; called after the server stopped taking requests. */
  close?(): Promise<void>;
}

export interface CapabilityDefinition<C extends Capability = Capability> {
  readonly name: string;
  /** Its error codes: part of its published contract. */
  readonly errors: ErrorCatalogue;
  create(infra: Infrastructure): Promise<C>;
}

/** Declares a capability, keeping the type of what it yields (tests reach into it). */
export function defineCapability<C extends Capability>(definition: CapabilityDefinition<C>): CapabilityDefinition<C> {
  return definition;
}
