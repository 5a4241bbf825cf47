// The one place where errors become HTTP: each kind of domain error has its status here, and the
// errors only HTTP can have (a body too large, a wrong content type) have their code, status and
// message here. Capabilities declare their codes and messages (their errors.ts) and never see a
// status; the routes' error handler and the request shortcuts both answer through answerError().
import { COMMON_ERRORS, type DomainError, type ErrorCatalogue, type ErrorKind, type ErrorSpec, InvalidRequest } from '../errors.js';

export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  too_early: 425,
  rate_limited: 429,
  unavailable: 503,
};

/** Errors of the HTTP layer itself: framing, parsing, routing, lifecycle. */
export const HTTP_ERRORS = {
  invalid_json: { status: 400, message: 'The body is not valid JSON' },
  invalid_encoding: { status: 400, message: 'The request contains text that is not well-formed Unicode, or control characters' },
  method_not_allowed: { status: 405, message: 'This method is not allowed here' },
  request_timeout: { status: 408, message: 'The request was not received in time' },
  payload_too_large: { status: 413, message: 'The body is too large' },
  uri_too_long: { status: 414, message: 'The URL is too long' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json' },
  header_fields_too_large: { status: 431, message: 'The request headers are too large' },
  malformed_request: { status: 400, message: 'The request is not well-formed HTTP' },
  too_many_connections: { status: 503, message: 'Too many open connections; retry shortly' },
  unavailable: { status: 503, message: 'The service is not ready' },
  internal_error: { status: 500, message: 'Something went wrong on our side' },
} as const satisfies Record<string, { status: number; message: string }>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export interface ErrorAnswer {
  status: number;
  body: { error: { code: string; message: string; [detail: string]: unknown } };
  headers: Record<string, string>;
}

export function errorBody(code: string, message: string, details?: Readonly<Record<string, unknown>>) {
  return { error: { ...details, code, message } };
}

/**
 * Every code a client can receive, with its status and message: the common codes, each
 * capability's, and the HTTP layer's. Built once at start; a code declared twice with different
 * meanings stops the start.
 */
export class ErrorTable {
  private readonly specs = new Map<string, ErrorSpec & { status: number }>();

  constructor(catalogues: readonly ErrorCatalogue[]) {
    for (const [code, spec] of Object.entries(HTTP_ERRORS)) this.specs.set(code, { kind: 'invalid', ...spec });
    const all: ErrorCatalogue[] = [COMMON_ERRORS, ...catalogues];
    for (const catalogue of all) {
      for (const [code, spec] of Object.entries(catalogue)) {
        const existing = this.specs.get(code);
        if (existing && (existing.kind !== spec.kind || existing.message !== spec.message)) {
          throw new Error(`error code "${code}" is declared twice with different meanings`);
        }
        this.specs.set(code, { ...spec, status: STATUS_OF_KIND[spec.kind] });
      }
    }
  }

  /** The answer to a domain error (or an HTTP-layer code). */
  answer(code: string, details?: Readonly<Record<string, unknown>>, message?: string): ErrorAnswer {
    const spec = this.specs.get(code);
    if (!spec) throw new Error(`error code "${code}" is not declared`);
    const headers: Record<string, string> = spec.retryAfterSeconds ? { 'retry-after': String(spec.retryAfterSeconds) } : {};
    return { status: spec.status, body: errorBody(code, message ?? spec.message, details), headers };
  }

  forDomainError(error: DomainError): ErrorAnswer {
    const answer = this.answer(error.code, error.details, error instanceof InvalidRequest ? error.problem : undefined);
    if (error.retry) answer.headers['retry-after'] = String(error.retry.retryAfterSeconds);
    return answer;
  }

  /** Every code with its status and message, for the documentation. */
  list(): Array<{ code: string; status: number; message: string }> {
    return [...this.specs].map(([code, { status, message }]) => ({ code, status, message })).sort((a, b) => a.code.localeCompare(b.code));
  }
}

/** JSON schema of the error body, for the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
      additionalProperties: true,
    },
  },
  required: ['error'],
} as const;

/** Response schemas shared by every route: any 4xx or 5xx is the error body. */
export const errorResponses = {
  '4xx': errorSchema,
  '5xx': errorSchema,
} as const;
