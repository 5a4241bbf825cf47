import { compileVenue, type VenueLayout } from './domain/venue-layout.js';
import type { SeatRepository, ShowRecord } from './repository.js';

const SHOW_TTL_MS = 5_000;
const MISSING_TTL_MS = 1_000;
/** Compiled venues kept in memory (a 100,000-seat venue is a few megabytes once its seat index is built). */
const MAX_VENUES = 32;

export interface KnownShow {
  show: ShowRecord;
  layout: VenueLayout;
}

/**
 * Show definitions and their compiled venues, cached per instance: a hold costs no database read.
 * Venues never change, so a compiled venue is kept while there is room; show records are read
 * again after a few seconds. Unknown ids are remembered for a second, so a flood of requests for
 * a wrong id stays cheap.
 */
export class ShowDirectory {
  private readonly shows = new Map<string, { known: KnownShow | null; at: number }>();
  private readonly loading = new Map<string, Promise<KnownShow | null>>();
  private readonly venues = new Map<string, VenueLayout>();

  constructor(private readonly repository: SeatRepository) {}

  async get(showId: string): Promise<KnownShow | null> {
    const entry = this.shows.get(showId);
    if (entry && Date.now() - entry.at < (entry.known ? SHOW_TTL_MS : MISSING_TTL_MS)) return entry.known;
    let pending = this.loading.get(showId);
    if (!pending) {
      pending = this.load(showId).finally(() => this.loading.delete(showId));
      this.loading.set(showId, pending);
      void pending.then(
        (known) => this.shows.set(showId, { known, at: Date.now() }),
        () => {},
      );
    }
    return entry?.known ?? pending;
  }

  /** Read from PostgreSQL now (a rebuild must not act on a stale definition). */
  async fresh(showId: string): Promise<KnownShow | null> {
    const known = await this.load(showId);
    this.shows.set(showId, { known, at: Date.now() });
    return known;
  }

  remember(known: KnownShow): void {
    this.shows.set(known.show.id, { known, at: Date.now() });
    this.keepVenue(known.layout);
  }

  async venue(venueId: string): Promise<VenueLayout | null> {
    const cached = this.venues.get(venueId);
    if (cached) return cached;
    const record = await this.repository.getVenue(venueId);
    if (!record) return null;
    const layout = compileVenue(record);
    if ('problem' in layout) throw new Error(`venue ${venueId} is stored but invalid: ${layout.problem}`);
    this.keepVenue(layout);
    return layout;
  }

  private keepVenue(layout: VenueLayout): void {
    if (this.venues.size >= MAX_VENUES && !this.venues.has(layout.id)) this.venues.delete(this.venues.keys().next().value!);
    this.venues.set(layout.id, layout);
  }

  private async load(showId: string): Promise<KnownShow | null> {
    const show = await this.repository.getShow(showId);
    if (!show) return null;
    const layout = await this.venue(show.venueId);
    return layout ? { show, layout } : null;
  }
}
