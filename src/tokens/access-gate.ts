import type { IncomingHttpHeaders } from 'node:http';
import { DomainError } from '../errors.js';
import type { AccessClaims, AccessTokens } from './access-token.js';
import { bearerToken } from './admin-token.js';

/**
 * Whether the session a token was issued for is still the live one: not ended (completed, left,
 * expired) and not superseded by a newer token (an extension). Implemented by the waiting room,
 * which owns sessions (waiting-room/live-sessions.ts).
 */
export interface LiveSessions {
  isLive(claims: AccessClaims): Promise<boolean>;
}

/**
 * The one port for access tokens: the waiting room issues them through it, and every capability
 * behind a room (claims, seats, courses) checks "this request carries a live access token of room
 * R for user U" through it, without knowing the waiting room.
 *
 * What is checked online: signature, issuer, expiry, room, and that the session is live and this
 * is its newest token. An origin verifying offline (JWKS) can only check the first four: a token
 * superseded by an extension or ended early stays valid there until its `exp`.
 *
 * The sessions are the waiting room's: it provides them when it is created. Until then (or in a
 * deployment without a waiting room) no token is live: the gate fails closed.
 */
export class AccessGate {
  private sessions: LiveSessions = { isLive: async () => false };

  constructor(private readonly tokens: AccessTokens) {}

  provideSessions(sessions: LiveSessions): void {
    this.sessions = sessions;
  }

  issue(claims: AccessClaims): string {
    return this.tokens.issue(claims);
  }

  /** Offline checks only (signature, issuer, expiry, room): for a session's own operations, which check the rest in Redis. */
  verifyOffline(token: string, roomId?: string): AccessClaims | null {
    const result = this.tokens.verify(token, roomId);
    return result.ok ? result.claims : null;
  }

  /** Offline checks, then the session must be live and this its newest token. */
  async verify(token: string, roomId?: string): Promise<AccessClaims | null> {
    const claims = this.verifyOffline(token, roomId);
    if (!claims) return null;
    return (await this.sessions.isLive(claims)) ? claims : null;
  }

  /**
   * The user a request is admitted as: its `Authorization: Bearer` token must be a live access
   * token of `roomId` (and of `userId`, when the request names one), else `not_admitted`.
   */
  async admit(headers: IncomingHttpHeaders, roomId: string, userId?: string): Promise<AccessClaims> {
    const token = bearerToken(headers.authorization);
    const claims = token ? await this.verify(token, roomId) : null;
    if (!claims) throw new DomainError('not_admitted');
    if (userId !== undefined && userId !== claims.userId) {
      throw new DomainError('not_admitted', { reason: 'other_user' });
    }
    return claims;
  }
}
