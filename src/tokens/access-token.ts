import { createPrivateKey, type KeyObject, sign as signBytes, timingSafeEqual } from 'node:crypto';
import { createDecoder, createSigner, createVerifier, TokenError } from 'fast-jwt';
import { type Keystore, TOKEN_ALGORITHM } from './keystore.js';

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

interface Payload {
  iss: string;
  aud: string;
  sub: string;
  jti: string;
  iat: number;
  exp: number;
  room: string;
  tid: string;
  ext: number;
}

export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: 'invalid' | 'expired' };

/** Tokens verified once are remembered (by a hash of the token) until they expire. */
const VERIFIED_CACHE_SIZE = 10_000;
/** Tokens remembered as issued here (~350 bytes each). */
const RECENTLY_ISSUED = 20_000;

/**
 * Signs and verifies access tokens: JWTs signed with Ed25519 (`EdDSA`, with `kid`), verifiable
 * offline by any JWT library from the JWKS. fast-jwt does both with node:crypto in one
 * synchronous call (~45 µs to sign, ~125 µs to verify, measured): every admission signs one and
 * every completion verifies one, and a WebCrypto-based library cost about twice that per token,
 * partly on the event loop, in the seed 004 surge (git log -p docs/BENCHMARKS.md). Our own current key's
 * tokens are checked by signing them again (~53 µs in all, see isOwnSignature).
 */
export class AccessTokens {
  private sign!: (payload: Payload) => string;
  private verifiers = new Map<string, (token: string) => Payload>();
  private readonly decode = createDecoder({ complete: true, checkTyp: 'JWT' });
  private signingKid = '';
  private signingKey!: KeyObject;
  /**
   * Tokens this instance signed lately, kept as the very strings it handed out: an admitted
   * person often completes within seconds, on the same instance, and then the check costs a set
   * lookup instead of a signature. Bounded; cleared when full (then isOwnSignature decides).
   */
  private readonly issued = new Set<string>();

  constructor(keystore: Keystore) {
    this.useKeystore(keystore);
  }

  /**
   * Signs with the keystore's signing key from now on and trusts exactly its public keys (a key
   * rotation, read by the instance's KeyRing). Verifiers of keys still trusted are kept, with
   * what they remember.
   */
  useKeystore(keystore: Keystore): void {
    if (keystore.signing.kid !== this.signingKid) {
      this.signingKey = createPrivateKey(keystore.signing.privateKeyPem);
      this.sign = createSigner({ key: keystore.signing.privateKeyPem, algorithm: TOKEN_ALGORITHM, kid: keystore.signing.kid });
      this.signingKid = keystore.signing.kid;
      this.issued.clear();
    }
    this.verifiers = new Map(
      [...keystore.publicKeys].map(([kid, pem]) => [
        kid,
        this.verifiers.get(kid) ??
          createVerifier({ key: pem, algorithms: [TOKEN_ALGORITHM], allowedIss: TOKEN_ISSUER, cache: VERIFIED_CACHE_SIZE }),
      ]),
    );
  }

  /**
   * Whether `token` carries exactly the signature our current key gives its header and claims.
   *
   * Why not just verify: Ed25519 signatures are deterministic (RFC 8032), so signing the same
   * input again yields the same bytes, and only the private key's holder can produce them. That
   * costs one signature (~45 µs here) instead of one verification (~125 µs), on the request that
   * completes or extends a session: in a surge one per admitted person, on the server's one
   * thread. Anything else (another key, a changed byte, another encoding) takes the full
   * verification below, which decides.
   */
  private isOwnSignature(token: string): boolean {
    const dot = token.lastIndexOf('.');
    if (dot <= 0) return false;
    const presented = Buffer.from(token.slice(dot + 1), 'latin1');
    const expected = Buffer.from(
      signBytes(null, Buffer.from(token.slice(0, dot), 'latin1'), this.signingKey).toString('base64url'),
      'latin1',
    );
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }

  /**
   * Signs an access token. Ed25519 signatures are deterministic and the claims come from the
   * stored session, so every poll of the same session returns the very same token.
   */
  issue(claims: AccessClaims): string {
    const token = this.sign({
      iss: TOKEN_ISSUER,
      aud: claims.roomId,
      sub: claims.userId,
      jti: `${claims.ticketId}:${claims.extensions}`,
      iat: Math.floor(claims.issuedAt / 1000),
      exp: Math.floor(claims.expiresAt / 1000),
      room: claims.roomId,
      tid: claims.ticketId,
      ext: claims.extensions,
    });
    if (this.issued.size >= RECENTLY_ISSUED) this.issued.clear();
    this.issued.add(token);
    return token;
  }

  /** Checks signature, issuer and expiry offline; `roomId`, when given, must be the token's room. */
  verify(token: string, roomId?: string): VerifyResult {
    let payload: Payload;
    try {
      const decoded = this.decode(token) as { header: { kid?: unknown }; payload: Payload };
      const kid = decoded.header.kid;
      if (this.issued.has(token) || (kid === this.signingKid && this.isOwnSignature(token))) {
        // Our own token, byte for byte (handed out by this instance, or signed again to the same
        // bytes): its header and claims are what issue() wrote, only its age is left to check
        // (fast-jwt's rule: valid up to and including `exp`).
        payload = decoded.payload;
        if (!(typeof payload.exp === 'number' && Date.now() <= payload.exp * 1000)) return { ok: false, reason: 'expired' };
      } else {
        const verifier = typeof kid === 'string' ? this.verifiers.get(kid) : undefined;
        if (!verifier) return { ok: false, reason: 'invalid' };
        payload = verifier(token);
      }
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
    if (typeof payload.room !== 'string' || typeof payload.tid !== 'string' || typeof payload.sub !== 'string') {
      return { ok: false, reason: 'invalid' };
    }
    if (payload.aud !== payload.room || (roomId !== undefined && payload.room !== roomId)) return { ok: false, reason: 'invalid' };
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
  }
}
