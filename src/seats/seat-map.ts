import { DomainError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import type { KnownShow } from './directory.js';
import type { ShowScripts } from './scripts.js';

/** A seat map is served from this instance's memory for this long (the "≤ 1 s"). */
export const SEAT_MAP_TTL_MS = 1_000;
/** Shows whose maps are kept (the oldest is dropped first). */
const MAX_MAPS = 100;

interface Cached {
  at: number;
  /** The answer's JSON text, built once per renewal: every request in the second shares it. */
  body: string;
}

/**
 * Seat maps: each seat's status, never who holds it. One read of the show's rows (a string per
 * row) renews a map for every request of the next second on this instance; the layout comes with
 * it, as the venue gave it (a count or the labels per row), so 100,000 seats are ~120 KB of JSON
 * (one character per seat plus the layout), and much less compressed.
 */
export class SeatMaps {
  private readonly cache = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Cached>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly scripts: ShowScripts,
    private readonly onStateMissing: (showId: string) => void,
  ) {}

  async get(known: KnownShow): Promise<string> {
    const showId = known.show.id;
    const cached = this.cache.get(showId);
    if (cached && Date.now() - cached.at < SEAT_MAP_TTL_MS) return cached.body;
    let pending = this.loading.get(showId);
    if (!pending) {
      pending = this.load(known).finally(() => this.loading.delete(showId));
      this.loading.set(showId, pending);
    }
    return (await pending).body;
  }

  private async load(known: KnownShow): Promise<Cached> {
    const { show, layout } = known;
    const keys = this.scripts.keys(show.id);
    const [ready, rows] = await Promise.all([this.redis.hget(keys.st, 'ready'), this.redis.hgetall(keys.rows)]);
    if (ready !== '1' || Object.keys(rows).length !== layout.rows.length) {
      this.onStateMissing(show.id);
      throw new DomainError('rebuilding');
    }
    const at = Date.now();
    const counts: Record<string, { free: number; held: number; sold: number }> = {};
    for (const c of layout.categories) counts[c] = { free: 0, held: 0, sold: 0 };
    let number = 0;
    const sections = layout.sections.map((section) => ({
      id: section.id,
      rows: section.rows.map((row) => {
        number++;
        const status = rows[number]!;
        const tally = counts[layout.rows[number - 1]!.category]!;
        for (let i = 0; i < status.length; i++) {
          const c = status.charCodeAt(i);
          if (c === 102) tally.free++;
          else if (c === 104) tally.held++;
          else tally.sold++;
        }
        return {
          id: row.id,
          category: layout.rows[number - 1]!.category,
          seats: row.seats,
          ...(row.accessible?.length ? { accessible: row.accessible } : {}),
          status,
        };
      }),
    }));
    const body = JSON.stringify({
      showId: show.id,
      venueId: show.venueId,
      at: new Date(at).toISOString(),
      holdSeconds: show.holdSeconds,
      maxSeatsPerUser: show.maxSeatsPerUser,
      salesOpenAt: show.salesOpenAt?.toISOString() ?? null,
      salesCloseAt: show.salesCloseAt.toISOString(),
      capacity: layout.capacity,
      categories: counts,
      sections,
    });
    const entry = { at, body };
    if (this.cache.size >= MAX_MAPS && !this.cache.has(show.id)) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(show.id, entry);
    return entry;
  }
}
