import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { type DurableLog, PersistencePending, PersistenceRefused } from '../durable/log.js';
import type { RebuildSteps, Rebuilds } from '../durable/rebuild.js';
import { DomainError, InvalidRequest } from '../errors.js';
import type { OutboxPort } from '../outbox/port.js';
import { KeyedBatcher } from '../redis/batcher.js';
import type { RedisClient } from '../redis/client.js';
import type { KnownShow, ShowDirectory } from './directory.js';
import { type NewShowInput, resolveNewShow, salesWindow } from './domain/show-config.js';
import { seatState } from './domain/show-state.js';
import { compileVenue, type SeatRef, together, type VenueInput } from './domain/venue-layout.js';
import { decodeLogEntry, type SeatLogEntry } from './log-entry.js';
import type { BookingRecord, SeatRepository, ShowRecord, VenueRecord } from './repository.js';
import type { Actor, HoldDecision, HoldRequest, ShowScripts, StateMissing } from './scripts.js';
import { SeatMaps } from './seat-map.js';

/** How long the record of an expired or confirmed hold is kept, for a late or repeated confirm. */
export const GONE_RETENTION_MS = 24 * 3_600_000;
/** Holds one expiry run takes at most (it runs again at once when it took that many). */
const EXPIRE_BATCH = 1_000;
/** Every show is checked for due holds at least this often, whoever made them. */
const EXPIRY_CHECK_MS = 1_000;
/** How long a repeated confirm waits for the booking it replays to be committed (by its first request, maybe elsewhere). */
const REPLAY_WAIT_MS = 1_500;

export type HoldSpec = { seats: string[] } | { best: { count: number; category?: string; accessible?: boolean } };

export type HoldOutcome =
  | { kind: 'held'; holdId: string; seats: string[]; together: boolean; expiresAt: string }
  | { kind: 'seats_unavailable'; seats: string[] }
  | { kind: 'seat_limit'; limit: number; seatsAlready: number }
  | { kind: 'sold_out' }
  | { kind: 'not_open'; opensAt: string }
  | { kind: 'sales_closed' }
  | { kind: 'rebuilding' };

export type ConfirmOutcome =
  | { kind: 'confirmed' | 'pending'; booking: { bookingId: string; seats: string[] } }
  | { kind: 'hold_expired'; lost: string[] }
  | { kind: 'seat_limit'; limit: number; seatsAlready: number }
  | { kind: 'hold_not_found' }
  | { kind: 'already_confirmed'; bookingId: string }
  | { kind: 'idempotency_key_reused' }
  | { kind: 'refused' }
  | { kind: 'booking_pending' }
  | { kind: 'rebuilding' };

export interface SeatsDeps {
  redis: RedisClient;
  repository: SeatRepository;
  directory: ShowDirectory;
  scripts: ShowScripts;
  durable: DurableLog<SeatLogEntry>;
  rebuilds: Rebuilds;
  outbox: OutboxPort;
  clock: Clock;
  onHold(showId: string, result: HoldOutcome['kind']): void;
}

/**
 * Hold and booking ids: 12 random bytes each, taken from a pool filled 4 KB at a time (one
 * randomBytes call per id was ~3% of a refused hold's CPU in a profile of the seed 003 load).
 */
