// The wallet's writer: every write of this instance goes through it, in batches (group commit).
//
// A batch is one PostgreSQL transaction that locks every wallet it touches, once, in id order
// (SELECT … ORDER BY id FOR UPDATE), applies its operations in order in memory against those
// wallets (domain/ledger.ts: an operation refused for its own reasons is a value, not an abort),
// writes every posting, lot and hold in one statement, stores each answer with its idempotency
// key, and commits. Only then are the requests answered: a 201 is durable. Batches fill while
// earlier ones commit (two at a time, each on its own connection), so under load a commit serves
// hundreds of requests, and one hot wallet is locked once per batch instead of once per request.
//
// Batches of this instance that run at the same time touch different wallets: a request that
// names a wallet a running batch holds waits in the queue for the next batch (and so does every
// later request naming one of its wallets: each wallet's requests keep their order). Without
// this, two batches of 1,000 random transfers over 100,000 wallets nearly always shared a wallet,
// and the second waited in PostgreSQL for the first to commit: the two never overlapped.
//
// No deadlock: every transaction of every instance takes its locks in one order — wallets by id,
// then (last, in key order) its idempotency keys — so none can wait for another that waits for it.
// Wallets are created, when a credit names a new one, by a statement of their own before the
// transaction; the partner's accounts are never locked (no balance is kept on them).
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../clock.js';
import type { Pool } from '../db/pool.js';
import { DomainError } from '../errors.js';
import { appliedBody } from './answers.js';
import { applyBatch, type Hold, type LedgerOp, type NewTransaction, type OpResult, type Reversible, resolveIds } from './domain/ledger.js';
import type { AnswerRow, HoldFacts, LedgerStore, ReversibleFacts } from './repository.js';
import { walletKey } from './repository.js';
import type { Idempotency, WalletRequest } from './requests.js';

/** A request's answer: applied (the 201 body) or refused (an error code and its details); `replayed` when it is a stored first answer. */
export type WalletAnswer =
  | { replayed: boolean; refused: null; body: Record<string, unknown> }
  | { replayed: boolean; refused: string; details: Record<string, unknown> };

export interface WriterOptions {
  pool: Pool;
  store: LedgerStore;
  clock: Clock;
  log: FastifyBaseLogger;
  /** A batch is closed once it holds this many requests. */
  maxBatch?: number;
  /** Batches being committed at once (each on its own connection). */
  maxInFlight?: number;
}

export interface WriterObserver {
  /** A committed batch: its size, and how long each request waited from submission to commit (ms). */
  batch(size: number, waitsMs: readonly number[]): void;
  /** A batch run again: 'key' (a key stored first by another instance), 'lock' (a deadlock or serialization failure: never expected). */
  retry(reason: 'key' | 'lock'): void;
  /** Each applied or refused request, by type and outcome. */
  outcome(type: WalletRequest['type'], outcome: string): void;
  /** A committed batch's transactions (expiries found on the way included): what moved, by partner. */
  committed?(transactions: readonly NewTransaction[]): void;
}

const MAX_BATCH = 1000;
const MAX_IN_FLIGHT = 2;
/** Deadlocks and serialization failures are not expected at all (one lock order); if one came, the batch is run again, a few times. */
const LOCK_RETRIES = 5;

interface Item {
  request: WalletRequest;
  idempotency: Idempotency | null;
  /** What it touches, as far as is known before reading anything: its wallets, or its hold or transaction. */
  footprint: string[];
  queuedAt: number;
  settled: boolean;
  resolve(answer: WalletAnswer): void;
  reject(err: unknown): void;
}

const NO_OBSERVER: WriterObserver = { batch() {}, retry() {}, outcome() {} };

