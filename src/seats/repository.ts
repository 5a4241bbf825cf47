import { inTransaction, type Pool, type Queryable } from '../db/pool.js';
import type { DurableStore, StoreVerdict } from '../durable/persist.js';
import { DomainError, InvalidRequest } from '../errors.js';
import type { OutboxMessage, OutboxPort } from '../outbox/port.js';
import type { ShowConfig } from './domain/show-config.js';
import type { VenueInput, VenueLayout } from './domain/venue-layout.js';
import type { AcceptedBooking, ExpiredHold, SeatLogEntry } from './log-entry.js';

export interface VenueRecord {
  id: string;
  name: string;
  sections: VenueInput['sections'];
  capacity: number;
  createdAt: Date;
}

export interface ShowRecord extends ShowConfig {
  createdAt: Date;
}

export interface BookingRecord {
  bookingId: string;
  showId: string;
  holdId: string;
  userId: string;
  partnerId: string | null;
  confirmedBy: string;
  idempotencyKey: string;
  seats: string[];
  late: boolean;
  status: 'confirmed' | 'cancelled';
  confirmedAt: Date;
  cancelledAt: Date | null;
}

interface ShowRow {
  id: string;
  venue_id: string;
  starts_at: Date;
  room_id: string | null;
  sales_open_at: Date | null;
  sales_close_at: Date;
  hold_seconds: number;
  max_hold_extensions: number;
  max_seats_per_user: number;
  webhook_url: string | null;
  created_at: Date;
}

function showFromRow(row: ShowRow): ShowRecord {
  return {
    id: row.id,
    venueId: row.venue_id,
    startsAt: row.starts_at,
    roomId: row.room_id,
    salesOpenAt: row.sales_open_at,
    salesCloseAt: row.sales_close_at,
    holdSeconds: row.hold_seconds,
    maxHoldExtensions: row.max_hold_extensions,
    maxSeatsPerUser: row.max_seats_per_user,
    webhookUrl: row.webhook_url,
    createdAt: row.created_at,
  };
}

const BOOKING_COLUMNS = `booking_id AS "bookingId", show_id AS "showId", hold_id AS "holdId", user_id AS "userId",
  partner_id AS "partnerId", confirmed_by AS "confirmedBy", idempotency_key AS "idempotencyKey", seats, late, status,
  confirmed_at AS "confirmedAt", cancelled_at AS "cancelledAt"`;

/**
 * Bookings → rows, their seats → rows of booking_seats (whose partial unique index refuses a seat
 * in two live bookings), in one statement. A booking already stored is skipped (the sweeper
 * persisting what a writer also did); the statement returns the ids it wrote.
 */
const PERSIST_BOOKINGS = `
WITH inserted AS (
  INSERT INTO bookings (booking_id, show_id, hold_id, user_id, partner_id, confirmed_by, idempotency_key, seats, late, confirmed_at)
  SELECT r.booking_id, r.show_id, r.hold_id, r.user_id, nullif(r.partner_id, ''), r.confirmed_by, r.idempotency_key,
         string_to_array(r.seats, ','), r.late, to_timestamp(r.confirmed_ms / 1000.0)
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], $10::bigint[])
      AS r(booking_id, show_id, hold_id, user_id, partner_id, confirmed_by, idempotency_key, seats, late, confirmed_ms)
  ON CONFLICT (booking_id) DO NOTHING
  RETURNING booking_id, show_id, seats
), seated AS (
  INSERT INTO booking_seats (show_id, seat_id, booking_id)
  SELECT i.show_id, seat, i.booking_id FROM inserted i, unnest(i.seats) AS seat
)
SELECT booking_id FROM inserted`;

export class SeatRepository {
  constructor(private readonly pool: Pool) {}

  // ── venues and shows ─────────────────────────────────────────────────────────────────────────

