// A ticket's state past the front of the queue, as stored in the room's `status` hash (one string
// per ticket). The Lua scripts write and read the same encoding (see lua/admit-7.lua's header);
// this is its only encoder and decoder on the TypeScript side.

export type TicketStatus =
  | { kind: 'admitted'; deadline: number }
  | { kind: 'session'; issuedAt: number; expiresAt: number; extensions: number }
  | { kind: 'left' }
  | { kind: 'expired' }
  | { kind: 'completed' };

const SESSION = /^S\|(\d+)\|(\d+)\|(\d+)$/;
const ADMITTED = /^A\|(\d+)$/;

/** Decodes a stored status; null for a ticket with no status (still waiting) or an unknown value. */
export function decodeTicketStatus(value: string | null | undefined): TicketStatus | null {
  if (!value) return null;
  switch (value[0]) {
    case 'S': {
      const m = SESSION.exec(value);
      return m ? { kind: 'session', issuedAt: Number(m[1]), expiresAt: Number(m[2]), extensions: Number(m[3]) } : null;
    }
    case 'A': {
      const m = ADMITTED.exec(value);
      return m ? { kind: 'admitted', deadline: Number(m[1]) } : null;
    }
    case 'L':
      return { kind: 'left' };
    case 'X':
      return { kind: 'expired' };
    case 'C':
      return { kind: 'completed' };
    default:
      return null;
  }
}

export function encodeTicketStatus(status: TicketStatus): string {
  switch (status.kind) {
    case 'session':
      return `S|${status.issuedAt}|${status.expiresAt}|${status.extensions}`;
    case 'admitted':
      return `A|${status.deadline}`;
    case 'left':
      return 'L';
    case 'expired':
      return 'X';
    case 'completed':
      return 'C';
  }
}

/**
 * A ticket's entry as stored in the room's `tickets` hash: "enteredAtMs|userId" (user ids may
 * contain "|": everything after the first one is the id).
 */
export function decodeTicketEntry(value: string): { enteredAt: number; userId: string } {
  const bar = value.indexOf('|');
  return { enteredAt: Number(value.slice(0, bar)), userId: value.slice(bar + 1) };
}
