// Load scenarios of the seats capability (floodgate loadtest --scenario seats-one-seat | seats-onsale).
//
//   seats-one-seat  seed 003: 3,000 users try one seat 20 times each (arrival i is user i mod
//                   --users); the one who gets the hold confirms it. Audit: exactly one booking,
//                   every request answered, no error.
//   seats-onsale    an on-sale surge: buyers ask best-available for 1-6 seats; --confirm-share of
//                   them confirm after 2-10 s, the rest abandon (their holds must expire). Audit: no
//                   seat double-held or double-booked (from the answers and the rows), free + held +
//                   sold = capacity in every sample, every abandoned hold released within
//                   holdSeconds + 2 s (from seat maps sampled every second), orphan single seats
//                   counted.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { integerOption, numberOption } from '../../cli/args.js';
import type { AdminClient } from '../admin-client.js';
import { type Check, check, skip } from '../audit.js';
import type { Summary } from '../recorder.js';
import type { Flow } from '../runner.js';
import { type OptionValues, type ScenarioDefinition, stringValue } from '../scenario-definition.js';
import type { PreparedScenario } from '../scenarios.js';

export interface SeatsOptions {
  databaseUrl?: string;
  /** seats-one-seat: distinct users (arrival i is user i mod users). */
  users: number;
  /** seats-onsale: the venue's size (rows of 100 seats). */
  venueSeats: number;
  holdSeconds: number;
  /** seats-onsale: share of buyers who confirm (the rest abandon their hold). */
  confirmShare: number;
  /** The holds' p99 the audit asks for (ms). */
  p99Ms: number;
  /** seats-one-seat: set up a twin show for a warm-up (`--warmup`). */
  warmup?: boolean;
}

/** Seat maps as the API gives them. */
interface SeatMap {
  at: string;
  sections: Array<{ id: string; rows: Array<{ id: string; seats: number | string[]; status: string }> }>;
}

const runId = () => randomBytes(3).toString('hex');

async function createVenueAndShow(admin: AdminClient, seats: number, show: Record<string, unknown>) {
  const showId = await createShow(admin, seats, show);
  const { apiKey, partnerId } = await admin.must('POST', '/v1/partners', { name: `loadtest ${showId}` });
  return { showId, apiKey: apiKey as string, partnerId: partnerId as string };
}

/** A venue of `seats` seats (rows of 100, sections of 50 rows) and a show in it, both named lt-<random>. */
async function createShow(admin: AdminClient, seats: number, show: Record<string, unknown>): Promise<string> {
  const id = `lt-${runId()}`;
  const rows = Math.ceil(seats / 100);
  const sections = Array.from({ length: Math.ceil(rows / 50) }, (_, s) => ({
    id: `S${s + 1}`,
    rows: Array.from({ length: Math.min(50, rows - s * 50) }, (_, r) => ({
      id: String(r + 1),
      seats: Math.min(100, seats - (s * 50 + r) * 100),
    })),
  }));
  await admin.must('POST', '/v1/venues', { id, name: `loadtest ${id}`, sections });
  await admin.must('POST', '/v1/shows', { id, venueId: id, startsAt: new Date(Date.now() + 86_400_000).toISOString(), ...show });
  return id;
}

function p99Check(summaries: readonly Summary[], kind: string, limitMs: number): Check {
  const s = summaries.find((x) => x.name === kind);
  return check(
    `p99 of ${kind} ≤ ${limitMs} ms`,
    s !== undefined && s.p99Ms <= limitMs,
    s ? `p99 ${s.p99Ms.toFixed(2)} ms over ${s.count}` : 'no requests',
  );
}

function answeredCheck(summaries: readonly Summary[], dropped: number): Check[] {
  const total = summaries.reduce((n, s) => n + s.count, 0);
  const unanswered = summaries.reduce((n, s) => n + (s.statuses.error ?? 0), 0);
  const errors = summaries.reduce((n, s) => n + s.errors, 0);
  return [
    check('every request answered', unanswered === 0, `${unanswered} of ${total} without an answer`),
    check('no errors', errors === 0, `${errors} errors (5xx or no answer) of ${total}`),
    check('nothing dropped', dropped === 0, `${dropped} arrivals dropped by the generator`),
  ];
}

