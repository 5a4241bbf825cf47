import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientInfo } from '../capability.js';
import { RecordCache } from '../db/record-cache.js';
import { DomainError, InvalidRequest } from '../errors.js';
import type { ClientLimiter, RateRule } from '../limits/client-limiter.js';
import type { RedisClient } from '../redis/client.js';
import type { AccessGate } from '../tokens/access-gate.js';
import type { AccessClaims } from '../tokens/access-token.js';
import { etaSeconds, pollAfterMs, pollAfterMsBeforeOpening } from './domain/polling.js';
import { isHttpUrl, type NewRoomInput, resolveNewRoom } from './domain/room-config.js';
import { placeToIssued, SHUFFLE_ALGORITHM } from './domain/shuffle.js';
import type { RoomErrorCode } from './errors.js';
import type { Entrant, EntryClaims, EntryIdentities } from './identity.js';
import { roomKeys } from './keys.js';
import type { RoomChanges, RoomRecord, RoomRepository } from './repository.js';
import { placeOf, type RoomView, RoomViews } from './room-view.js';
import { type AdmissionStep, RoomScripts } from './scripts.js';
import { SeenTracker } from './seen-tracker.js';
import type { TicketIds } from './ticket-id.js';
import { decodeTicketEntry } from './ticket-status.js';

export type TicketState = 'waiting' | 'admitted' | 'expired' | 'left' | 'completed';

export interface TicketView {
  ticketId: string;
  state: TicketState;
  position: number | null;
  /** From the admission rate observed lately (the configured one until there is an observation); null while nobody moves. */
  etaSeconds: number | null;
  /** Why nobody moves now: the room opens at opensAt, is paused, or is full (every slot in use: people move as places free up). */
  waitingFor?: 'opening' | 'paused' | 'full';
  pollAfterMs: number;
  opensAt?: string;
  accessToken?: string;
  expiresAt?: string;
  targetUrl?: string;
}

export interface RoomStats {
  waiting: number;
  active: number;
  admittedTotal: number;
  observedAdmitPerSecond: number | null;
  oldestWaitSeconds: number | null;
  opened: boolean;
}

/** Largest number of queue places one admission step may examine (bounds the script's run time). */
const MAX_EXAMINED_PER_STEP = 5_000;
/** Polling interval of tickets that need no further polling (ended, or admitted with a token). */
const IDLE_POLL_MS = 30_000;
/** Tickets that left through this instance, remembered so their polls say so without Redis. */
const LEFT_MEMORY = 10_000;

export interface WaitingRoomDeps {
  redis: RedisClient;
  prefix: string;
  rooms: RoomRepository;
  access: AccessGate;
  identities: EntryIdentities;
  limits: ClientLimiter;
  ticketIds: TicketIds;
  roomCacheMs: number;
  /** Per-client limit of public entries for rooms created without their own. */
  defaultClientRate: RateRule;
}

const fail = (code: RoomErrorCode | 'invalid_token', details?: Record<string, unknown>) => new DomainError(code, details);

/** 32 random bytes, as a site's backend pastes it into its JWT library (HS256). */
const newIdentitySecret = () => randomBytes(32).toString('base64url');

export class WaitingRoomService {
  readonly views: RoomViews;
  readonly seen: SeenTracker;
  private readonly scripts: RoomScripts;
  private readonly leftHere = new Set<string>();
  private enteredRooms = new Set<string>();
  /** Set when this instance created a room, so its admission loop starts on it at once. */
  roomsChanged = false;

  /** Room records by id, for entries to rooms Redis lost (bounded, made-up ids cost nothing). */
  private readonly records: RecordCache<RoomRecord>;

  constructor(private readonly deps: WaitingRoomDeps) {
    this.records = new RecordCache((id) => deps.rooms.get(id), {
      ttlMs: 5_000,
      missTtlMs: 1_000,
      max: 10_000,
      unknownLookupsPerSecond: 20,
    });
    this.views = new RoomViews(deps.redis, deps.prefix, deps.roomCacheMs);
    this.seen = new SeenTracker(deps.redis, deps.prefix);
    this.scripts = new RoomScripts(deps.redis, deps.prefix);
  }

  // ── admin ────────────────────────────────────────────────────────────────────────────────────