export class LedgerWriter {
  private queue: Item[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** Running batches, with what they touch. */
  private readonly running = new Map<Promise<void>, ReadonlySet<string>>();
  /** Requests of this instance not answered yet, by partner and key: a duplicate waits for the first. */
  private readonly byKey = new Map<string, { fingerprint: Buffer; answer: Promise<WalletAnswer> }>();
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  observer: WriterObserver = NO_OBSERVER;

  constructor(private readonly options: WriterOptions) {
    this.maxBatch = options.maxBatch ?? MAX_BATCH;
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
  }

  /**
   * Applies a request (or answers it as it was first answered, for a key already used with the
   * same request); resolves once committed. Rejects with `idempotency_conflict` for a key used
   * with a different request, or with the database's error when the batch could not be committed
   * (nothing of it was then applied, unless the connection died during the commit itself: the
   * key tells on a retry).
   */
  submit(request: WalletRequest, idempotency: Idempotency | null = null): Promise<WalletAnswer> {
    if (!idempotency) return this.enqueue(request, null);
    const key = walletKey(idempotency.partnerId, idempotency.key);
    const first = this.byKey.get(key);
    if (first) {
      if (!first.fingerprint.equals(idempotency.fingerprint)) return Promise.reject(new DomainError('idempotency_conflict'));
      return first.answer.then((answer) => ({ ...answer, replayed: true }));
    }
    const answer = this.enqueue(request, idempotency);
    this.byKey.set(key, { fingerprint: idempotency.fingerprint, answer });
    const forget = () => this.byKey.delete(key);
    answer.then(forget, forget);
    return answer;
  }

  /** Requests waiting for a batch or being committed. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Waits until every submitted request is answered. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.running.size > 0) {
      this.drain();
      await Promise.allSettled([...this.running.keys()]);
    }
  }

  private enqueue(request: WalletRequest, idempotency: Idempotency | null): Promise<WalletAnswer> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        request,
        idempotency,
        footprint: footprintOf(request),
        queuedAt: performance.now(),
        settled: false,
        resolve,
        reject,
      });
      if (!this.scheduled) {
        this.scheduled = true;
        // Everything that arrives in this turn of the event loop goes into one batch.
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  /** Starts batches while connections are free, each of requests that touch no wallet a running batch holds. */
  private drain(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const blocked = new Set<string>();
      for (const footprint of this.running.values()) for (const key of footprint) blocked.add(key);
      const items: Item[] = [];
      const waiting: Item[] = [];
      for (const item of this.queue) {
        if (items.length < this.maxBatch && item.footprint.every((key) => !blocked.has(key))) items.push(item);
        else {
          waiting.push(item);
          for (const key of item.footprint) blocked.add(key);
        }
      }
      if (items.length === 0) return; // everything waits for a running batch
      this.queue = waiting;
      const footprint = new Set(items.flatMap((i) => i.footprint));
      this.inFlight++;
      const run: Promise<void> = this.run(items).finally(() => {
        this.inFlight--;
        this.running.delete(run);
        this.drain();
      });
      this.running.set(run, footprint);
    }
  }

  /** Runs a batch to its end: every item is answered, or rejected. */
  private async run(items: Item[]): Promise<void> {
    let lockRetries = 0;
    for (;;) {
      const open = items.filter((i) => !i.settled);
      if (open.length === 0) return;
      try {
        const outcome = await this.attempt(open);
        if (outcome === 'committed') return;
        this.observer.retry('key');
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if ((code === '40P01' || code === '40001') && lockRetries++ < LOCK_RETRIES) {
          this.options.log.error({ err }, 'wallet batch hit a deadlock or serialization failure; running it again');
          this.observer.retry('lock');
          continue;
        }
        if (!isConnectionFailure(err) && open.length > 1) {
          // Refused for its data by the database, or a rule of the ledger found broken (a bug, or
          // a wallet edited by hand): the halves run on their own until the request that causes
          // it stands alone; every other request is applied.
          const half = Math.ceil(open.length / 2);
          await this.run(open.slice(0, half));
          await this.run(open.slice(half));
          return;
        }
        if (!isConnectionFailure(err)) this.options.log.error({ err, request: open[0]!.request.type }, 'wallet request failed on its own');
        else this.options.log.warn({ err, requests: open.length }, 'wallet batch not committed');
        for (const item of open) this.settle(item, null, err);
        return;
      }
    }
  }

