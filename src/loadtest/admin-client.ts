import { firstLine, networkCause, OperationalError } from '../cli/errors.js';

/** The few admin calls a load test needs, over plain fetch. */
export class AdminClient {
  constructor(
    private readonly target: string,
    private readonly token: string,
  ) {}

  /** The answer, whatever its status; a target that cannot be reached is an OperationalError. */
  async call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.target), {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      const underlying = (err as { cause?: unknown }).cause ?? err; // fetch's own error only says "fetch failed"
      const cause = networkCause(underlying) ?? firstLine(underlying);
      throw new OperationalError(`cannot reach the target ${this.target}: ${cause}`, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text; // not JSON: not a Floodgate answer, kept for the message
    }
    return { status: res.status, body: parsed as T };
  }

  /** The answer of a call that must succeed; anything else is an OperationalError of one line. */
  async must<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call<T>(method, path, body);
    if (res.status < 300) return res.body;
    if (res.status === 401 || res.status === 403) {
      throw new OperationalError(
        `the target ${this.target} refused the admin token (${method} ${path} answered ${res.status}): check --admin-token or FLOODGATE_ADMIN_TOKEN`,
      );
    }
    throw new OperationalError(`${method} ${path} answered ${res.status}: ${describeBody(res.body)}`);
  }
}

/** An error answer in a few words: Floodgate's error message, else the start of the body. */
export function describeBody(body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  if (error?.message) return error.code ? `${error.code}: ${error.message}` : error.message;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