  async createRoom(input: NewRoomInput): Promise<RoomRecord> {
    const config = resolveNewRoom(input, { clientRate: this.deps.defaultClientRate });
    if ('problem' in config) throw new InvalidRequest(config.problem);
    const record = await this.deps.rooms.insert(config, {
      shuffleSeed: randomBytes(16).toString('hex'),
      identitySecret: newIdentitySecret(),
    });
    if (!record) throw fail('room_exists');
    await this.writeConfig(record);
    this.records.set(record.id, record);
    this.roomsChanged = true;
    return record;
  }

  async updateRoom(roomId: string, changes: RoomChanges) {
    if (changes.targetUrl !== undefined && changes.targetUrl !== null && !isHttpUrl(changes.targetUrl))
      throw new InvalidRequest('targetUrl must be an http(s) URL');
    const record = await this.deps.rooms.update(roomId, changes);
    if (!record) throw fail('room_not_found');
    // The admission script reads the configuration on every step: effective at the next step.
    await this.writeConfig(record);
    this.views.forget(roomId);
    this.records.set(roomId, record);
    return record;
  }

  /** A new identity secret for the room: identity tokens signed with the old one are refused from now on. */
  async rotateIdentitySecret(roomId: string): Promise<RoomRecord> {
    const record = await this.deps.rooms.rotateIdentitySecret(roomId, newIdentitySecret());
    if (!record) throw fail('room_not_found');
    await this.writeConfig(record);
    this.views.forget(roomId);
    this.records.set(roomId, record);
    return record;
  }

  listRooms(options: { archived?: boolean } = {}): Promise<RoomRecord[]> {
    return this.deps.rooms.list(options);
  }

  /** Closes the room for good: no new entries, no admission; its record is kept, hidden from the default list. */
  async archiveRoom(roomId: string): Promise<RoomRecord> {
    const record = await this.deps.rooms.archive(roomId);
    if (!record) throw fail('room_not_found');
    await this.writeConfig(record);
    this.views.forget(roomId);
    this.records.set(roomId, record);
    this.roomsChanged = true;
    return record;
  }

  /** Deletes the room and its queue: refused while a campaign, show or term refers to it. */
  async deleteRoom(roomId: string): Promise<void> {
    const outcome = await this.deps.rooms.delete(roomId);
    if (outcome === 'missing') throw fail('room_not_found');
    if (outcome === 'in_use') throw fail('room_in_use');
    // One UNLINK: every key of a room shares its hash tag (one slot on a cluster).
    await this.deps.redis.unlink(...Object.values(roomKeys(this.deps.prefix, roomId)));
    this.views.forget(roomId);
    this.records.forget(roomId);
    this.roomsChanged = true;
  }

  async describeRoom(roomId: string) {
    const record = await this.deps.rooms.get(roomId);
    if (!record) throw fail('room_not_found');
    return this.describeRecord(record);
  }

  async describeRecord(record: RoomRecord) {
    const view = await this.restoredView(record);
    return { record, view, stats: await this.stats(view) };
  }

  /** Public, re-checkable description of the room's order. The seed is revealed only after opening. */
  static shuffleInfo(record: RoomRecord, view: RoomView) {
    const seedCommitment = createHash('sha256').update(record.shuffleSeed).digest('hex');
    if (record.prequeue !== 'shuffle') return null;
    return {
      algorithm: SHUFFLE_ALGORITHM,
      seedCommitment,
      ...(view.opened ? { seed: record.shuffleSeed, prequeueSize: view.prequeueSize } : {}),
    };
  }

  /**
   * Copies the room's configuration into Redis. Also used to restore a room whose Redis state was
   * lost: the configuration comes back, the queue starts empty.
   */
  async writeConfig(record: RoomRecord): Promise<void> {
    const keys = roomKeys(this.deps.prefix, record.id);
    // A room without opensAt is open from the start, with an empty pre-queue.
    if (!record.opensAt) await this.deps.redis.hsetnx(keys.st, 'opened', 1);
    await this.deps.redis.hset(keys.cfg, {
      admitPerSecond: record.admitPerSecond,
      maxActive: record.maxActive,
      sessionMs: record.sessionSeconds * 1000,
      maxExtensions: record.maxExtensions,
      arrivalMs: record.arrivalSeconds * 1000,
      abandonMs: (record.abandonAfterSeconds ?? 0) * 1000,
      opensAt: record.opensAt?.getTime() ?? 0,
      prequeue: record.prequeue,
      seed: record.shuffleSeed,
      paused: record.paused ? 1 : 0,
      targetUrl: record.targetUrl ?? '',
      identitySecret: record.identitySecret,
      ratePerSecond: record.clientRate?.perSecond ?? 0,
      rateBurst: record.clientRate?.burst ?? 0,
      archived: record.archivedAt ? 1 : 0,
    });
  }

