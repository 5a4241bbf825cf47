import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { TOKEN_ALGORITHM, type Keystore } from './keystore.js';

export const TOKEN_ISSUER = 'floodgate';

/** What an access token says: who was admitted to which room, by which ticket, until when. */
export interface AccessClaims {
  roomId: string;
  userId: string;
  ticketId: string;
  /** How many times the session was extended when this token was issued. */
  extensions: number;
  issuedAt: number;
  expiresAt: number;
}

interface Payload extends JWTPayload {
  room: string;
  tid: string;
  ext: number;
}

/**
 * Signs an access token. Ed25519 signatures are deterministic and the claims come from the stored
 * session, so every poll of the same session returns the very same token.
 */
export async function signAccessToken(keystore: Keystore, claims: AccessClaims): Promise<string> {
  return new SignJWT({ room: claims.roomId, tid: claims.ticketId, ext: claims.extensions })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: keystore.signing.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(claims.roomId)
    .setSubject(claims.userId)
    .setJti(`${claims.ticketId}:${claims.extensions}`)
    .setIssuedAt(Math.floor(claims.issuedAt / 1000))
    .setExpirationTime(Math.floor(claims.expiresAt / 1000))
    .sign(keystore.signing.privateKey);
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** Checks signature, issuer and expiry offline; `roomId`, when given, must be the token's room. */
export async function verifyAccessToken(keystore: Keystore, token: string, roomId?: string): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify<Payload>(
      token,
      async (header) => {
        const key = header.kid ? keystore.publicKeys.get(header.kid) : undefined;
        if (!key) throw new joseErrors.JWKSNoMatchingKey();
        return key;
      },
      { algorithms: [TOKEN_ALGORITHM], issuer: TOKEN_ISSUER, ...(roomId ? { audience: roomId } : {}) },
    );
    if (typeof payload.room !== 'string' || typeof payload.tid !== 'string' || typeof payload.sub !== 'string') {
      return { ok: false, reason: 'invalid' };
    }
    return {
      ok: true,
      claims: {
        roomId: payload.room,
        userId: payload.sub,
        ticketId: payload.tid,
        extensions: Number(payload.ext) || 0,
        issuedAt: (payload.iat ?? 0) * 1000,
        expiresAt: (payload.exp ?? 0) * 1000,
      },
    };
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'invalid' };
  }
}
