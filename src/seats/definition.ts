import { defineCapability, type EntitySample } from '../capability.js';
import { DurableLog } from '../durable/log.js';
import { Parking } from '../durable/parking.js';
import { Rebuilds } from '../durable/rebuild.js';
import { ShowDirectory } from './directory.js';
import type { VenueLayout } from './domain/venue-layout.js';
import { SEAT_ERRORS } from './errors.js';
import { showFigures } from './figures.js';
import { showKeys } from './keys.js';
import { decodeLogEntry, encodeLogEntry, SEAT_LOG_FIELD, type SeatLogEntry } from './log-entry.js';
import { seatMetrics } from './metrics.js';
import { BookingStore, SeatRepository } from './repository.js';
import { seatRoutes } from './routes.js';
import { ShowScripts } from './scripts.js';
import { GONE_RETENTION_MS, SeatsService } from './service.js';
import { seatShortcuts } from './shortcuts.js';

/** Show ids are listed again this often for the loops (a new show is looked after within it). */
const SHOW_LIST_REFRESH_MS = 5_000;
/** Holds are looked for this often: none stays held much past its expiry. */
const EXPIRE_EVERY_MS = 200;
const SWEEP_EVERY_MS = 1_000;
/** A show is looked after until this long after its sales closed (late confirms, webhooks). */
const ACTIVE_AFTER_CLOSE_MS = GONE_RETENTION_MS + 3_600_000;

/**
 * Seat holds for shows: holds decided in one script per show (one hash tag), all or nothing,
 * expiring on time; bookings answered 201 once committed in PostgreSQL (the durable pipeline),
 * never a seat sold twice.
 */
export const seats = defineCapability({
  name: 'seats',
  errors: SEAT_ERRORS,
  async create(infra) {
    const repository = new SeatRepository(infra.pool);
    const directory = new ShowDirectory(repository);
    const metrics = seatMetrics(infra.metrics.registry);
    const durable = new DurableLog<SeatLogEntry>({
      capability: 'seats',
      redis: infra.redis,
      store: new BookingStore(repository, infra.outbox, (showId) => directory.get(showId)),
      parking: new Parking(infra.pool),
      log: infra.log,
      logKey: (showId) => showKeys(infra.prefix, showId).log,
      field: SEAT_LOG_FIELD,
      decode: decodeLogEntry,
      encode: encodeLogEntry,
    });
    durable.onBatch = (_size, lagsMs) => {
      for (const ms of lagsMs) metrics.persistenceLag.observe(ms / 1000);
    };
    durable.onFailure = () => infra.metrics.dependencyErrors.inc({ dependency: 'postgres' });
    const service = new SeatsService({
      redis: infra.redis,
      repository,
      directory,
      scripts: new ShowScripts(infra.redis, infra.prefix),
      durable,
      rebuilds: new Rebuilds(infra.redis, durable as DurableLog<unknown>, infra.log),
      outbox: infra.outbox,
      clock: infra.clock,
      onHold: (show, result) => metrics.holds.inc({ show, result }),
    });

    let showIds: string[] = [];
    let listedAt = 0;
    const activeShows = async () => {
      if (Date.now() - listedAt > SHOW_LIST_REFRESH_MS) {
        showIds = await repository.listActiveShowIds(ACTIVE_AFTER_CLOSE_MS);
        listedAt = Date.now();
      }
      return showIds;
    };
    // A show's venue never changes, nor a venue's layout: the sampler looks each active show's up once
    // (the directory would read the show's record again every few seconds).
    const layouts = new Map<string, VenueLayout>();
    const deps = { seats: service, partners: infra.partners, access: infra.access, admin: infra.admin };
    return {
      service,
      repository,
      durable,
      routes: (app) => seatRoutes(app, deps),
      shortcuts: seatShortcuts(service, deps),
      loops: [
        {
          // Expiry: every instance, safe concurrently (each hold is expired by one script run).
          name: 'seat-expiry',
          everyMs: EXPIRE_EVERY_MS,
          async step() {
            metrics.expired.inc(await service.expireDue(await activeShows()));
          },
        },
        {
          // Recovery: what a dead writer (or a database outage) left in the shows' logs.
          name: 'seat-sweeper',
          everyMs: SWEEP_EVERY_MS,
          async step() {
            await durable.sweepAll(await activeShows());
          },
        },
      ],
      async gauges() {
        metrics.pending.set(durable.backlog);
      },
      // The dashboard's history (src/history/): each active show's counters as GET /v1/shows/:id
      // gives them (one HGETALL of a small hash per show, no PostgreSQL: the list is the loops' and
      // the layouts are looked up once), and this instance's holds by result. A show whose state is
      // missing is not rebuilt from here: it is left out until a request restores it (while a
      // rebuild runs, `restoring` is 1 and the figures null).
      async samples({ shared }) {
        const byShow = new Map<string, Record<string, number>>();
        for (const { labels, value } of (await metrics.holds.get()).values) {
          const counts = byShow.get(String(labels.show)) ?? {};
          byShow.set(String(labels.show), counts);
          counts[`holds.${labels.result}`] = value;
        }
        const samples: EntitySample[] = [...byShow].map(([entity, counts]) => ({ kind: 'show', entity, counts }));
        if (!shared) return samples;
        const ids = await activeShows();
        for (const id of layouts.keys()) if (!ids.includes(id)) layouts.delete(id);
        const reads = await Promise.all(
          ids.map(async (showId) => {
            let layout = layouts.get(showId);
            if (!layout) {
              layout = (await directory.get(showId).catch(() => null))?.layout;
              if (!layout) return null;
              layouts.set(showId, layout);
            }
            // No state at all: lost (a request will rebuild it) or never written in this Redis; nothing to chart.
            const st = await infra.redis.hgetall(showKeys(infra.prefix, showId).st).catch(() => null);
            return st && Object.keys(st).length > 0 ? { showId, values: showFigures(layout, st) } : null;
          }),
        );
        for (const read of reads) if (read) samples.push({ kind: 'show', entity: read.showId, values: read.values });
        return samples;
      },
      async close() {
        await durable.flush().catch(() => {});
        durable.stop();
      },
    };
  },
});
