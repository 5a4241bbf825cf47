import { createHmac, timingSafeEqual } from 'node:crypto';
import { PATH_PARAMETERS } from '../input-rules.js';

/** The canonical form: the seq in plain decimal (no leading zero) and 16 bytes of MAC in unpadded base64url. */
export const REQUEST_ID_SEGMENT = PATH_PARAMETERS.requestId!;
const CANONICAL = /^([1-9][0-9]{0,14})\.([A-Za-z0-9_-]{22})$/;

/**
 * Public request ids: `<seq>.<MAC>`, the MAC over (term, seq, student) with a secret. Every
 * instance computes the same id for the same request; an id cannot be guessed, names its place in
 * arrival order (a poll is answered from the term's counters, without a lookup), and a student's
 * token proves the request is theirs by recomputing the MAC with the token's user.
 */
export class RequestIds {
  constructor(private readonly secret: Buffer) {}

  private mac(termId: string, seq: number, studentId: string | null): string {
    return createHmac('sha256', this.secret)
      .update(`${termId}\n${seq}\n${studentId ?? ''}`)
      .digest()
      .subarray(0, 16)
      .toString('base64url');
  }

  for(termId: string, seq: number, studentId: string | null): string {
    return `${seq}.${this.mac(termId, seq, studentId)}`;
  }

  /** The seq an id names, if it is in the canonical form (the MAC is not checked: see verify). */
  parse(requestId: string): { seq: number; mac: string } | null {
    const match = CANONICAL.exec(requestId);
    if (!match) return null;
    const seq = Number(match[1]);
    return Number.isSafeInteger(seq) ? { seq, mac: match[2]! } : null;
  }

  /** Whether the id is the one issued for this term, seq and student. */
  verify(termId: string, requestId: string, studentId: string | null): number | null {
    const parsed = this.parse(requestId);
    if (!parsed) return null;
    const given = Buffer.from(parsed.mac, 'latin1');
    const expected = Buffer.from(this.mac(termId, parsed.seq, studentId), 'latin1');
    return given.length === expected.length && timingSafeEqual(given, expected) ? parsed.seq : null;
  }
}
