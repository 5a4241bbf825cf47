// What the writer is asked to do: a partner's write (with its idempotency key) or a system step.
import { hash } from 'node:crypto';

export type WalletRequest =
  | { type: 'earn'; partnerId: string; userId: string; points: number; expiresAt: number | null; reason: string }
  | { type: 'spend'; partnerId: string; userId: string; points: number; reason: string }
  | { type: 'transfer'; partnerId: string; from: string; to: string; points: number; reason: string }
  | { type: 'hold'; partnerId: string; userId: string; points: number; expiresAt: number; reason: string | null }
  | { type: 'capture'; partnerId: string; holdId: number; points: number | null }
  | { type: 'void'; partnerId: string; holdId: number }
  | { type: 'reverse'; partnerId: string; transactionId: number; points: number | null; reason: string | null }
  /** System steps (no key, no stored answer). */
  | { type: 'hold_timeout'; holdId: number }
  | { type: 'expire'; partnerId: string; userId: string };

/** A partner's key for one write, and what the request was (to tell a replay from a different request). */
export interface Idempotency {
  partnerId: string;
  key: string;
  /** SHA-256 of the request: method, route, path parameters and body, in one canonical form. */
  fingerprint: Buffer;
}

/**
 * The fingerprint of a write: two requests are "the same" when they name the same route, the same
 * path parameters and bodies equal as JSON values (key order and number spelling do not matter;
 * an absent body is the empty object).
 */
export function fingerprintOf(route: string, params: Readonly<Record<string, string>>, body: unknown): Buffer {
  // The one-shot hash: no Hash object per request.
  return hash('sha256', canonicalJson({ route, params, body: body ?? {} }), 'buffer');
}

/** JSON with object keys sorted, recursively: one text per JSON value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
