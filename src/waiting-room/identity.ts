import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import { createVerifier, TokenError } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import type { ClientInfo } from '../capability.js';
import { DomainError, InvalidRequest } from '../errors.js';
import { USER_ID_PATTERN } from '../input-rules.js';
import type { PartnerKeys } from '../partners/api-keys.js';
import type { AdminAuth } from '../tokens/admin-token.js';

/** Who enters a room, and the cookie that keeps an anonymous visitor's identity (to set on the answer). */
export interface Entrant {
  userId: string;
  /** The proof it came with: a trusted backend named it, a site's token, or this server's cookie. */
  proof: 'backend' | 'identity_token' | 'visitor_cookie';
  setCookie?: string;
}

/** What an entry may carry: a named user (backends only) or a site's identity token; or nothing. */
export interface EntryClaims {
  userId?: string;
  identityToken?: string;
}

export const VISITOR_COOKIE = 'fg_visitor';
/** Anonymous visitors' user ids; no named user may take this form. */
export const VISITOR_PREFIX = 'visitor:';
const VISITOR_COOKIE_DAYS = 30;
/** A site's identity token may not be valid for longer than this (it is a short-lived proof). */
const MAX_IDENTITY_TOKEN_SECONDS = 24 * 3600;
const USER_ID = new RegExp(USER_ID_PATTERN, 'u');

/**
 * A browser's identity is proven, never asserted (README, "Security"). Three ways in:
 * - a trusted backend (a partner's X-Api-Key, or the admin token) names the user: `{userId}`;
 * - a site that knows its users signs a short-lived identity token for the room (HS256 with the
 *   room's identity secret; `sub` = user, `aud` = room id, `exp` required): `{identityToken}`;
 * - anyone else is an anonymous visitor, known by a random id this server keeps in a signed,
 *   httpOnly cookie (SameSite=Lax, Secure over https): entering again with it keeps the place.
 * A plain `{userId}` without a backend's credential is refused: it never reaches a ticket.
 */
export class EntryIdentities {
  /** One verifier per room secret (rooms are few; rotated secrets fall out). */
  private readonly verifiers = new LRUCache<string, (token: string) => { sub?: unknown; exp?: unknown; iat?: unknown }>({ max: 10_000 });

  constructor(
    private readonly partners: PartnerKeys,
    private readonly admin: AdminAuth,
    private readonly cookieSecret: Buffer,
  ) {}

  async entrant(
    room: { roomId: string; identitySecret: string },
    headers: IncomingHttpHeaders,
    claims: EntryClaims,
    client: ClientInfo,
  ): Promise<Entrant> {
    if (claims.userId !== undefined) {
      if (!this.admin.isAdmin(headers)) {
        if (headers['x-api-key'] === undefined) throw new DomainError('identity_required');
        await this.partners.require(headers);
      }
      return { userId: namedUser(claims.userId), proof: 'backend' };
    }
    if (claims.identityToken !== undefined) return { userId: this.fromIdentityToken(room, claims.identityToken), proof: 'identity_token' };
    const known = this.visitorFromCookie(headers.cookie);
    if (known) return { userId: known, proof: 'visitor_cookie' };
    const id = randomBytes(16).toString('base64url');
    return {
      userId: `${VISITOR_PREFIX}${id}`,
      proof: 'visitor_cookie',
      setCookie: stringifySetCookie({
        name: VISITOR_COOKIE,
        value: `${id}.${this.mac(id)}`,
        httpOnly: true,
        sameSite: 'lax',
        secure: client.secure,
        path: '/',
        maxAge: VISITOR_COOKIE_DAYS * 86_400,
      }),
    };
  }

  private fromIdentityToken(room: { roomId: string; identitySecret: string }, token: string): string {
    let verify = this.verifiers.get(room.identitySecret);
    if (!verify) {
      verify = createVerifier({
        key: room.identitySecret,
        algorithms: ['HS256'],
        allowedAud: room.roomId,
        requiredClaims: ['sub', 'exp'],
        cache: false,
      });
      this.verifiers.set(room.identitySecret, verify);
    }
    let payload: { sub?: unknown; exp?: unknown; iat?: unknown };
    try {
      payload = verify(token);
    } catch (err) {
      throw new DomainError('invalid_identity_token', {
        reason: err instanceof TokenError && err.code === TokenError.codes.expired ? 'expired' : 'invalid',
      });
    }
    if (typeof payload.exp !== 'number' || payload.exp * 1000 > Date.now() + MAX_IDENTITY_TOKEN_SECONDS * 1000) {
      throw new DomainError('invalid_identity_token', { reason: 'too_long_lived' });
    }
    if (typeof payload.sub !== 'string') throw new DomainError('invalid_identity_token', { reason: 'invalid' });
    return namedUser(payload.sub);
  }

  private visitorFromCookie(header: string | undefined): string | null {
    if (!header) return null;
    const value = parseCookie(header)[VISITOR_COOKIE];
    const dot = value?.indexOf('.') ?? -1;
    if (!value || dot < 1) return null;
    const id = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'latin1');
    const expected = Buffer.from(this.mac(id), 'latin1');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return `${VISITOR_PREFIX}${id}`;
  }

  private mac(id: string): string {
    return createHmac('sha256', this.cookieSecret).update(id).digest().subarray(0, 16).toString('base64url');
  }
}

/** A user named by a backend or a site: a well-formed user id that is not an anonymous visitor's. */
function namedUser(userId: string): string {
  if (!USER_ID.test(userId) || !userId.isWellFormed())
    throw new InvalidRequest('userId must be 1 to 128 characters, without control characters');
  if (userId.startsWith(VISITOR_PREFIX))
    throw new InvalidRequest(`userId may not start with "${VISITOR_PREFIX}" (anonymous visitors' ids)`);
  return userId;
}