async function withDatabase<T>(databaseUrl: string | undefined, work: (pool: pg.Pool) => Promise<T>): Promise<T | null> {
  if (!databaseUrl) return null;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return await work(pool);
  } finally {
    await pool.end();
  }
}

/** A show's live booked seats in PostgreSQL: seat -> bookings holding it. */
async function bookedSeats(pool: pg.Pool, showId: string) {
  const { rows } = await pool.query<{ booking_id: string; seat_id: string }>(
    `SELECT b.booking_id, s.seat_id FROM bookings b JOIN booking_seats s ON s.booking_id = b.booking_id
      WHERE b.show_id = $1 AND s.released_at IS NULL`,
    [showId],
  );
  const seats = new Map<string, number>();
  for (const r of rows) seats.set(r.seat_id, (seats.get(r.seat_id) ?? 0) + 1);
  return { bookings: new Set(rows.map((r) => r.booking_id)), seats };
}

// ── seed 003: one seat ───────────────────────────────────────────────────────────────────────────

export async function seatsOneSeatScenario(admin: AdminClient, options: SeatsOptions): Promise<PreparedScenario> {
  const setup = { holdSeconds: options.holdSeconds, maxSeatsPerUser: 1 };
  const { showId, apiKey, partnerId } = await createVenueAndShow(admin, 100, setup);
  const seat = 'S1-1-50';
  const base = `/v1/shows/${showId}`;
  const headers = { 'x-api-key': apiKey };
  const bookings: Array<{ bookingId: string; seats: string[] }> = [];
  const statuses = new Map<string, number>();
  // The warm-up's show: a twin of the audited one, made now so that a failure stops the run here.
  const warmupShow = options.warmup ? await createShow(admin, 100, setup) : null;

  /** One person's tries: a hold of the seat, and the confirm of the one who gets it. */
  const attempt = async (show: string, userId: string, flow: Flow, scheduledAt: number, key: string) => {
    const held = await flow.request(
      'hold',
      { method: 'POST', path: `/v1/shows/${show}/holds`, body: { seats: [seat], userId }, headers },
      scheduledAt,
    );
    if (held.status !== 201) return { held, confirmed: null };
    const confirmed = await flow.request('confirm', {
      method: 'POST',
      path: `/v1/shows/${show}/holds/${held.body.holdId}/confirm`,
      headers: { ...headers, 'idempotency-key': key },
    });
    return { held, confirmed };
  };

  return {
    name: 'seats-one-seat',
    // the partner key it made is revoked at the end (the venue and show stay, for the audit's record)
    created: [{ kind: 'partner', id: partnerId }],
    describe: () => ({ showId, seat, users: options.users, ...(warmupShow && { warmupShowId: warmupShow }) }),
    async arrival(i: number, flow: Flow, scheduledAt: number) {
      const { held, confirmed } = await attempt(showId, `lt-${showId}-${i % options.users}`, flow, scheduledAt, `lt-${i}`);
      statuses.set(String(held.status), (statuses.get(String(held.status)) ?? 0) + 1);
      if (confirmed?.status === 201) bookings.push(confirmed.body);
    },
    ...(warmupShow && {
      async warmup(i: number, flow: Flow, scheduledAt: number) {
        await attempt(warmupShow, `lt-${warmupShow}-${i % options.users}`, flow, scheduledAt, `lt-warmup-${i}`);
      },
    }),
    async gauges() {
      const { body } = await admin.call('GET', base);
      return { free: body?.free ?? 0, held: body?.held ?? 0, sold: body?.sold ?? 0 };
    },
    async audit() {
      const checks = [
        check(
          'exactly one booking (answers)',
          bookings.length === 1,
          `${bookings.length} confirms answered 201; holds by status ${JSON.stringify(Object.fromEntries(statuses))}`,
        ),
      ];
      const rows = await withDatabase(options.databaseUrl, (pool) => bookedSeats(pool, showId));
      if (rows) {
        checks.push(
          check(
            'exactly one booking (rows)',
            rows.bookings.size === 1 && rows.seats.size === 1 && rows.seats.get(seat) === 1,
            `${rows.bookings.size} bookings holding ${[...rows.seats.keys()].join(', ') || 'nothing'}`,
          ),
        );
      } else checks.push(skip('exactly one booking (rows)', 'no --database-url (or DATABASE_URL) to read the rows'));
      return checks;
    },
    auditRun: (summaries, dropped) => [...answeredCheck(summaries, dropped), p99Check(summaries, 'hold', options.p99Ms)],
  };
}

