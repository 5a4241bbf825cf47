import type { Clock } from '../clock.js';
import { DomainError, InvalidRequest } from '../errors.js';
import { fingerprintOf, type WalletRequest } from './requests.js';
import { MAX_LIFETIME_DAYS } from './schemas.js';
import type { WalletViews } from './views.js';
import type { LedgerWriter, WalletAnswer } from './writer.js';

const DAY_MS = 86_400_000;

/** A write as the routes hand it over: who, with which key, to which route, with what. */
export interface WriteCall<Body> {
  partnerId: string;
  idempotencyKey: string;
  /** The route's template: part of what makes two requests "the same" for a key. */
  route: string;
  params: Readonly<Record<string, string>>;
  body: Body;
}

/** An applied write: the 201 body, and whether it is the stored answer of an earlier request with the same key. */
export interface Applied {
  body: Record<string, unknown>;
  replayed: boolean;
}

export class WalletService {
  constructor(
    private readonly writer: LedgerWriter,
    readonly views: WalletViews,
    private readonly clock: Clock,
  ) {}

  earn(call: WriteCall<{ points: number; expiresAt?: string; expiresInDays?: number; reason: string }>): Promise<Applied> {
    const { points, expiresAt, expiresInDays, reason } = call.body;
    const now = this.clock.now();
    let expires: number | null = null;
    if (expiresInDays !== undefined) expires = now + expiresInDays * DAY_MS;
    if (expiresAt !== undefined) {
      expires = Date.parse(expiresAt);
      if (!(expires > now)) throw new InvalidRequest('expiresAt must be in the future');
      if (expires > now + MAX_LIFETIME_DAYS * DAY_MS) throw new InvalidRequest(`expiresAt must be within ${MAX_LIFETIME_DAYS} days`);
    }
    return this.write(call, { type: 'earn', partnerId: call.partnerId, userId: call.params.userId!, points, expiresAt: expires, reason });
  }

  spend(call: WriteCall<{ points: number; reason: string }>): Promise<Applied> {
    const { points, reason } = call.body;
    return this.write(call, { type: 'spend', partnerId: call.partnerId, userId: call.params.userId!, points, reason });
  }

  transfer(call: WriteCall<{ from: string; to: string; points: number; reason: string }>): Promise<Applied> {
    const { from, to, points, reason } = call.body;
    if (from === to) throw new InvalidRequest('from and to must be different wallets');
    return this.write(call, { type: 'transfer', partnerId: call.partnerId, from, to, points, reason });
  }

  hold(call: WriteCall<{ points: number; expiresInSeconds: number; reason?: string }>): Promise<Applied> {
    const { points, expiresInSeconds, reason } = call.body;
    const expiresAt = this.clock.now() + expiresInSeconds * 1000;
    return this.write(call, {
      type: 'hold',
      partnerId: call.partnerId,
      userId: call.params.userId!,
      points,
      expiresAt,
      reason: reason ?? null,
    });
  }

  capture(call: WriteCall<{ points?: number } | undefined>): Promise<Applied> {
    const holdId = Number(call.params.holdId);
    return this.write(call, { type: 'capture', partnerId: call.partnerId, holdId, points: call.body?.points ?? null });
  }

  void(call: WriteCall<object | undefined>): Promise<Applied> {
    return this.write(call, { type: 'void', partnerId: call.partnerId, holdId: Number(call.params.holdId) });
  }

  reverse(call: WriteCall<{ points?: number; reason?: string } | undefined>): Promise<Applied> {
    const transactionId = Number(call.params.transactionId);
    return this.write(call, {
      type: 'reverse',
      partnerId: call.partnerId,
      transactionId,
      points: call.body?.points ?? null,
      reason: call.body?.reason ?? null,
    });
  }

  /** Applies the request once per key; a refusal (applied now or stored) is thrown as its DomainError. */
  private async write(call: WriteCall<unknown>, request: WalletRequest): Promise<Applied> {
    const answer: WalletAnswer = await this.writer.submit(request, {
      partnerId: call.partnerId,
      key: call.idempotencyKey,
      fingerprint: fingerprintOf(call.route, call.params, call.body),
    });
    if (answer.refused !== null) throw new DomainError(answer.refused, answer.details);
    return { body: answer.body, replayed: answer.replayed };
  }
}