  async insertVenue(layout: VenueLayout): Promise<VenueRecord | null> {
    const { rows } = await this.pool.query<{ created_at: Date }>(
      `INSERT INTO venues (id, name, sections, capacity) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING created_at`,
      [layout.id, layout.name, JSON.stringify(layout.sections), layout.capacity],
    );
    return rows[0]
      ? { id: layout.id, name: layout.name, sections: layout.sections, capacity: layout.capacity, createdAt: rows[0].created_at }
      : null;
  }

  async getVenue(id: string): Promise<VenueRecord | null> {
    const { rows } = await this.pool.query<VenueRecord>(
      'SELECT id, name, sections, capacity, created_at AS "createdAt" FROM venues WHERE id = $1',
      [id],
    );
    return rows[0] ?? null;
  }

  /** Inserts the show; null when one with the same id exists. A venueId or roomId that names nothing is refused. */
  async insertShow(c: ShowConfig): Promise<ShowRecord | null> {
    const result = await this.pool
      .query<ShowRow>(
        `INSERT INTO shows (id, venue_id, starts_at, room_id, sales_open_at, sales_close_at, hold_seconds, max_hold_extensions,
                            max_seats_per_user, webhook_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [
          c.id,
          c.venueId,
          c.startsAt,
          c.roomId,
          c.salesOpenAt,
          c.salesCloseAt,
          c.holdSeconds,
          c.maxHoldExtensions,
          c.maxSeatsPerUser,
          c.webhookUrl,
        ],
      )
      .catch((err: { code?: unknown; constraint?: unknown }) => {
        // The foreign keys are the checks: rooms are the waiting room's, not ours to read.
        if (err.code === '23503' && err.constraint === 'shows_venue_id_fkey') throw new DomainError('venue_not_found');
        if (err.code === '23503') throw new InvalidRequest(`roomId "${c.roomId}" is not a room`);
        throw err;
      });
    return result.rows[0] ? showFromRow(result.rows[0]) : null;
  }

  async getShow(id: string): Promise<ShowRecord | null> {
    const { rows } = await this.pool.query<ShowRow>('SELECT * FROM shows WHERE id = $1', [id]);
    return rows[0] ? showFromRow(rows[0]) : null;
  }

  async listShows(): Promise<ShowRecord[]> {
    return (await this.pool.query<ShowRow>('SELECT * FROM shows ORDER BY starts_at, id')).rows.map(showFromRow);
  }

  /** Shows whose holds may still be live: sales not closed longer ago than `graceMs`. */
  async listActiveShowIds(graceMs: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT id FROM shows WHERE sales_close_at > now() - make_interval(secs => $1::double precision / 1000) ORDER BY id`,
      [graceMs],
    );
    return rows.map((r) => r.id);
  }

  // ── bookings ─────────────────────────────────────────────────────────────────────────────────

  async getBooking(showId: string, bookingId: string): Promise<BookingRecord | null> {
    const { rows } = await this.pool.query<BookingRecord>(
      `SELECT ${BOOKING_COLUMNS} FROM bookings WHERE show_id = $1 AND booking_id = $2`,
      [showId, bookingId],
    );
    return rows[0] ?? null;
  }

