import type { RedisClient } from '../redis/client.js';
import type { LiveSessions } from '../tokens/access-gate.js';
import type { AccessClaims } from '../tokens/access-token.js';
import { roomKeys } from './keys.js';
import type { TicketIds } from './ticket-id.js';
import { decodeTicketStatus } from './ticket-status.js';

/**
 * The waiting room's side of the access gate (tokens/access-gate.ts): a token is live while its
 * session is in progress and it is the session's newest token (the extension count it carries is
 * the session's): one live token per session.
 */
export class RoomSessions implements LiveSessions {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly ticketIds: TicketIds,
    private readonly now: () => number = Date.now,
  ) {}

  async isLive(claims: AccessClaims): Promise<boolean> {
    const ticketNo = this.ticketIds.decode(claims.roomId, claims.ticketId);
    if (ticketNo === null) return false;
    const status = decodeTicketStatus(await this.redis.hget(roomKeys(this.prefix, claims.roomId).status, String(ticketNo)));
    return status?.kind === 'session' && status.expiresAt > this.now() && status.extensions === claims.extensions;
  }
}
