import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../http/errors.js';
import type { KeyedBatcher } from '../redis/batcher.js';
import type { AccessClaims, AccessTokens } from '../tokens/access-token.js';
import { etaSeconds, pollAfterMs, pollAfterMsBeforeOpening } from './domain/polling.js';
import { type NewRoomInput, resolveNewRoom } from './domain/room-config.js';
import { placeToIssued, SHUFFLE_ALGORITHM } from './domain/shuffle.js';
import { type EntryReply, entryBatcher } from './entry-batcher.js';
import { roomKeys } from './keys.js';
import type { RoomRecord, RoomRepository } from './repository.js';
import { placeOf, type RoomView, RoomViews } from './room-view.js';
import { roomScripts } from './scripts.js';
import { SeenTracker } from './seen-tracker.js';
import { type Ending, finishBatcher, type SessionReply, sessionBatcher } from './ticket-batchers.js';
import type { TicketIds } from './ticket-id.js';

export type TicketState = 'waiting' | 'admitted' | 'expired' | 'left' | 'completed';

export interface TicketView {
  ticketId: string;
  state: TicketState;
  position: number | null;
  etaSeconds: number | null;
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
  redis: Redis;
  prefix: string;
  rooms: RoomRepository;
  tokens: AccessTokens;
  ticketIds: TicketIds;
  roomCacheMs: number;
}

export class WaitingRoomService {
  readonly views: RoomViews;
  readonly seen: SeenTracker;
  private readonly entries: KeyedBatcher<string, string, EntryReply | null>;
  private readonly sessions: KeyedBatcher<string, number, SessionReply>;
  private readonly endings: KeyedBatcher<string, Ending, number>;
  private readonly leftHere = new Set<string>();
  private enteredRooms = new Set<string>();
  /** Set when this instance created a room, so its admission loop starts on it at once. */
  roomsChanged = false;

  constructor(private readonly deps: WaitingRoomDeps) {
    this.views = new RoomViews(deps.redis, deps.prefix, deps.roomCacheMs);
    this.seen = new SeenTracker(deps.redis, deps.prefix);
    this.entries = entryBatcher(deps.redis, deps.prefix);
    this.sessions = sessionBatcher(deps.redis, deps.prefix);
    this.endings = finishBatcher(deps.redis, deps.prefix);
  }

  // ── admin ────────────────────────────────────────────────────────────────────────────────────

  async createRoom(input: NewRoomInput): Promise<RoomRecord> {
    const config = resolveNewRoom(input);
    if ('problem' in config) throw new AppError('invalid_request', config.problem);
    const record = await this.deps.rooms.insert(config, randomBytes(16).toString('hex'));
    if (!record) throw new AppError('room_exists');
    await this.writeConfig(record);
    this.roomsChanged = true;
    return record;
  }

  async updateRoom(roomId: string, changes: { admitPerSecond?: number; maxActive?: number; paused?: boolean }) {
    const record = await this.deps.rooms.update(roomId, changes);
    if (!record) throw new AppError('room_not_found');
    // The admission script reads the configuration on every step: effective at the next step.
    await this.writeConfig(record);
    this.views.forget(roomId);
    return record;
  }

  listRooms(): Promise<RoomRecord[]> {
    return this.deps.rooms.list();
  }

  async describeRoom(roomId: string) {
    const record = await this.deps.rooms.get(roomId);
    if (!record) throw new AppError('room_not_found');
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
      if (ticket) oldestWaitSeconds = Math.max(0, (Date.now() - Number(ticket.split('|')[0])) / 1000);
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

  async enter(roomId: string, userId: string): Promise<{ created: boolean; ticket: TicketView }> {
    let reply = await this.entries.add(roomId, userId);
    if (!reply) {
      // Redis may have lost the room (restart, flush): restore it from the record and retry once.
      const record = await this.deps.rooms.get(roomId);
      if (!record) throw new AppError('room_not_found');
      await this.writeConfig(record);
      reply = await this.entries.add(roomId, userId);
      if (!reply) throw new AppError('room_not_found');
    }
    // Marked once the ticket is in Redis, so the admission step this wakes up sees it.
    this.enteredRooms.add(roomId);
    const view = this.views.peek(roomId) ?? (await this.views.get(roomId));
    if (!view) throw new AppError('room_not_found');
    // The script's counters are fresher than the cached view: use them for this answer.
    const current: RoomView = {
      ...view,
      served: Math.max(view.served, reply.served),
      opened: reply.opened,
      prequeueSize: reply.prequeueSize,
    };
    const ticket = reply.status === '' ? this.waitingOrUnknown(current, reply.ticketNo) : null;
    return { created: reply.created, ticket: ticket ?? (await this.fromRedis(current, reply.ticketNo)) };
  }

  async poll(roomId: string, ticketId: string): Promise<TicketView> {
    const ticketNo = this.deps.ticketIds.decode(roomId, ticketId);
    let view = await this.views.get(roomId);
    if (!view) throw new AppError('room_not_found');
    if (ticketNo === null) throw new AppError('ticket_not_found');
    if (ticketNo > view.issued) {
      view = await this.views.get(roomId, { fresh: true });
      if (!view || ticketNo > view.issued) throw new AppError('ticket_not_found');
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
      };
    }
    const position = place! - view.served;
    return {
      ticketId,
      state: 'waiting',
      position,
      etaSeconds: etaSeconds(position, rate),
      pollAfterMs: pollAfterMs(position, position / rate, view.abandonAfterSeconds),
    };
  }