  /**
   * Cancels a booking and releases its seats in PostgreSQL, with its webhook, in one transaction.
   * 'cancelled' the first time, 'already' after; null when there is no such booking.
   */
  async cancelBooking(
    showId: string,
    bookingId: string,
    outbox: OutboxPort,
    webhookUrl: string | null,
  ): Promise<{ outcome: 'cancelled' | 'already'; booking: BookingRecord } | null> {
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<BookingRecord>(
        `UPDATE bookings SET status = 'cancelled', cancelled_at = now()
          WHERE show_id = $1 AND booking_id = $2 AND status = 'confirmed' RETURNING ${BOOKING_COLUMNS}`,
        [showId, bookingId],
      );
      const booking = rows[0];
      if (!booking) {
        const existing = await this.getBookingWith(client, showId, bookingId);
        return existing ? { outcome: 'already' as const, booking: existing } : null;
      }
      await client.query('UPDATE booking_seats SET released_at = now() WHERE booking_id = $1 AND released_at IS NULL', [bookingId]);
      if (webhookUrl) {
        await outbox.enqueue(client, [
          {
            topic: 'booking.cancelled',
            url: webhookUrl,
            idempotencyKey: `booking.cancelled:${bookingId}`,
            payload: {
              event: 'booking.cancelled',
              bookingId,
              showId,
              userId: booking.userId,
              seats: booking.seats,
              cancelledAt: booking.cancelledAt?.toISOString() ?? null,
            },
          },
        ]);
      }
      return { outcome: 'cancelled' as const, booking };
    });
  }

  private async getBookingWith(db: Queryable, showId: string, bookingId: string): Promise<BookingRecord | null> {
    const { rows } = await db.query<BookingRecord>(`SELECT ${BOOKING_COLUMNS} FROM bookings WHERE show_id = $1 AND booking_id = $2`, [
      showId,
      bookingId,
    ]);
    return rows[0] ?? null;
  }

  /** A show's live bookings, for a rebuild of its state. */
  async liveBookings(showId: string): Promise<BookingRecord[]> {
    const { rows } = await this.pool.query<BookingRecord>(
      `SELECT ${BOOKING_COLUMNS} FROM bookings WHERE show_id = $1 AND status = 'confirmed' ORDER BY confirmed_at`,
      [showId],
    );
    return rows;
  }

  /** Idempotency keys of every booking of a show (cancelled ones too: the same key still names its booking). */
  async idempotencyKeys(
    showId: string,
  ): Promise<Array<{ confirmedBy: string; idempotencyKey: string; bookingId: string; holdId: string }>> {
    const { rows } = await this.pool.query(
      `SELECT confirmed_by AS "confirmedBy", idempotency_key AS "idempotencyKey", booking_id AS "bookingId", hold_id AS "holdId"
         FROM bookings WHERE show_id = $1`,
      [showId],
    );
    return rows;
  }

  // ── the durable pipeline's store ─────────────────────────────────────────────────────────────

  /**
   * Writes accepted bookings (and their seats) and the webhooks of bookings and expiries, in one
   * transaction. A booking stored already with the same hold is 'stored' again (a replay); a
   * seat in another live booking makes the statement fail (unique violation), and the durable
   * pipeline isolates and parks that entry.
   */
  async persist(
    entries: ReadonlyArray<{ entry: SeatLogEntry; seatIds: string[]; webhookUrl: string | null }>,
    outbox: OutboxPort,
  ): Promise<StoreVerdict[]> {
    const bookings = entries.filter(
      (e): e is { entry: AcceptedBooking; seatIds: string[]; webhookUrl: string | null } => e.entry.kind === 'booking',
    );
    // Without a webhook to write, the one statement is its own transaction: no BEGIN and COMMIT
    // round trips (a batch's fixed cost is most of a booking's, as with claims).
    const run = entries.some((e) => e.webhookUrl)
      ? <T>(work: (db: Queryable) => Promise<T>) => inTransaction(this.pool, work)
      : <T>(work: (db: Queryable) => Promise<T>) => work(this.pool);
    return run(async (client) => {
      const inserted = new Set<string>();
      if (bookings.length > 0) {
        const { rows } = await client.query<{ booking_id: string }>({
          name: 'floodgate-persist-bookings',
          text: PERSIST_BOOKINGS,
          values: [
            bookings.map((b) => b.entry.bookingId),
            bookings.map((b) => b.entry.showId),
            bookings.map((b) => b.entry.holdId),
            bookings.map((b) => b.entry.userId),
            bookings.map((b) => b.entry.partnerId),
            bookings.map((b) => b.entry.confirmedBy),
            bookings.map((b) => b.entry.idempotencyKey),
            bookings.map((b) => b.seatIds.join(',')),
            bookings.map((b) => b.entry.late),
            bookings.map((b) => b.entry.confirmedAt),
          ],
        });
        for (const r of rows) inserted.add(r.booking_id);
      }
      const replayed = new Set<string>();
      const missing = bookings.filter((b) => !inserted.has(b.entry.bookingId));
      if (missing.length > 0) {
        const { rows } = await client.query<{ booking_id: string }>(
          `SELECT b.booking_id FROM bookings b JOIN unnest($1::text[], $2::text[]) AS i(booking_id, hold_id)
              ON b.booking_id = i.booking_id AND b.hold_id = i.hold_id`,
          [missing.map((b) => b.entry.bookingId), missing.map((b) => b.entry.holdId)],
        );
        for (const r of rows) replayed.add(r.booking_id);
      }
      const messages: OutboxMessage[] = [];
      for (const { entry, seatIds, webhookUrl } of entries) {
        if (!webhookUrl) continue;
        if (entry.kind === 'booking' && inserted.has(entry.bookingId)) messages.push(bookingConfirmed(entry, seatIds, webhookUrl));
        if (entry.kind === 'expiry') messages.push(holdExpired(entry, seatIds, webhookUrl));
      }
      await this.outboxOf(outbox, client, messages);
      return entries.map(({ entry }) =>
        entry.kind === 'expiry' || inserted.has(entry.bookingId) || replayed.has(entry.bookingId) ? 'stored' : 'conflict',
      );
    });
  }

  private async outboxOf(outbox: OutboxPort, client: Queryable, messages: OutboxMessage[]): Promise<void> {
    if (messages.length > 0) await outbox.enqueue(client, messages);
  }
}