let pool = randomBytes(4096);
let used = 0;
function newId(prefix: string): string {
  if (used + 12 > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  used += 12;
  return `${prefix}_${pool.subarray(used - 12, used).toString('base64url')}`;
}

export class SeatsService {
  readonly maps: SeatMaps;
  /** Holds on one show arriving in the same turn of the event loop share one script run. */
  private readonly holds: KeyedBatcher<string, HoldRequest, HoldDecision | StateMissing>;
  /** When each show has holds due, as far as this instance knows (its own holds; others' within EXPIRY_CHECK_MS). */
  private readonly nextDue = new Map<string, number>();

  constructor(private readonly deps: SeatsDeps) {
    this.maps = new SeatMaps(deps.redis, deps.scripts, (showId) => this.startRebuild(showId));
    this.holds = new KeyedBatcher<string, HoldRequest, HoldDecision | StateMissing>(async (showId, requests) => {
      const batch = await deps.scripts.hold(showId, deps.clock.now(), requests);
      return batch.kind === 'state_missing' ? requests.map(() => batch) : batch.decisions;
    });
  }

  get directory(): ShowDirectory {
    return this.deps.directory;
  }

  // ── venues and shows ─────────────────────────────────────────────────────────────────────────

  async createVenue(input: VenueInput): Promise<VenueRecord> {
    const layout = compileVenue(input);
    if ('problem' in layout) throw new InvalidRequest(layout.problem);
    const record = await this.deps.repository.insertVenue(layout);
    if (!record) throw new DomainError('venue_exists');
    return record;
  }

  async getVenue(venueId: string): Promise<VenueRecord> {
    const record = await this.deps.repository.getVenue(venueId);
    if (!record) throw new DomainError('venue_not_found');
    return record;
  }

  /**
   * Creates a show: its seat state is written to Redis first, then the record to PostgreSQL.
   * In that order no request can find the show before its state is ready (which would start a
   * rebuild racing the creation).
   */
  async createShow(input: NewShowInput): Promise<ShowRecord> {
    const config = resolveNewShow(input);
    if ('problem' in config) throw new InvalidRequest(config.problem);
    if (await this.deps.repository.getShow(config.id)) throw new DomainError('show_exists');
    const layout = await this.deps.directory.venue(config.venueId);
    if (!layout) throw new DomainError('venue_not_found');
    await this.writeState({ show: { ...config, createdAt: new Date() }, layout }, [], [], '');
    const record = await this.deps.repository.insertShow(config);
    if (!record) throw new DomainError('show_exists');
    this.deps.directory.remember({ show: record, layout });
    return record;
  }

  listShows(): Promise<ShowRecord[]> {
    return this.deps.repository.listShows();
  }

  async show(showId: string): Promise<KnownShow> {
    const known = await this.deps.directory.get(showId);
    if (!known) throw new DomainError('show_not_found');
    return known;
  }

  /** Free, held and sold seats per category (the live counters), or null while the state is being restored. */
  async counts(known: KnownShow): Promise<Record<string, { free: number; held: number; sold: number }> | null> {
    const st = await this.deps.redis.hgetall(this.deps.scripts.keys(known.show.id).st);
    if (st.ready !== '1') {
      this.startRebuild(known.show.id);
      return null;
    }
    return Object.fromEntries(
      known.layout.categories.map((c) => [
        c,
        { free: Number(st[`f:${c}`] ?? 0), held: Number(st[`h:${c}`] ?? 0), sold: Number(st[`s:${c}`] ?? 0) },
      ]),
    );
  }

  // ── holds ────────────────────────────────────────────────────────────────────────────────────

  async hold(known: KnownShow, buyer: { userId: string; partnerId: string }, spec: HoldSpec): Promise<HoldOutcome> {
    const outcome = await this.decideHold(known, buyer, spec);
    this.deps.onHold(known.show.id, outcome.kind);
    return outcome;
  }

  private async decideHold(known: KnownShow, buyer: { userId: string; partnerId: string }, spec: HoldSpec): Promise<HoldOutcome> {
    const { show, layout } = known;
    const now = this.deps.clock.now();
    const window = salesWindow(show, now);
    if (window === 'not_open') return { kind: 'not_open', opensAt: show.salesOpenAt!.toISOString() };
    if (window === 'closed') return { kind: 'sales_closed' };
    const holdId = newId('hd');
    let request: HoldRequest;
    if ('seats' in spec) {
      const refs: SeatRef[] = [];
      const seen = new Set<string>();
      for (const seatId of spec.seats) {
        const ref = layout.seat(seatId);
        if (!ref) throw new InvalidRequest(`seat "${seatId}" is not a seat of this show's venue`);
        const key = `${ref.row}:${ref.pos}`;
        if (seen.has(key)) throw new InvalidRequest(`seat "${seatId}" is given twice`);
        seen.add(key);
        refs.push(ref);
      }
      request = { holdId, ...buyer, mode: 'chosen', seats: refs };
    } else {
      const { count, category, accessible } = spec.best;
      if (category !== undefined && !layout.categories.includes(category)) {
        throw new InvalidRequest(`category "${category}" is not a category of this show's venue (${layout.categories.join(', ')})`);
      }
      request = { holdId, ...buyer, mode: 'best', count, category: category ?? null, accessible: accessible === true };
    }
    const decision = await this.holds.add(show.id, request);
    switch (decision.kind) {
      case 'state_missing':
        this.startRebuild(show.id);
        return { kind: 'rebuilding' };
      case 'seats_unavailable':
        return { kind: 'seats_unavailable', seats: decision.seats.map((s) => layout.seatId(s)) };
      case 'seat_limit':
        return { kind: 'seat_limit', limit: show.maxSeatsPerUser, seatsAlready: decision.seatsAlready };
      case 'sold_out':
        return { kind: 'sold_out' };
      case 'held':
        this.expectExpiry(show.id, decision.expiresAt);
        return {
          kind: 'held',
          holdId,
          seats: decision.seats.map((s) => layout.seatId(s)),
          together: together(decision.seats),
          expiresAt: new Date(decision.expiresAt).toISOString(),
        };
    }
  }

  async extend(known: KnownShow, holdId: string, actor: Actor): Promise<{ holdId: string; expiresAt: string; extensions: number }> {
    const result = await this.deps.scripts.extend(known.show.id, this.deps.clock.now(), holdId, actor);
    switch (result.kind) {
      case 'state_missing':
        this.startRebuild(known.show.id);
        throw new DomainError('rebuilding');
      case 'extended':
        this.expectExpiry(known.show.id, result.expiresAt);
        return { holdId, expiresAt: new Date(result.expiresAt).toISOString(), extensions: result.extensions };
      case 'hold_expired':
        throw new DomainError('hold_expired', { seats: [] });
      default:
        throw new DomainError(result.kind);
    }
  }

  async release(known: KnownShow, holdId: string, actor: Actor): Promise<void> {
    const result = await this.deps.scripts.release(known.show.id, holdId, actor);
    if (result.kind === 'state_missing') {
      this.startRebuild(known.show.id);
      throw new DomainError('rebuilding');
    }
    if (result.kind === 'hold_not_found') throw new DomainError('hold_not_found');
  }

  // ── confirm and bookings ─────────────────────────────────────────────────────────────────────

  async confirm(known: KnownShow, holdId: string, actor: Actor, idempotencyKey: string): Promise<ConfirmOutcome> {
    const { show, layout } = known;
    const now = this.deps.clock.now();
    const decision = await this.deps.scripts.confirm(show.id, now, holdId, actor, idempotencyKey, newId('bk'));
    switch (decision.kind) {
      case 'state_missing':
        this.startRebuild(show.id);
        return { kind: 'rebuilding' };
      case 'replayed':
        return this.replay(show.id, decision.bookingId);
      case 'seat_limit':
        return { kind: 'seat_limit', limit: show.maxSeatsPerUser, seatsAlready: decision.seatsAlready };
      case 'hold_expired':
        return { kind: 'hold_expired', lost: decision.lost.map((s) => layout.seatId(s)) };
      case 'hold_not_found':
      case 'idempotency_key_reused':
        return { kind: decision.kind };
      case 'already_confirmed':
        return { kind: 'already_confirmed', bookingId: decision.bookingId };
      case 'booked':
        break;
    }
    // As the script logged it: the hold's user and partner (an operator may confirm a partner's hold).
    const entry: SeatLogEntry = {
      kind: 'booking',
      showId: show.id,
      bookingId: decision.bookingId,
      holdId,
      userId: decision.userId,
      partnerId: decision.partnerId,
      confirmedBy: actor.kind === 'user' ? `u:${actor.userId}` : actor.kind === 'partner' ? `p:${actor.partnerId}` : 'a:',
      idempotencyKey,
      seats: decision.seats,
      confirmedAt: now,
      late: decision.late,
    };
    const booking = { bookingId: decision.bookingId, seats: decision.seats.map((s) => layout.seatId(s)) };
    try {
      await this.deps.durable.commit({ entity: show.id, logId: decision.logId, entry });
      return { kind: 'confirmed', booking };
    } catch (err) {
      if (err instanceof PersistencePending) return { kind: 'pending', booking };
      if (err instanceof PersistenceRefused) return { kind: 'refused' };
      throw err;
    }
  }

  /** A confirm repeated with its Idempotency-Key: the booking it made, once committed. */
  private async replay(showId: string, bookingId: string): Promise<ConfirmOutcome> {
    const deadline = Date.now() + REPLAY_WAIT_MS;
    for (;;) {
      const booking = await this.deps.repository.getBooking(showId, bookingId);
      if (booking) return { kind: 'confirmed', booking: { bookingId, seats: booking.seats } };
      if (Date.now() > deadline) return { kind: 'booking_pending' };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A booking from PostgreSQL, or, accepted but not committed yet, from Redis ('pending'). */
  async booking(
    known: KnownShow,
    bookingId: string,
  ): Promise<(Omit<BookingRecord, 'status'> & { status: BookingRecord['status'] | 'pending' }) | null> {
    // PostgreSQL unreachable: what Redis knows (an accepted booking is there until it is cancelled).
    const stored = await this.deps.repository.getBooking(known.show.id, bookingId).catch(() => null);
    if (stored) return stored;
    const raw = await this.deps.redis.hget(this.deps.scripts.keys(known.show.id).bookings, bookingId);
    if (!raw) return null;
    const live = JSON.parse(raw) as { u: string; p: string; s: string };
    return {
      bookingId,
      showId: known.show.id,
      holdId: '',
      userId: live.u,
      partnerId: live.p || null,
      confirmedBy: '',
      idempotencyKey: '',
      seats: (live.s ? live.s.split(',') : []).map((pair) => {
        const [row, pos] = pair.split(':').map(Number);
        return known.layout.seatId({ row: row!, pos: pos! });
      }),
      late: false,
      status: 'pending',
      confirmedAt: new Date(0),
      cancelledAt: null,
    };
  }

  /**
   * Cancels a booking: in PostgreSQL first (with its webhook), then its seats are freed in Redis.
   * Repeating it is harmless (and frees the seats if a first attempt stopped in between).
   */
  async cancel(known: KnownShow, bookingId: string, partnerId: string | null): Promise<void> {
    const existing = await this.deps.repository.getBooking(known.show.id, bookingId);
    if (!existing || (partnerId !== null && existing.partnerId !== partnerId)) {
      const pending = await this.deps.redis.hexists(this.deps.scripts.keys(known.show.id).bookings, bookingId);
      if (!existing && pending) throw new DomainError('booking_pending');
      throw new DomainError('booking_not_found');
    }
    await this.deps.repository.cancelBooking(known.show.id, bookingId, this.deps.outbox, known.show.webhookUrl);
    const freed = await this.deps.scripts.cancel(known.show.id, bookingId);
    if (freed.kind === 'state_missing') this.startRebuild(known.show.id);
  }

  // ── expiry ───────────────────────────────────────────────────────────────────────────────────

  private expectExpiry(showId: string, at: number): void {
    const due = this.nextDue.get(showId);
    if (due === undefined || at < due) this.nextDue.set(showId, at);
  }

  /**
   * Frees the seats of holds whose time has come, on every show that has some due (as far as this
   * instance knows), and every show at least once a second. Every instance runs it; each hold is
   * expired once.
   */
  async expireDue(showIds: readonly string[]): Promise<number> {
    let expired = 0;
    const now = this.deps.clock.now();
    for (const showId of showIds) {
      const due = this.nextDue.get(showId);
      if (due !== undefined && due > now) continue;
      const result = await this.deps.scripts.expire(showId, now, EXPIRE_BATCH, GONE_RETENTION_MS);
      if (result.kind === 'state_missing') {
        this.nextDue.set(showId, now + EXPIRY_CHECK_MS);
        continue;
      }
      expired += result.expired;
      const next = result.expired >= EXPIRE_BATCH ? now : Math.min(result.nextExpiry ?? Infinity, now + EXPIRY_CHECK_MS);
      this.nextDue.set(showId, next);
      for (const { logId, value } of result.logged) {
        this.deps.durable.commit({ entity: showId, logId, entry: decodeLogEntry(showId, value) }).catch(() => {
          // Left in the log: the sweeper persists it.
        });
      }
    }
    return expired;
  }

  // ── state ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Writes a show's whole seat state, its bookings' seats sold and every other seat free: at
   * creation (no bookings, no lease) and at a rebuild.
   */
  async writeState(
    known: KnownShow,
    bookings: readonly BookingRecord[],
    idem: Awaited<ReturnType<SeatRepository['idempotencyKeys']>>,
    leaseToken: string,
  ): Promise<boolean> {
    const { show, layout } = known;
    const redis = this.deps.redis;
    const k = this.deps.scripts.keys(show.id);
    const sold: SeatRef[] = [];
    const users = new Map<string, number>();
    const live: Array<[string, string]> = [];
    for (const b of bookings) {
      const refs = b.seats.map((id) => layout.seat(id)).filter((r): r is SeatRef => r !== null);
      sold.push(...refs);
      users.set(b.userId, (users.get(b.userId) ?? 0) + refs.length);
      live.push([b.bookingId, JSON.stringify({ u: b.userId, p: b.partnerId ?? '', s: refs.map((r) => `${r.row}:${r.pos}`).join(',') })]);
    }
    const state = seatState(layout, sold);
    // The state is not ready while these are written (st is rewritten last): no decision is made on partial data.
    await redis.hdel(k.st, 'ready');
    await redis.del(k.rows, k.runs, k.layout, k.holds, k.exp, k.users, k.gone, k.gonez, k.idem, k.bookings);
    const chunks = async (key: string, pairs: ReadonlyArray<readonly [string | number, string | Buffer]>) => {
      for (let i = 0; i < pairs.length; i += 1000) await redis.hset(key, ...pairs.slice(i, i + 1000).flat());
    };
    await chunks(k.rows, state.rows);
    await chunks(k.runs, state.runs);
    await chunks(k.layout, state.layout);
    await chunks(
      k.users,
      [...users].map(([u, n]) => [u, String(n)] as const),
    );
    await chunks(k.bookings, live);
    await chunks(
      k.idem,
      idem.map((i) => [`${i.confirmedBy}\n${i.idempotencyKey}`, `${i.bookingId}|${i.holdId}`] as const),
    );
    return this.deps.scripts.restore(show.id, leaseToken, {
      holdMs: show.holdSeconds * 1000,
      maxExt: show.maxHoldExtensions,
      maxPerUser: show.maxSeatsPerUser,
      hook: show.webhookUrl ? 1 : 0,
      ...state.counters,
    });
  }

  /** Starts rebuilding a show's Redis state from PostgreSQL (once per instance at a time). */
  startRebuild(showId: string): void {
    this.deps.rebuilds.start(showId, () => this.rebuildSteps(showId));
  }

  /** Rebuilds a show's state after Redis lost it (see durable/rebuild.ts); true once restored. */
  rebuild(showId: string): Promise<boolean> {
    return this.deps.rebuilds.run(showId, this.rebuildSteps(showId));
  }

  private rebuildSteps(showId: string): RebuildSteps {
    const k = this.deps.scripts.keys(showId);
    let known: KnownShow | null = null;
    return {
      leaseKey: k.rebuild,
      begin: async () => {
        known = await this.deps.directory.fresh(showId);
        if (!known) return false;
        // No decision is made until the restore marks the state ready again.
        await this.deps.redis.hdel(k.st, 'ready');
        return true;
      },
      restore: async (leaseToken) => {
        const [bookings, idem] = await Promise.all([
          this.deps.repository.liveBookings(showId),
          this.deps.repository.idempotencyKeys(showId),
        ]);
        const restored = await this.writeState(known!, bookings, idem, leaseToken);
        this.nextDue.delete(showId);
        return restored;
      },
    };
  }
}