  private async restoredView(record: RoomRecord): Promise<RoomView> {
    let view = await this.views.get(record.id, { fresh: true });
    if (!view) {
      await this.writeConfig(record);
      view = (await this.views.get(record.id, { fresh: true }))!;
    }
    return view;
  }

  private async stats(view: RoomView): Promise<RoomStats> {
    let oldestWaitSeconds: number | null = null;
    if (view.issued > view.served && view.opened) {
      const front = view.served + 1;
      const ticketNo =
        view.prequeue === 'shuffle' && front <= view.prequeueSize ? placeToIssued(front, view.prequeueSize, view.seed) : front;
      const ticket = await this.deps.redis.hget(roomKeys(this.deps.prefix, view.roomId).tickets, String(ticketNo));
      if (ticket) oldestWaitSeconds = Math.max(0, (Date.now() - decodeTicketEntry(ticket).enteredAt) / 1000);
    }
    return {
      waiting: Math.max(0, view.issued - view.served - view.leftWaiting),
      active: view.active,
      admittedTotal: view.admittedTotal,
      observedAdmitPerSecond: view.rate.perSecond(),
      oldestWaitSeconds,
      opened: view.opened,
    };
  }

  // ── public ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Who is entering (identity.ts: a backend's named user, a site's identity token, or an anonymous
   * visitor's cookie), after the room's per-client limit for everyone but backends.
   */
  async entrant(roomId: string, headers: IncomingHttpHeaders, claims: EntryClaims, client: ClientInfo): Promise<Entrant> {
    const view = this.views.peek(roomId) ?? (await this.views.get(roomId)) ?? (await this.restore(roomId));
    if (view.archived) throw fail('room_closed');
    if (claims.userId === undefined && view.clientRate) {
      const admission = this.deps.limits.take(`room:${roomId}`, client.ip, view.clientRate);
      if (!admission.ok) throw new DomainError('rate_limited', undefined, { retryAfterSeconds: admission.retryAfterSeconds });
    }
    return this.deps.identities.entrant(view, headers, claims, client);
  }

  /** A room Redis does not hold (lost it, or a made-up id): its configuration rewritten from the record, or room_not_found. */
  private async restore(roomId: string): Promise<RoomView> {
    const record = await this.records.get(roomId);
    if (!record) throw fail('room_not_found');
    await this.writeConfig(record);
    const view = await this.views.get(roomId, { fresh: true });
    if (!view) throw fail('room_not_found');
    return view;
  }

  async enter(roomId: string, userId: string): Promise<{ created: boolean; ticket: TicketView }> {
    let reply = await this.scripts.enter.add(roomId, userId);
    if (reply.kind === 'room_missing') {
      // Redis may have lost the room (restart, flush): restore it from the record and retry once.
      await this.restore(roomId);
      reply = await this.scripts.enter.add(roomId, userId);
      if (reply.kind === 'room_missing') throw fail('room_not_found');
    }
    const { batch, entry } = reply;
    // Marked once the ticket is in Redis, so the admission step this wakes up sees it.
    this.enteredRooms.add(roomId);
    const view = this.views.peek(roomId) ?? (await this.views.get(roomId));
    if (!view) throw fail('room_not_found');
    // The script's counters are fresher than the cached view: use them for this answer.
    const current: RoomView = {
      ...view,
      served: Math.max(view.served, batch.served),
      opened: batch.opened,
      prequeueSize: batch.prequeueSize,
    };
    const ticket = entry.status === '' ? this.waitingOrUnknown(current, entry.ticketNo) : null;
    return { created: entry.created, ticket: ticket ?? (await this.fromRedis(current, entry.ticketNo)) };
  }

