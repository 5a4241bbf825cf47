import { defineCapability, type EntitySample } from '../capability.js';
import { DurableLog } from '../durable/log.js';
import { Parking } from '../durable/parking.js';
import { Rebuilds } from '../durable/rebuild.js';
import { TermCatalog } from './catalog.js';
import { TermCounters } from './counters.js';
import { Deciders } from './deciders.js';
import { DecisionStore } from './decision-store.js';
import { COURSE_ERRORS } from './errors.js';
import { MAX_SAMPLED_COURSES, sampledTerms, termFigures } from './figures.js';
import { termKeys } from './keys.js';
import { decodeLogEntry, encodeLogEntry, REQUEST_LOG_FIELD } from './log-entry.js';
import { courseMetrics } from './metrics.js';
import { coursePages } from './page.js';
import { CoursesRepository, type TermRecord } from './repository.js';
import { RequestIds } from './request-ids.js';
import { courseRoutes } from './routes.js';
import { TermScripts } from './scripts.js';
import { CoursesService } from './service.js';
import { courseShortcuts } from './shortcuts.js';

/** Term ids are listed again this often for the sweeper (new terms are swept within it). */
const TERM_LIST_REFRESH_MS = 5_000;
const SWEEP_EVERY_MS = 1_000;
/** How often each instance looks for terms that wait for a decider (a dead one is replaced within a lease plus this). */
const TAKEOVER_EVERY_MS = 1_000;

/**
 * Course registration: requests queued in arrival order (durable before the 202), decided by one
 * decider per term against every rule, in batches, never over-enrolled. See decider.ts.
 */
export const courses = defineCapability({
  name: 'courses',
  errors: COURSE_ERRORS,
  async create(infra) {
    const repository = new CoursesRepository(infra.pool);
    const requestIds = new RequestIds(await infra.secret('course-request-id-hmac'));
    const metrics = courseMetrics(infra.metrics.registry);
    const scripts = new TermScripts(infra.redis, infra.prefix);
    const durable = new DurableLog({
      capability: 'courses',
      redis: infra.redis,
      store: repository,
      parking: new Parking(infra.pool),
      log: infra.log,
      logKey: (termId) => termKeys(infra.prefix, termId).log,
      field: REQUEST_LOG_FIELD,
      decode: decodeLogEntry,
      encode: encodeLogEntry,
    });
    durable.onFailure = () => infra.metrics.dependencyErrors.inc({ dependency: 'postgres' });
    const store = new DecisionStore(infra.pool, infra.outbox);
    const deciders = new Deciders(
      store,
      {
        store,
        log: infra.log,
        requestId: (termId, seq, studentId) => requestIds.for(termId, seq, studentId),
        publish: (termId, decided, results) => scripts.publish(termId, decided, results),
        onBatch(entries, actions, ms) {
          metrics.batchSize.observe(entries);
          metrics.batchSeconds.observe(ms / 1000);
          metrics.decidedActions.inc(actions);
        },
        now: () => infra.clock.now(),
      },
      infra.log,
    );
    const catalog = new TermCatalog(repository);
    const counters = new TermCounters(infra.redis, infra.prefix);
    const service = new CoursesService({
      redis: infra.redis,
      prefix: infra.prefix,
      repository,
      scripts,
      durable,
      rebuilds: new Rebuilds(infra.redis, durable, infra.log),
      requestIds,
      clock: infra.clock,
      webhookAllowPrivate: infra.config.webhookAllowPrivate,
      catalog,
      counters,
      deciders,
      onAccepted: (term, outcome) => metrics.accepted.inc({ term, outcome }),
    });
    const identity = { partners: infra.partners, access: infra.access, admin: infra.admin };

    let termIds: string[] = [];
    let listedAt = 0;
    let termList: { at: number; terms: Promise<TermRecord[]> } | null = null;
    return {
      service,
      repository,
      durable,
      deciders,
      store,
      requestIds,
      routes: (app) => {
        courseRoutes(app, { courses: service, ...identity });
        coursePages(app);
      },
      shortcuts: courseShortcuts(service, identity),
      loops: [
        {
          // Recovery: what a dead instance (or a database outage) left in the terms' logs.
          name: 'course-request-sweeper',
          everyMs: SWEEP_EVERY_MS,
          async step() {
            if (Date.now() - listedAt > TERM_LIST_REFRESH_MS) {
              termIds = await repository.listTermIds();
              listedAt = Date.now();
            }
            await durable.sweepAll(termIds);
          },
        },
        {
          // Terms with requests and no live decider are taken over (one instance wins each lease).
          name: 'course-deciders',
          everyMs: TAKEOVER_EVERY_MS,
          step: () => deciders.step(),
        },
      ],
      async gauges() {
        metrics.pending.set(durable.backlog);
        metrics.deciders.set(deciders.count);
      },
      // The dashboard's history (src/history/): each open term's totals and each of its courses'
      // fill, from the term's counters (one HMGET) and the course list GET /v1/terms/:id/courses
      // serves (one indexed SELECT per term, shared with that route's 1 s cache); this instance's
      // entries by outcome. Terms closed over an hour ago are left out (nothing moves there), and
      // only the newest 100 are sampled, with at most 1,000 courses in all (src/courses/figures.ts).
      async samples({ shared }) {
        const byTerm = new Map<string, Record<string, number>>();
        const countsOf = (term: string) => {
          const counts = byTerm.get(term) ?? {};
          byTerm.set(term, counts);
          return counts;
        };
        for (const { labels, value } of (await metrics.accepted.get()).values)
          countsOf(String(labels.term))[`requests.${labels.outcome}`] = value;
        for (const { labels, value } of (await metrics.decidedActions.get()).values) countsOf(String(labels.term)).decidedActions = value;
        const samples: EntitySample[] = [...byTerm].map(([entity, counts]) => ({ kind: 'term', entity, counts }));
        if (!shared) return samples;
        if (!termList || Date.now() - termList.at > TERM_LIST_REFRESH_MS) {
          termList = { at: Date.now(), terms: repository.listTerms() };
          termList.terms.catch(() => {
            termList = null;
          });
        }
        const open = sampledTerms(await termList.terms, infra.clock.now());
        // A term without counters in Redis (lost, or another deployment's sharing the database) is
        // left out before its courses are read: nothing moves there until a request restores it.
        const reads = await Promise.all(
          open.map(async (term) => {
            const view = await counters.get(term.id).catch(() => null);
            if (!view?.ready) return null;
            const courseList = await service.listCourses(term.id).catch(() => null);
            return courseList ? ([courseList, view] as const) : null;
          }),
        );
        let courseBudget = MAX_SAMPLED_COURSES;
        for (const [i, term] of open.entries()) {
          const read = reads[i];
          if (!read) continue;
          const figures = termFigures(term.id, read[0], read[1], courseBudget);
          courseBudget -= figures.length - 1;
          samples.push(...figures);
        }
        return samples;
      },
      async close() {
        await deciders.close();
        await durable.flush().catch(() => {});
        durable.stop();
      },
    };
  },
});