  private async fromRedis(view: RoomView, ticketNo: number): Promise<TicketView> {
    const reply = await this.sessions.add(view.roomId, ticketNo);
    const ticketId = this.deps.ticketIds.encode(view.roomId, ticketNo);
    switch (reply[0]) {
      case -1:
        throw new AppError('ticket_not_found');
      case 0: {
        // Not yet passed by admission although the cached counters said so: answer from fresh ones.
        const fresh = await this.views.get(view.roomId, { fresh: true });
        return (fresh && this.waitingOrUnknown(fresh, ticketNo)) ?? this.atFront(view, ticketId);
      }
      case 1: {
        const [, userId, issuedAt, expiresAt, extensions] = reply as [number, string, number, number, number];
        const accessToken = this.deps.tokens.issue({
          roomId: view.roomId,
          userId,
          ticketId,
          extensions,
          issuedAt,
          expiresAt,
        });
        return {
          ticketId,
          state: 'admitted',
          position: 0,
          etaSeconds: 0,
          pollAfterMs: IDLE_POLL_MS,
          accessToken,
          expiresAt: new Date(expiresAt).toISOString(),
          ...(view.targetUrl ? { targetUrl: view.targetUrl } : {}),
        };
      }
      case 2:
        return this.ended(ticketId, 'left');
      case 4:
        return this.ended(ticketId, 'completed');
      default:
        return this.ended(ticketId, 'expired');
    }
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
    await this.endings.add(roomId, { ticketNo, final: 'L', onlySession: false });
    if (this.leftHere.size >= LEFT_MEMORY) this.leftHere.clear();
    this.leftHere.add(ticketId);
  }

  async extend(roomId: string, token: string | null): Promise<{ accessToken: string; expiresAt: string; extensions: number }> {
    const { claims, ticketNo } = await this.sessionToken(roomId, token);
    const keys = roomKeys(this.deps.prefix, roomId);
    const reply = (await roomScripts.extend.run(
      this.deps.redis,
      [keys.cfg, keys.status, keys.active],
      [ticketNo, claims.extensions],
    )) as number[];
    if (reply[0] === -1) throw new AppError('session_not_active');
    if (reply[0] === -2) throw new AppError('invalid_token', 'This token was superseded by a newer one');
    if (reply[0] === -3) throw new AppError('extension_limit');
    const [, issuedAt, expiresAt, extensions] = reply as [number, number, number, number];
    const accessToken = this.deps.tokens.issue({ ...claims, issuedAt, expiresAt, extensions });
    return { accessToken, expiresAt: new Date(expiresAt).toISOString(), extensions };
  }

  async complete(roomId: string, token: string | null): Promise<void> {
    const { ticketNo } = await this.sessionToken(roomId, token);
    const result = await this.endings.add(roomId, { ticketNo, final: 'C', onlySession: true });
    if (result !== 1) throw new AppError('session_not_active');
  }

  /** Offline checks, then the session must still be live in Redis (not completed, left or expired). */
  async verify(token: string, roomId?: string): Promise<AccessClaims | null> {
    const result = this.deps.tokens.verify(token, roomId);
    if (!result.ok) return null;
    const { claims } = result;
    const ticketNo = this.deps.ticketIds.decode(claims.roomId, claims.ticketId);
    if (ticketNo === null) return null;
    const status = await this.deps.redis.hget(roomKeys(this.deps.prefix, claims.roomId).status, String(ticketNo));
    const match = status && /^S\|\d+\|(\d+)\|(\d+)$/.exec(status);
    if (!match || Number(match[1]) <= Date.now() || Number(match[2]) < claims.extensions) return null;
    return claims;
  }

  private async sessionToken(roomId: string, token: string | null) {
    if (!token) throw new AppError('invalid_token', 'Send the access token as Authorization: Bearer <token>');
    const result = this.deps.tokens.verify(token, roomId);
    if (!result.ok) throw new AppError('invalid_token');
    const ticketNo = this.deps.ticketIds.decode(roomId, result.claims.ticketId);
    if (ticketNo === null) throw new AppError('invalid_token');
    return { claims: result.claims, ticketNo };
  }

  private async knownTicket(roomId: string, ticketId: string): Promise<number> {
    const view = await this.views.get(roomId);
    if (!view) throw new AppError('room_not_found');
    const ticketNo = this.deps.ticketIds.decode(roomId, ticketId);
    if (ticketNo === null) throw new AppError('ticket_not_found');
    if (ticketNo > view.issued) {
      const fresh = await this.views.get(roomId, { fresh: true });
      if (!fresh || ticketNo > fresh.issued) throw new AppError('ticket_not_found');
    }
    return ticketNo;
  }

  // ── background ───────────────────────────────────────────────────────────────────────────────

  /**
   * One admission step for a room; safe to run from any number of instances at once. `idle`: after
   * this step nobody waits and no session is active, so until someone enters there is nothing to do.
   */
  async admit(roomId: string): Promise<{ admitted: number; abandoned: number; expired: number; idle: boolean } | null> {
    const keys = roomKeys(this.deps.prefix, roomId);
    const reply = (await roomScripts.admit.run(
      this.deps.redis,
      [keys.cfg, keys.st, keys.tickets, keys.status, keys.active, keys.seen],
      [MAX_EXAMINED_PER_STEP],
    )) as number[];
    if (reply[0] === -1) return null;
    return { admitted: reply[0]!, abandoned: reply[1]!, expired: reply[2]!, idle: reply[4] === 0 && reply[5] === 0 };
  }

  /** The rooms entered through this instance since the last call (their admission is due at once). */
  takeEnteredRooms(): Set<string> {
    const rooms = this.enteredRooms;
    this.enteredRooms = new Set();
    return rooms;
  }
}