  /**
   * One try at a batch. Returns 'again' when another instance stored one of its keys first
   * (everything is rolled back; the next try answers that request with the stored answer).
   */
  private async attempt(items: Item[]): Promise<'committed' | 'again'> {
    const { store, pool, clock } = this.options;
    const requests = items.map((i) => i.request);
    const now = clock.now();

    // Facts that never change, read before the transaction.
    const holdIds = new Set<number>();
    const transactionIds = new Set<number>();
    for (const r of requests) {
      if (r.type === 'capture' || r.type === 'void' || r.type === 'hold_timeout') holdIds.add(r.holdId);
      if (r.type === 'reverse') transactionIds.add(r.transactionId);
    }
    const [holdFacts, reversibleFacts] = await Promise.all([store.holdFacts([...holdIds]), store.reversibleFacts([...transactionIds])]);
    const holdOf = (r: { partnerId?: string; holdId: number }): HoldFacts | null => {
      const hold = holdFacts.get(r.holdId);
      return hold && (r.partnerId === undefined || hold.partnerId === r.partnerId) ? hold : null;
    };
    const originalOf = (r: { partnerId: string; transactionId: number }): ReversibleFacts | null => {
      const original = reversibleFacts.get(r.transactionId);
      return original && original.partnerId === r.partnerId ? original : null;
    };
    const partnerIds = new Set<string>();
    const wanted = new Map<string, { partnerId: string; userId: string; create: boolean }>();
    const want = (partnerId: string, userId: string, create: boolean) => {
      const key = walletKey(partnerId, userId);
      const known = wanted.get(key);
      if (!known || (create && !known.create)) wanted.set(key, { partnerId, userId, create });
    };
    for (const r of requests) {
      if (r.type === 'hold_timeout') {
        const hold = holdOf(r);
        if (hold) partnerIds.add(hold.partnerId);
        continue;
      }
      partnerIds.add(r.partnerId);
      if (r.type === 'earn') want(r.partnerId, r.userId, true);
      if (r.type === 'spend' || r.type === 'hold' || r.type === 'expire') want(r.partnerId, r.userId, false);
      if (r.type === 'transfer') {
        want(r.partnerId, r.from, false);
        want(r.partnerId, r.to, true);
      }
    }
    const [partners, walletIds] = await Promise.all([store.partners(partnerIds), store.wallets(wanted)]);
    const walletOf = (partnerId: string, userId: string) => walletIds.get(walletKey(partnerId, userId)) ?? null;

    const client = await pool.connect();
    // A connection lost while checked out is reported as an 'error' event too (its query rejects
    // as well, which is how the batch learns of it): without a listener it would end the process.
    const ignore = () => {};
    client.on('error', ignore);
    let broken = false;
    try {
      await client.query('BEGIN');
      // Keys answered already (a retry after the first answer, or another instance's): their stored answer.
      const keyed = items.filter((i) => i.idempotency !== null);
      const stored = await store.storedAnswers(
        client,
        keyed.map((i) => i.idempotency!),
      );
      if (stored.length > 0) {
        const byKey = new Map(stored.map((s) => [walletKey(s.partnerId, s.key), s]));
        for (const item of keyed) {
          const first = byKey.get(walletKey(item.idempotency!.partnerId, item.idempotency!.key));
          if (!first) continue;
          if (!first.fingerprint.equals(item.idempotency!.fingerprint)) this.settle(item, null, new DomainError('idempotency_conflict'));
          else
            this.settle(
              item,
              first.refused === null
                ? { replayed: true, refused: null, body: JSON.parse(first.answer) }
                : { replayed: true, refused: first.refused, details: JSON.parse(first.answer) },
            );
        }
      }
      const todo = items.filter((i) => !i.settled);

      // Lock every wallet the batch touches, in id order, then read what may have changed.
      const toLock = new Set<number>();
      for (const { request: r } of todo) {
        switch (r.type) {
          case 'earn':
          case 'spend':
          case 'hold':
          case 'expire':
            addIfKnown(toLock, walletOf(r.partnerId, r.userId));
            break;
          case 'transfer':
            addIfKnown(toLock, walletOf(r.partnerId, r.from));
            addIfKnown(toLock, walletOf(r.partnerId, r.to));
            break;
          case 'capture':
          case 'void':
          case 'hold_timeout':
            addIfKnown(toLock, holdOf(r)?.accountId ?? null);
            break;
          case 'reverse':
            addIfKnown(toLock, originalOf(r)?.accountId ?? null);
            break;
        }
      }
      const wallets = await store.lockWallets(client, [...toLock]);
      const usedHolds = new Map<number, HoldFacts>();
      const usedOriginals = new Map<number, ReversibleFacts>();
      for (const { request: r } of todo) {
        if (r.type === 'capture' || r.type === 'void' || r.type === 'hold_timeout') {
          const hold = holdOf(r);
          if (hold) usedHolds.set(hold.id, hold);
        }
        if (r.type === 'reverse') {
          const original = originalOf(r);
          if (original) usedOriginals.set(original.id, original);
        }
      }
      const [holds, reversibles] = await Promise.all([store.holds(client, usedHolds), store.reversibles(client, usedOriginals)]);

      // A system step whose hold or wallet is gone has nothing to do.
      const ops: LedgerOp[] = [];
      const applied: Item[] = [];
      for (const item of todo) {
        const op = toLedgerOp(item.request, walletOf, holds, reversibles);
        if (op === null) {
          this.settle(item, { replayed: false, refused: null, body: { transactionId: null } });
        } else {
          ops.push(op);
          applied.push(item);
        }
      }
      const { effects, results } = applyBatch({ wallets, partners, now }, ops);
      resolveIds(effects, results, await store.drawIds(client, effects.madeIds));
      await store.write(client, effects, now);

      const answers = applied.map((item, i) => toAnswer(item.request, results[i]!));
      const rows: AnswerRow[] = [];
      applied.forEach((item, i) => {
        if (!item.idempotency) return;
        const answer = answers[i]!;
        const result = results[i]!;
        rows.push({
          partnerId: item.idempotency.partnerId,
          key: item.idempotency.key,
          fingerprint: item.idempotency.fingerprint,
          refused: answer.refused,
          answer: JSON.stringify(answer.refused === null ? answer.body : answer.details),
          transactionId:
            result.ok && 'transactionId' in result ? result.transactionId : result.ok && result.type === 'hold' ? result.holdId : null,
        });
      });
      const taken = await store.storeAnswers(client, rows);
      if (taken > 0) {
        await client.query('ROLLBACK');
        return 'again';
      }
      await client.query('COMMIT');
      const committedAt = performance.now();
      this.observer.batch(
        applied.length,
        applied.map((i) => committedAt - i.queuedAt),
      );
      this.observer.committed?.(effects.transactions);
      applied.forEach((item, i) => {
        const answer = answers[i]!;
        this.observer.outcome(item.request.type, answer.refused ?? 'applied');
        this.settle(item, answer);
      });
      return 'committed';
    } catch (err) {
      broken = await client.query('ROLLBACK').then(
        () => false,
        () => true,
      );
      throw err;
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  private settle(item: Item, answer: WalletAnswer | null, err?: unknown): void {
    if (item.settled) return;
    item.settled = true;
    if (answer) item.resolve(answer);
    else item.reject(err);
  }
}

/**
 * PostgreSQL unreachable, restarting or out of connections: the batch may pass later as it is.
 * Anything else (a data error, a broken rule) comes from one of its requests.
 */
function isConnectionFailure(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^(08|53|57)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code))) {
    return true;
  }
  return (
    typeof message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)
  );
}

