// The CLI's two kinds of failure, and how any error becomes one line for a person to read.
//  - UsageError: the command line is wrong (unknown option, missing value, bad number): the line,
//    then the command's usage; exit status 2.
//  - OperationalError: the command line is right but the world is not (a dependency unreachable,
//    a port in use, a bad configuration): one line naming what and where; exit status 1.
// Neither carries a stack trace to the user: `--verbose` prints it.

export class UsageError extends Error {}

export class OperationalError extends Error {}

/** The URL without its password (user, host, port and path stay: they say where). */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '(an invalid URL)';
  }
  if (url.password) url.password = '***';
  return url.toString();
}

/** The password of a URL, if any: a secret to strip from anything printed. */
export function urlPassword(raw: string | undefined): string | null {
  if (!raw) return null;
  try {
    const password = decodeURIComponent(new URL(raw).password);
    return password || null;
  } catch {
    return null;
  }
}

/** `text` with every occurrence of each secret replaced (a message or a stack never shows one). */
export function withoutSecrets(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) result = result.replaceAll(secret, '***');
  }
  return result;
}

/** The parts of a Node or driver error that say what happened on the network. */
interface NetworkFailure {
  code?: string;
  message?: string;
  errors?: unknown[];
}

/** What went wrong reaching a server, in a few words ("connection refused"), or null if it is not a network failure. */
export function networkCause(err: unknown): string | null {
  const failure = err as NetworkFailure | null;
  if (!failure || typeof failure !== 'object') return null;
  // AggregateError (Happy Eyeballs: one attempt per address) carries the causes.
  if (!failure.code && Array.isArray(failure.errors) && failure.errors.length > 0) return networkCause(failure.errors[0]);
  switch (failure.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
  }
  const message = failure.message ?? '';
  if (/timeout exceeded when trying to connect|Connection terminated due to connection timeout/i.test(message)) {
    return 'no answer within the connection timeout';
  }
  if (/Connection terminated unexpectedly/i.test(message)) return 'connection closed by the server';
  return null;
}

/**
 * One line about a failure to reach or use PostgreSQL at `url` (already without its password), or
 * null if `err` is not about the database connection.
 */
export function postgresFailure(err: unknown, url: string): string | null {
  const cause = networkCause(err);
  if (cause) return `cannot reach PostgreSQL at ${url}: ${cause}`;
  const failure = err as { code?: string; message?: string } | null;
  switch (failure?.code) {
    case '28P01':
    case '28000':
      return `PostgreSQL at ${url} refused the credentials: ${failure.message}`;
    case '3D000':
      return `PostgreSQL at ${url}: ${failure.message}`;
    case '57P03':
      return `PostgreSQL at ${url} is not accepting connections yet (starting up or shutting down)`;
    case '53300':
      return `PostgreSQL at ${url} has no connection left (too many clients)`;
  }
  return null;
}

/** The error's message for one line: its first line, or its name. */
export function firstLine(err: unknown): string {
  if (err instanceof Error) return (err.message || err.name).split('\n')[0]!;
  return String(err).split('\n')[0]!;
}
