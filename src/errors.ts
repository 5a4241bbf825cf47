// Errors as the domain speaks of them: a stable code, the kind of failure it is, and the message
// people read. Each capability declares its own codes (its errors.ts) and throws or returns them;
// none knows HTTP. src/http/errors.ts turns a kind into a status, in one table, for every code.
// Like fastify's lib/errors.js, a published code never changes meaning.

/** What went wrong, in terms any transport can map (HTTP statuses live in src/http/errors.ts). */
export type ErrorKind =
  | 'invalid' // the request is malformed or breaks a rule of its own
  | 'unauthenticated' // no, or no valid, credentials
  | 'forbidden' // valid credentials that do not grant this
  | 'not_found'
  | 'conflict' // the state of the thing forbids it now
  | 'gone' // it will never succeed again (sold out, closed)
  | 'too_early' // it will, later (not open yet)
  | 'rate_limited'
  | 'unavailable'; // a dependency or a rebuild: retry shortly

export interface ErrorSpec {
  readonly kind: ErrorKind;
  readonly message: string;
  /** Sent as Retry-After with every answer of this code. */
  readonly retryAfterSeconds?: number;
}

export type ErrorCatalogue = Readonly<Record<string, ErrorSpec>>;

/** Declares a capability's codes, keeping their names as a type. */
export function defineErrors<const T extends ErrorCatalogue>(codes: T): T {
  return codes;
}

/**
 * An expected failure, thrown where a value would be awkward to return (deep in a route). The code
 * says what happened, and its message is the one its catalogue declares; `details` are extra
 * fields of the answer (e.g. the seats that were taken, or `reason`).
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    readonly details?: Readonly<Record<string, unknown>>,
    /** When to retry, where it depends on the occurrence (a rate limit's bucket). */
    readonly retry?: { retryAfterSeconds: number },
  ) {
    super(code);
    this.name = 'DomainError';
  }
}

/** A request that breaks a rule the schema cannot express: the message says which (`invalid_request`). */
export class InvalidRequest extends DomainError<'invalid_request'> {
  constructor(readonly problem: string) {
    super('invalid_request');
    this.name = 'InvalidRequest';
  }
}

/** Codes every capability may use: input, identity and dependencies. */
export const COMMON_ERRORS = defineErrors({
  invalid_request: { kind: 'invalid', message: 'The request is invalid' },
  not_found: { kind: 'not_found', message: 'Not found' },
  unauthorized: { kind: 'unauthenticated', message: 'A valid admin token is required' },
  invalid_metrics_token: { kind: 'unauthenticated', message: 'A valid metrics token is required (FLOODGATE_METRICS_TOKEN)' },
  admin_api_disabled: { kind: 'unauthenticated', message: 'The admin API is disabled: set FLOODGATE_ADMIN_TOKEN' },
  invalid_api_key: { kind: 'unauthenticated', message: 'A valid X-Api-Key is required' },
  invalid_token: { kind: 'unauthenticated', message: 'The access token is invalid, expired or revoked' },
  not_admitted: { kind: 'forbidden', message: 'A valid access token of this waiting room is required' },
  rate_limited: { kind: 'rate_limited', message: 'Too many requests; slow down', retryAfterSeconds: 1 },
  dependency_unavailable: { kind: 'unavailable', message: 'A dependency is unavailable; retry shortly', retryAfterSeconds: 1 },
});

export type CommonErrorCode = keyof typeof COMMON_ERRORS;
