import { createHmac, timingSafeEqual } from 'node:crypto';
import { TICKET_MAC_SEGMENT, TICKET_NO_SEGMENT } from '../input-rules.js';

const CANONICAL = new RegExp(`^(${TICKET_NO_SEGMENT})\\.(${TICKET_MAC_SEGMENT})$`);

/**
 * Ticket ids carry their ticket number and an HMAC of (room, number), so a poll can be checked and
 * placed in the queue without asking Redis, and a forged or guessed id is refused outright.
 * Format: `<ticketNo>.<16 bytes of HMAC-SHA256, base64url>`.
 */
export class TicketIds {
  /**
   * Ids already verified, per room: a waiting user polls the same id again and again, and the
   * HMAC is the largest cost of answering a poll from the cache. Bounded; cleared when full.
   */
  private readonly verified = new Map<string, number>();

  constructor(
    private readonly secret: Buffer,
    private readonly maxRemembered = 200_000,
  ) {}

  private mac(roomId: string, ticketNo: number): Buffer {
    return createHmac('sha256', this.secret).update(`${roomId}\n${ticketNo}`).digest().subarray(0, 16);
  }

  encode(roomId: string, ticketNo: number): string {
    return `${ticketNo}.${this.mac(roomId, ticketNo).toString('base64url')}`;
  }

  /** The ticket number, or null when the id is malformed or was not issued for this room. */
  decode(roomId: string, ticketId: string): number | null {
    const cacheKey = `${roomId}/${ticketId}`;
    const known = this.verified.get(cacheKey);
    if (known !== undefined) return known;
    const ticketNo = this.verify(roomId, ticketId);
    if (ticketNo !== null) {
      if (this.verified.size >= this.maxRemembered) this.verified.clear();
      this.verified.set(cacheKey, ticketNo);
    }
    return ticketNo;
  }

  /**
   * Only the canonical form is a ticket id: the number in plain decimal without leading zeros and
   * the MAC in unpadded base64url, exactly as encode() writes them. "08.", "+8.", "0x8." or a
   * padded MAC would otherwise name the same ticket under many ids.
   */
  private verify(roomId: string, ticketId: string): number | null {
    const match = CANONICAL.exec(ticketId);
    if (!match) return null;
    const ticketNo = Number(match[1]);
    if (!Number.isSafeInteger(ticketNo)) return null;
    const given = Buffer.from(match[2]!, 'latin1');
    const expected = Buffer.from(this.mac(roomId, ticketNo).toString('base64url'), 'latin1');
    return given.length === expected.length && timingSafeEqual(given, expected) ? ticketNo : null;
  }
}