// ── the on-sale surge ────────────────────────────────────────────────────────────────────────────

interface HoldSeen {
  seats: number[];
  /** When the hold was asked and answered (generator ms), and when it expires (epoch ms). */
  sentAt: number;
  answeredAt: number;
  expiresAt: number;
  /** Answered 201 to a confirm sent before the hold expired. */
  booked: boolean;
  abandoned: boolean;
  checked: boolean;
}

export async function seatsOnSaleScenario(admin: AdminClient, options: SeatsOptions): Promise<PreparedScenario> {
  const { showId, apiKey, partnerId } = await createVenueAndShow(admin, options.venueSeats, {
    holdSeconds: options.holdSeconds,
    maxSeatsPerUser: 8,
  });
  const base = `/v1/shows/${showId}`;
  const headers = { 'x-api-key': apiKey };
  const capacity = options.venueSeats;
  // Seat ids <-> indexes, from the first map.
  const first = (await admin.must('GET', `${base}/seats`)) as SeatMap;
  const seatIndex = new Map<string, number>();
  for (const section of first.sections) {
    for (const row of section.rows) {
      const n = typeof row.seats === 'number' ? row.seats : row.seats.length;
      for (let p = 1; p <= n; p++)
        seatIndex.set(`${section.id}-${row.id}-${typeof row.seats === 'number' ? p : row.seats[p - 1]}`, seatIndex.size);
    }
  }
  const holds: HoldSeen[] = [];
  /** Per seat, the holds that had it, in the order they were answered. */
  const bySeat: number[][] = Array.from({ length: capacity }, () => []);
  const bookedSeatsAnswered: number[] = [];
  let bookingsAnswered = 0;
  let refusedLate = 0;
  const samples: Array<{ free: number; held: number; sold: number }> = [];
  let lateReleases = 0;
  let releasesChecked = 0;
  let lastMap: SeatMap | null = null;
  let t0Epoch = 0;
  let flowRef: Flow | null = null;
  const epochOf = (generatorMs: number) => t0Epoch + generatorMs;

  function checkReleases(map: SeatMap): void {
    const at = Date.parse(map.at);
    const status = new Uint8Array(capacity);
    let i = 0;
    for (const section of map.sections)
      for (const row of section.rows) for (let p = 0; p < row.status.length; p++) status[i++] = row.status.charCodeAt(p);
    for (const [h, hold] of holds.entries()) {
      if (!hold.abandoned || hold.checked || hold.expiresAt + 2_000 > at) continue;
      hold.checked = true;
      releasesChecked++;
      // Still held past its deadline, unless a later hold has the seat now.
      const stuck = hold.seats.some((s) => status[s] === 104 && bySeat[s]!.at(-1) === h);
      if (stuck) lateReleases++;
    }
  }

  return {
    name: 'seats-onsale',
    // the partner key it made is revoked at the end (the venue and show stay, for the audit's record)
    created: [{ kind: 'partner', id: partnerId }],
    describe: () => ({ showId, capacity, holdSeconds: options.holdSeconds, confirmShare: options.confirmShare }),
    async arrival(i: number, flow: Flow, scheduledAt: number) {
      if (!flowRef) {
        flowRef = flow;
        t0Epoch = Date.now() - flow.now();
      }
      const userId = `lt-${showId}-${i}`;
      const count = 1 + (i % 6);
      const sentAt = flow.now();
      const held = await flow.request(
        'hold',
        { method: 'POST', path: `${base}/holds`, body: { best: { count }, userId }, headers },
        scheduledAt,
      );
      if (held.status !== 201) return;
      const seats = (held.body.seats as string[]).map((s) => seatIndex.get(s)!);
      const h = holds.length;
      const confirms = Math.random() < options.confirmShare;
      const hold: HoldSeen = {
        seats,
        sentAt,
        answeredAt: flow.now(),
        expiresAt: Date.parse(held.body.expiresAt),
        booked: false,
        abandoned: !confirms,
        checked: false,
      };
      holds.push(hold);
      for (const s of seats) bySeat[s]!.push(h);
      if (!confirms) return;
      if (!(await flow.sleep(2_000 + Math.random() * 8_000))) return;
      const sentConfirm = epochOf(flow.now());
      const confirmed = await flow.request('confirm', {
        method: 'POST',
        path: `${base}/holds/${held.body.holdId}/confirm`,
        headers: { ...headers, 'idempotency-key': `lt-${i}` },
      });
      if (confirmed.status === 201) {
        bookingsAnswered++;
        bookedSeatsAnswered.push(...seats);
        hold.booked = sentConfirm < hold.expiresAt;
      } else if (confirmed.status === 409) refusedLate++;
    },
    async gauges() {
      const [{ body: show }, { body: map }] = await Promise.all([admin.call('GET', base), admin.call('GET', `${base}/seats`)]);
      if (show && typeof show.free === 'number') samples.push({ free: show.free, held: show.held, sold: show.sold });
      if (map?.sections) {
        lastMap = map;
        checkReleases(map);
      }
      return { free: show?.free ?? 0, held: show?.held ?? 0, sold: show?.sold ?? 0 };
    },
    async audit() {
      // The run may end before the last abandoned holds expire: keep sampling (counts and maps,
      // once a second) until every abandoned hold's deadline has passed and been checked.
      const lastDeadline = Math.max(0, ...holds.filter((h) => h.abandoned).map((h) => h.expiresAt + 2_000));
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const [{ body: show }, map] = await Promise.all([admin.call('GET', base), admin.must('GET', `${base}/seats`) as Promise<SeatMap>]);
        if (show && typeof show.free === 'number') samples.push({ free: show.free, held: show.held, sold: show.sold });
        checkReleases(map);
        lastMap = map;
        if (Date.parse(map.at) > lastDeadline) break;
      }
      const checks: Check[] = [];
      // Two holds of one seat: the later one may only have been decided after the earlier ended
      // (never, if it was booked; at its expiry, if it was abandoned). A violation is counted only
      // when certain: the later hold was answered before the earlier could have ended.
      let doubleHeld = 0;
      for (const list of bySeat) {
        for (let k = 1; k < list.length; k++) {
          const earlier = holds[list[k - 1]!]!;
          const later = holds[list[k]!]!;
          if (earlier.booked || epochOf(later.answeredAt) < earlier.expiresAt) doubleHeld++;
        }
      }
      checks.push(
        check(
          'no seat double-held (answers)',
          doubleHeld === 0,
          `${doubleHeld} seats held again while held or sold; ${holds.length} holds answered 201`,
        ),
      );
      const seen = new Set<number>();
      let doubleBookedAnswers = 0;
      for (const s of bookedSeatsAnswered) {
        if (seen.has(s)) doubleBookedAnswers++;
        seen.add(s);
      }
      checks.push(
        check(
          'no seat double-booked (answers)',
          doubleBookedAnswers === 0,
          `${bookingsAnswered} bookings answered 201 with ${bookedSeatsAnswered.length} seats`,
        ),
      );
      const rows = await withDatabase(options.databaseUrl, (pool) => bookedSeats(pool, showId));
      if (rows) {
        const twice = [...rows.seats.values()].filter((n) => n > 1).length;
        checks.push(
          check(
            'no seat double-booked (rows), every booking answered 201 stored',
            twice === 0 && rows.seats.size >= bookedSeatsAnswered.length && rows.bookings.size >= bookingsAnswered,
            `${rows.bookings.size} bookings, ${rows.seats.size} seats in PostgreSQL; ${twice} seats in two bookings`,
          ),
        );
      } else checks.push(skip('no seat double-booked (rows)', 'no --database-url (or DATABASE_URL) to read the rows'));
      const wrongSums = samples.filter((s) => s.free + s.held + s.sold !== capacity).length;
      checks.push(
        check(
          'free + held + sold = capacity in every sample',
          wrongSums === 0 && samples.length > 0,
          `${wrongSums} of ${samples.length} samples off`,
        ),
      );
      const abandoned = holds.filter((h) => h.abandoned).length;
      checks.push(
        check(
          `abandoned holds released within holdSeconds + 2 s`,
          lateReleases === 0 && releasesChecked === abandoned,
          `${lateReleases} of ${releasesChecked} checked (${abandoned} abandoned) still held past the deadline`,
        ),
      );
      // Orphans: free seats whose neighbours in the row are both taken (or the row's end).
      let orphans = 0;
      let free = 0;
      for (const section of (lastMap as SeatMap | null)?.sections ?? []) {
        for (const row of section.rows) {
          const s = row.status;
          for (let p = 0; p < s.length; p++) {
            if (s[p] !== 'f') continue;
            free++;
            if ((p === 0 || s[p - 1] !== 'f') && (p === s.length - 1 || s[p + 1] !== 'f')) orphans++;
          }
        }
      }
      checks.push(
        check(
          'orphan single seats (counted)',
          true,
          `${orphans} isolated free seats of ${free} free at the end; ${refusedLate} confirms refused (409)`,
        ),
      );
      return checks;
    },
    auditRun: (summaries, dropped) => [...answeredCheck(summaries, dropped), p99Check(summaries, 'hold', options.p99Ms)],
  };
}