function addIfKnown(set: Set<number>, id: number | null): void {
  if (id !== null) set.add(id);
}

/** The ledger's operation for a request, with its wallets resolved; null for a system step that has nothing to act on. */
function toLedgerOp(
  r: WalletRequest,
  walletOf: (partnerId: string, userId: string) => number | null,
  holds: ReadonlyMap<number, Hold>,
  reversibles: ReadonlyMap<number, Reversible>,
): LedgerOp | null {
  switch (r.type) {
    case 'earn': {
      const walletId = walletOf(r.partnerId, r.userId);
      if (walletId === null) throw new Error(`wallet of ${r.userId} was not created`);
      return { type: 'earn', partnerId: r.partnerId, walletId, points: r.points, expiresAt: r.expiresAt, reason: r.reason };
    }
    case 'spend':
      return { type: 'spend', partnerId: r.partnerId, walletId: walletOf(r.partnerId, r.userId), points: r.points, reason: r.reason };
    case 'transfer': {
      const toId = walletOf(r.partnerId, r.to);
      if (toId === null) throw new Error(`wallet of ${r.to} was not created`);
      return { type: 'transfer', partnerId: r.partnerId, fromId: walletOf(r.partnerId, r.from), toId, points: r.points, reason: r.reason };
    }
    case 'hold':
      return {
        type: 'hold',
        partnerId: r.partnerId,
        walletId: walletOf(r.partnerId, r.userId),
        points: r.points,
        expiresAt: r.expiresAt,
        reason: r.reason,
      };
    case 'capture':
      return { type: 'capture', partnerId: r.partnerId, hold: holds.get(r.holdId) ?? null, points: r.points };
    case 'void':
      return { type: 'void', partnerId: r.partnerId, hold: holds.get(r.holdId) ?? null };
    case 'reverse':
      return {
        type: 'reverse',
        partnerId: r.partnerId,
        original: reversibles.get(r.transactionId) ?? null,
        points: r.points,
        reason: r.reason,
      };
    case 'hold_timeout': {
      const hold = holds.get(r.holdId);
      return hold ? { type: 'hold_timeout', hold } : null;
    }
    case 'expire': {
      const walletId = walletOf(r.partnerId, r.userId);
      return walletId === null ? null : { type: 'expire', walletId };
    }
  }
}

/** The keys a request is known to touch before anything is read: running batches never share one. */
function footprintOf(r: WalletRequest): string[] {
  switch (r.type) {
    case 'earn':
    case 'spend':
    case 'hold':
    case 'expire':
      return [walletKey(r.partnerId, r.userId)];
    case 'transfer':
      return [walletKey(r.partnerId, r.from), walletKey(r.partnerId, r.to)];
    case 'capture':
    case 'void':
    case 'hold_timeout':
      // Its wallet is known once the hold is read: should a running batch hold it, the lock waits.
      return [`hold\n${r.holdId}`];
    case 'reverse':
      return [`transaction\n${r.transactionId}`];
  }
}

function toAnswer(request: WalletRequest, result: OpResult): WalletAnswer {
  if (!result.ok) return { replayed: false, refused: result.code, details: { ...result.details } };
  return { replayed: false, refused: null, body: appliedBody(request, result) };
}
