import ipaddr from 'ipaddr.js';

// What a well-formed identifier and user id are: one definition, used by the JSON schemas of every
// route, by the request shortcuts' path matchers, and by the SQL CHECKs (src/db/migrate.ts writes
// them into the migrations where they say {{ID_CHECK:column}} or {{USER_ID_CHECK:column}}).

/** Ids chosen by operators (rooms, campaigns, shows, terms…): letters, digits, "_" and "-". */
const ID_CHARS = 'A-Za-z0-9_-';
const ID_MAX = 64;
export const ID_PATTERN = `^[${ID_CHARS}]{1,${ID_MAX}}$`;
/** The same rule as one path segment, for route matchers. */
export const ID_SEGMENT = `[${ID_CHARS}]{1,${ID_MAX}}`;

/**
 * User ids come from clients and partners, in any script, up to 128 code points; never a control
 * character (C0, DEL, C1), which would be invisible in logs and refused or mangled downstream
 * (PostgreSQL refuses U+0000 outright). Well-formedness (no lone surrogate) is checked where
 * bodies are decoded (src/http/json-body.ts), before any schema runs.
 */
const USER_ID_FORBIDDEN = '\\u0000-\\u001f\\u007f-\\u009f';
export const USER_ID_MAX = 128;
export const USER_ID_PATTERN = `^[^${USER_ID_FORBIDDEN}]{1,${USER_ID_MAX}}$`;

/**
 * Public ticket ids: `<ticketNo>.<MAC>` in their one canonical form (waiting-room/ticket-id.ts).
 * Routes accept any short string here and answer 404 for what is not a ticket; the shortcuts take
 * only the canonical form.
 */
export const TICKET_NO_SEGMENT = '[1-9][0-9]{0,14}';
export const TICKET_MAC_SEGMENT = '[A-Za-z0-9_-]{22}';
export const TICKET_ID_SEGMENT = `${TICKET_NO_SEGMENT}\\.${TICKET_MAC_SEGMENT}`;

/** The pattern of each named path parameter, shared by the routes' schemas and the shortcuts. */
export const PATH_PARAMETERS: Readonly<Record<string, string>> = {
  roomId: ID_SEGMENT,
  campaignId: ID_SEGMENT,
  showId: ID_SEGMENT,
  ticketId: TICKET_ID_SEGMENT,
  termId: ID_SEGMENT,
  /** Course requests' ids in their canonical form (courses/request-ids.ts); routes take any short string. */
  requestId: '[1-9][0-9]{0,14}\\.[A-Za-z0-9_-]{22}',
};

export const idSchema = { type: 'string', pattern: ID_PATTERN } as const;
export const userIdSchema = { type: 'string', pattern: USER_ID_PATTERN, minLength: 1, maxLength: USER_ID_MAX } as const;

/**
 * Free text that people read (names, reasons): any character but the control characters, except
 * tab and line breaks where a schema allows several lines.
 */
export const TEXT_PATTERN = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
export function textSchema(maxLength: number, minLength = 0) {
  return { type: 'string', pattern: TEXT_PATTERN, minLength, maxLength } as const;
}

/** http(s) URLs as operators give them (targetUrl, webhookUrl): printable ASCII only, as RFC 3986 has it. */
export const URL_PATTERN = '^https?://[\\u0021-\\u007e]+$';
export const urlSchema = { type: 'string', pattern: URL_PATTERN, maxLength: 2048 } as const;

/** A per-client token bucket, or null for none. */
export const clientRateSchema = {
  anyOf: [
    {
      type: 'object',
      properties: {
        perSecond: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        burst: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      },
      required: ['perSecond', 'burst'],
      additionalProperties: false,
    },
    { type: 'null' },
  ],
} as const;

/** `?archived=true` on the admin lists: archived entities instead of those in use. */
export const archivedQuery = {
  type: 'object',
  properties: { archived: { type: 'string', enum: ['true', 'false'] } },
  additionalProperties: false,
} as const;

/**
 * The same rules as SQL predicates on a column, for the migrations' CHECKs. Not the anchored
 * patterns above: PostgreSQL's regex engine spent ~11 µs per row on `^[^…]{1,128}$` and ~4 µs on
 * `^[…]{1,64}$` (a bounded repeat), and every claim, booking and student row pays its CHECK; a
 * search for one forbidden character and a length cost ~0.3 µs (measured on 1,000,000 rows).
 */
export const SQL_CHECKS: Readonly<Record<string, (column: string) => string>> = {
  ID_CHECK: (column) => `(${column} ~ '^[${ID_CHARS}]+$' AND char_length(${column}) <= ${ID_MAX})`,
  USER_ID_CHECK: (column) => `(${column} !~ '[${USER_ID_FORBIDDEN}]' AND char_length(${column}) BETWEEN 1 AND ${USER_ID_MAX})`,
};

/** The anchored patterns, which the first migrations named ({{ID_PATTERN}}); 040 replaced their CHECKs. */
export const SQL_PATTERNS: Readonly<Record<string, string>> = {
  ID_PATTERN,
  USER_ID_PATTERN,
};

/**
 * Webhooks are requests Floodgate makes on an operator's behalf: pointed at loopback, link-local
 * or private addresses they would reach what only the server can reach (its own admin API, a
 * cloud metadata service). They are refused unless FLOODGATE_WEBHOOK_ALLOW_PRIVATE=1: at
 * creation when the URL names such an address, and at delivery when a name resolves to one.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/** A problem with a webhook URL's destination as written (names are checked again at delivery), or null. */
export function webhookUrlProblem(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'webhookUrl must be an http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'webhookUrl must be an http(s) URL';
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost'))
    return 'webhookUrl may not point at this machine (set FLOODGATE_WEBHOOK_ALLOW_PRIVATE=1 to allow)';
  if (ipaddr.isValid(host) && !isPublicAddress(host)) {
    return 'webhookUrl may not point at a loopback, link-local or private address (set FLOODGATE_WEBHOOK_ALLOW_PRIVATE=1 to allow)';
  }
  return null;
}