  async poll(roomId: string, ticketId: string): Promise<TicketView> {
    const ticketNo = this.deps.ticketIds.decode(roomId, ticketId);
    let view = await this.views.get(roomId);
    if (!view) throw fail('room_not_found');
    if (ticketNo === null) throw fail('ticket_not_found');
    if (ticketNo > view.issued) {
      view = await this.views.get(roomId, { fresh: true });
      if (!view || ticketNo > view.issued) throw fail('ticket_not_found');
    }
    if (this.leftHere.has(ticketId)) return this.ended(ticketId, 'left');
    return this.waitingOrUnknown(view, ticketNo, ticketId) ?? (await this.fromRedis(view, ticketNo));
  }

  /**
   * A poll answered from this instance's memory alone, or null when that is not possible (no fresh
   * counters, unknown ticket, ticket at or past the front): the caller then takes the full path.
   */
  pollFromCache(roomId: string, ticketId: string): TicketView | null {
    const view = this.views.peek(roomId);
    if (!view || this.leftHere.has(ticketId)) return null;
    const ticketNo = this.deps.ticketIds.decode(roomId, ticketId);
    if (ticketNo === null || ticketNo > view.issued) return null;
    return this.waitingOrUnknown(view, ticketNo, ticketId);
  }

  /**
   * The hot path: a ticket whose place is behind the front is answered from the cached counters.
   * Null when the ticket may be past the front, which only Redis can tell.
   */
  private waitingOrUnknown(view: RoomView, ticketNo: number, knownTicketId?: string): TicketView | null {
    if (view.left.has(ticketNo)) return this.ended(knownTicketId ?? this.deps.ticketIds.encode(view.roomId, ticketNo), 'left');
    const place = placeOf(view, ticketNo);
    if (view.opened && place !== null && place <= view.served) return null;
    // Poll times only matter to rooms that expire abandoned tickets.
    if (view.abandonAfterSeconds !== null) this.seen.mark(view.roomId, ticketNo);
    const rate = view.rate.perSecond() || view.admitPerSecond;
    const ticketId = knownTicketId ?? this.deps.ticketIds.encode(view.roomId, ticketNo);
    if (!view.opened) {
      const untilOpen = Math.max(0, (view.opensAt - Date.now()) / 1000);
      const eta = place === null ? null : Math.ceil(untilOpen) + etaSeconds(place, rate);
      // The expected wait runs to the person's own turn, not to the opening: a large FIFO
      // pre-queue would otherwise poll about once a second each around opensAt. (A shuffled
      // pre-queue has no places before opening; its polls are spread by the jitter only.)
      const wait = place === null ? untilOpen : untilOpen + place / rate;
      return {
        ticketId,
        state: 'waiting',
        position: place,
        etaSeconds: eta,
        pollAfterMs: pollAfterMsBeforeOpening(wait, view.abandonAfterSeconds),
        opensAt: new Date(view.opensAt).toISOString(),
        waitingFor: 'opening',
      };
    }
    const position = place! - view.served;
    const { eta, waitingFor } = WaitingRoomService.eta(view, position);
    return {
      ticketId,
      state: 'waiting',
      position,
      etaSeconds: eta,
      pollAfterMs: pollAfterMs(position, position / rate, view.abandonAfterSeconds),
      ...(waitingFor ? { waitingFor } : {}),
    };
  }

  private async fromRedis(view: RoomView, ticketNo: number): Promise<TicketView> {
    const session = await this.scripts.session(view.roomId, ticketNo);
    const ticketId = this.deps.ticketIds.encode(view.roomId, ticketNo);
    switch (session.kind) {
      case 'unknown':
        throw fail('ticket_not_found');
      case 'waiting': {
        // Not yet passed by admission although the cached counters said so: answer from fresh ones.
        const fresh = await this.views.get(view.roomId, { fresh: true });
        return (fresh && this.waitingOrUnknown(fresh, ticketNo)) ?? this.atFront(view, ticketId);
      }
      case 'session': {
        const accessToken = this.deps.access.issue({
          roomId: view.roomId,
          userId: session.userId,
          ticketId,
          extensions: session.extensions,
          issuedAt: session.issuedAt,
          expiresAt: session.expiresAt,
        });
        return {
          ticketId,
          state: 'admitted',
          position: 0,
          etaSeconds: 0,
          pollAfterMs: IDLE_POLL_MS,
          accessToken,
          expiresAt: new Date(session.expiresAt).toISOString(),
          ...(view.targetUrl ? { targetUrl: view.targetUrl } : {}),
        };
      }
      default:
        return this.ended(ticketId, session.kind);
    }
  }