function bookingConfirmed(entry: AcceptedBooking, seatIds: string[], url: string): OutboxMessage {
  return {
    topic: 'booking.confirmed',
    url,
    idempotencyKey: `booking.confirmed:${entry.bookingId}`,
    payload: {
      event: 'booking.confirmed',
      bookingId: entry.bookingId,
      showId: entry.showId,
      holdId: entry.holdId,
      userId: entry.userId,
      seats: seatIds,
      confirmedAt: new Date(entry.confirmedAt).toISOString(),
    },
  };
}

function holdExpired(entry: ExpiredHold, seatIds: string[], url: string): OutboxMessage {
  return {
    topic: 'hold.expired',
    url,
    idempotencyKey: `hold.expired:${entry.showId}:${entry.holdId}`,
    payload: {
      event: 'hold.expired',
      holdId: entry.holdId,
      showId: entry.showId,
      userId: entry.userId,
      seats: seatIds,
      expiredAt: new Date(entry.expiredAt).toISOString(),
    },
  };
}

/** The durable pipeline's view of the repository: seat references become seat ids with the show's venue. */
export class BookingStore implements DurableStore<SeatLogEntry> {
  constructor(
    private readonly repository: SeatRepository,
    private readonly outbox: OutboxPort,
    private readonly showOf: (showId: string) => Promise<{ show: ShowRecord; layout: VenueLayout } | null>,
  ) {}

  async persist(entries: readonly SeatLogEntry[]): Promise<StoreVerdict[]> {
    const shows = new Map<string, { show: ShowRecord; layout: VenueLayout } | null>();
    for (const entry of entries) if (!shows.has(entry.showId)) shows.set(entry.showId, await this.showOf(entry.showId));
    const resolved = entries.map((entry) => {
      const known = shows.get(entry.showId);
      // A show that does not exist cannot be written: the batch fails as a data error would (foreign key), and the entry is parked.
      if (!known) throw Object.assign(new Error(`show "${entry.showId}" does not exist`), { code: '23503' });
      const inVenue = entry.seats.every(
        (s) => s.row >= 1 && s.row <= known.layout.rows.length && s.pos >= 1 && s.pos <= known.layout.rows[s.row - 1]!.size,
      );
      if (!inVenue)
        throw Object.assign(new Error(`an entry of show "${entry.showId}" names a seat its venue does not have`), { code: '22023' });
      return { entry, seatIds: entry.seats.map((s) => known.layout.seatId(s)), webhookUrl: known.show.webhookUrl };
    });
    return this.repository.persist(resolved, this.outbox);
  }
}