const seatsOptions = {
  users: { type: 'string' },
  'venue-seats': { type: 'string' },
  'hold-seconds': { type: 'string' },
  'confirm-share': { type: 'string' },
  'p99-ms': { type: 'string' },
} as const;

function seatsScenarioOptions(values: OptionValues, databaseUrl: string | undefined): SeatsOptions {
  return {
    ...(databaseUrl ? { databaseUrl } : {}),
    users: integerOption('users', stringValue(values, 'users'), 3000, 1, 10_000_000),
    venueSeats: integerOption('venue-seats', stringValue(values, 'venue-seats'), 50_000, 1, 100_000),
    holdSeconds: integerOption('hold-seconds', stringValue(values, 'hold-seconds'), 20, 5, 86_400),
    confirmShare: numberOption('confirm-share', stringValue(values, 'confirm-share'), 0.8, 0, 1),
    p99Ms: numberOption('p99-ms', stringValue(values, 'p99-ms'), 50, 0, 3_600_000),
    warmup: values.warmup !== undefined,
  };
}

export const seatsOneSeatDefinition: ScenarioDefinition = {
  name: 'seats-one-seat',
  options: seatsOptions,
  needsAdminToken: true,
  warmup: true,
  prepare: (values, admin, databaseUrl) => seatsOneSeatScenario(admin, seatsScenarioOptions(values, databaseUrl)),
};

export const seatsOnSaleDefinition: ScenarioDefinition = {
  name: 'seats-onsale',
  options: seatsOptions,
  needsAdminToken: true,
  prepare: (values, admin, databaseUrl) => seatsOnSaleScenario(admin, seatsScenarioOptions(values, databaseUrl)),
};