  /**
   * What someone `position` places from the front is told. The ETA follows the admission rate
   * observed lately (the configured one until there is an observation). A paused room moves
   * nobody: no ETA. A full room moves as places free up: it says so, with an ETA only while it
   * has lately been admitting.
   */
  static eta(view: RoomView, position: number): { eta: number | null; waitingFor: 'paused' | 'full' | null } {
    const observed = view.rate.perSecond();
    const waitingFor = view.paused ? 'paused' : view.active >= view.maxActive ? 'full' : null;
    const rate = view.paused ? null : waitingFor === 'full' ? observed || null : observed || view.admitPerSecond;
    return { eta: rate === null ? null : etaSeconds(position, rate), waitingFor };
  }

  private atFront(view: RoomView, ticketId: string): TicketView {
    return {
      ticketId,
      state: 'waiting',
      position: 1,
      etaSeconds: etaSeconds(1, view.admitPerSecond),
      pollAfterMs: pollAfterMs(1, null, view.abandonAfterSeconds),
    };
  }

  private ended(ticketId: string, state: TicketState): TicketView {
    return { ticketId, state, position: null, etaSeconds: null, pollAfterMs: IDLE_POLL_MS };
  }

  async leave(roomId: string, ticketId: string): Promise<void> {
    const ticketNo = await this.knownTicket(roomId, ticketId);
    await this.scripts.end(roomId, { ticketNo, final: 'left', onlySession: false });
    if (this.leftHere.size >= LEFT_MEMORY) this.leftHere.clear();
    this.leftHere.add(ticketId);
  }

  async extend(roomId: string, token: string | null): Promise<{ accessToken: string; expiresAt: string; extensions: number }> {
    const { claims, ticketNo } = this.sessionToken(roomId, token);
    const extension = await this.scripts.extend(roomId, ticketNo, claims.extensions);
    switch (extension.kind) {
      case 'not_active':
        throw fail('session_not_active');
      case 'superseded':
        throw fail('invalid_token', { reason: 'superseded' });
      case 'limit_reached':
        throw fail('extension_limit');
    }
    const { issuedAt, expiresAt, extensions } = extension;
    const accessToken = this.deps.access.issue({ ...claims, issuedAt, expiresAt, extensions });
    return { accessToken, expiresAt: new Date(expiresAt).toISOString(), extensions };
  }

  async complete(roomId: string, token: string | null): Promise<void> {
    const { ticketNo } = this.sessionToken(roomId, token);
    const result = await this.scripts.end(roomId, { ticketNo, final: 'completed', onlySession: true });
    if (result !== 'ended') throw fail('session_not_active');
  }

  /** Offline checks, then the session must be live in Redis and this its newest token. */
  verify(token: string, roomId?: string): Promise<AccessClaims | null> {
    return this.deps.access.verify(token, roomId);
  }

  private sessionToken(roomId: string, token: string | null) {
    if (!token) throw fail('invalid_token', { reason: 'missing' });
    const claims = this.deps.access.verifyOffline(token, roomId);
    if (!claims) throw fail('invalid_token');
    const ticketNo = this.deps.ticketIds.decode(roomId, claims.ticketId);
    if (ticketNo === null) throw fail('invalid_token');
    return { claims, ticketNo };
  }

  private async knownTicket(roomId: string, ticketId: string): Promise<number> {
    const view = await this.views.get(roomId);
    if (!view) throw fail('room_not_found');
    const ticketNo = this.deps.ticketIds.decode(roomId, ticketId);
    if (ticketNo === null) throw fail('ticket_not_found');
    if (ticketNo > view.issued) {
      const fresh = await this.views.get(roomId, { fresh: true });
      if (!fresh || ticketNo > fresh.issued) throw fail('ticket_not_found');
    }
    return ticketNo;
  }

  // ── background ───────────────────────────────────────────────────────────────────────────────

  /**
   * One admission step for a room; safe to run from any number of instances at once. Null when
   * Redis does not hold the room (its configuration must be restored).
   */
  async admit(roomId: string): Promise<AdmissionStep | null> {
    const step = await this.scripts.admit(roomId, MAX_EXAMINED_PER_STEP);
    return step.kind === 'room_missing' ? null : step;
  }

  /** The rooms entered through this instance since the last call (their admission is due at once). */
  takeEnteredRooms(): Set<string> {
    const rooms = this.enteredRooms;
    this.enteredRooms = new Set();
    return rooms;
  }
}
