// Every error a client can receive: a stable code, its HTTP status and a default message.
// Like fastify's lib/errors.js, codes never change meaning once published.

export const ERRORS = {
  invalid_request: { status: 400, message: 'The request is invalid' },
  invalid_json: { status: 400, message: 'The body is not valid JSON' },
  unauthorized: { status: 401, message: 'A valid admin token is required' },
  invalid_token: { status: 401, message: 'The access token is invalid, expired or revoked' },
  not_found: { status: 404, message: 'Not found' },
  room_not_found: { status: 404, message: 'No such room' },
  ticket_not_found: { status: 404, message: 'No such ticket in this room' },
  room_exists: { status: 409, message: 'A room with this id already exists' },
  campaign_not_found: { status: 404, message: 'No such campaign' },
  claim_not_found: { status: 404, message: 'No such claim' },
  campaign_exists: { status: 409, message: 'A campaign with this id already exists' },
  already_claimed: { status: 409, message: 'This user already holds the most claims allowed' },
  already_redeemed: { status: 409, message: 'This claim was already redeemed' },
  claim_pending: { status: 409, message: 'This claim is not confirmed yet; try again in a few seconds' },
  sold_out: { status: 410, message: 'Sold out' },
  closed: { status: 410, message: 'The campaign is closed' },
  not_open: { status: 425, message: 'The campaign is not open yet' },
  not_admitted: { status: 403, message: "A valid access token of the campaign's waiting room is required" },
  invalid_api_key: { status: 401, message: 'A valid X-Api-Key is required' },
  rebuilding: { status: 503, message: 'The campaign is being restored; retry shortly' },
  extension_limit: { status: 409, message: 'The session cannot be extended any more' },
  session_not_active: { status: 409, message: 'The session is not active' },
  payload_too_large: { status: 413, message: 'The body is too large' },
  unsupported_media_type: { status: 415, message: 'Send the body as application/json' },
  rate_limited: { status: 429, message: 'Too many requests' },
  internal_error: { status: 500, message: 'Something went wrong on our side' },
  unavailable: { status: 503, message: 'The service is not ready' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }

  /** The body clients get: `{"error":{"code","message",...details}}`. */
  body() {
    return errorBody(this.code, this.message, this.details);
  }
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...details } };
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
