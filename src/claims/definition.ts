import { defineCapability, type EntitySample } from '../capability.js';
import { DurableLog } from '../durable/log.js';
import { Parking } from '../durable/parking.js';
import { Rebuilds } from '../durable/rebuild.js';
import { distributionsBy } from '../history/distribution.js';
import { execPipeline } from '../redis/pipeline.js';
import { ClaimIds } from './claim-ids.js';
import { CLAIM_ERRORS } from './errors.js';
import { campaignKeys } from './keys.js';
import { CLAIM_LOG_FIELD, decodeLogEntry, encodeLogEntry } from './log-entry.js';
import { claimMetrics } from './metrics.js';
import { CampaignRepository } from './repository.js';
import { claimRoutes } from './routes.js';
import { CampaignScripts } from './scripts.js';
import { ClaimsService } from './service.js';
import { claimShortcuts } from './shortcuts.js';

/** Campaign ids are listed again this often for the sweeper (new campaigns are swept within it). */
const CAMPAIGN_LIST_REFRESH_MS = 5_000;
const SWEEP_EVERY_MS = 1_000;

/**
 * First-come claims of limited stock: decided in one script per campaign, answered 201 once
 * committed in PostgreSQL (the durable pipeline), never oversold.
 */
export const claims = defineCapability({
  name: 'claims',
  errors: CLAIM_ERRORS,
  async create(infra) {
    const repository = new CampaignRepository(infra.pool);
    const scripts = new CampaignScripts(infra.redis, infra.prefix);
    const claimIds = new ClaimIds(await infra.secret('claim-id-hmac'));
    const metrics = claimMetrics(infra.metrics.registry);
    const durable = new DurableLog({
      capability: 'claims',
      redis: infra.redis,
      store: repository,
      parking: new Parking(infra.pool),
      log: infra.log,
      logKey: (campaignId) => campaignKeys(infra.prefix, campaignId).log,
      field: CLAIM_LOG_FIELD,
      decode: (campaignId, value) => decodeLogEntry(campaignId, value, claimIds),
      encode: encodeLogEntry,
      // A claim that will never be stored gives its unit back (and the user's place under the limit).
      onParked: (campaignId, parked) => scripts.release(campaignId, parked),
    });
    durable.onBatch = (size, lagsMs) => {
      metrics.batchSize.observe(size);
      for (const ms of lagsMs) metrics.persistenceLag.observe(ms / 1000);
    };
    durable.onFailure = () => infra.metrics.dependencyErrors.inc({ dependency: 'postgres' });
    const service = new ClaimsService({
      redis: infra.redis,
      prefix: infra.prefix,
      repository,
      scripts,
      durable,
      rebuilds: new Rebuilds(infra.redis, durable, infra.log),
      claimIds,
      clock: infra.clock,
      webhookAllowPrivate: infra.config.webhookAllowPrivate,
      defaultClientRate: infra.config.clientRate,
      onDecided: (campaign, result) => metrics.claims.inc({ campaign, result }),
    });
    const claimant = { partners: infra.partners, access: infra.access, limits: infra.limits };

    let campaignIds: string[] = [];
    let listedAt = 0;
    return {
      service,
      repository,
      durable,
      routes: (app) => claimRoutes(app, { claims: service, ...claimant, admin: infra.admin }),
      shortcuts: claimShortcuts(service, claimant),
      loops: [
        {
          // Recovery: what a dead writer (or a database outage) left in the campaigns' logs.
          name: 'claim-sweeper',
          everyMs: SWEEP_EVERY_MS,
          async step() {
            if (Date.now() - listedAt > CAMPAIGN_LIST_REFRESH_MS) {
              campaignIds = await repository.listIds();
              service.campaigns.setKnownIds(campaignIds);
              listedAt = Date.now();
            }
            await durable.sweepAll(campaignIds);
          },
        },
      ],
      async gauges() {
        metrics.pending.set(durable.backlog);
      },
      // The dashboard's history (src/history/): each campaign's stock and persistence from Redis
      // (no PostgreSQL count every second), this instance's claims by result and commit lags
      // (summed over instances by the history).
      async samples({ shared }) {
        const byCampaign = new Map<string, Record<string, number>>();
        for (const { labels, value } of (await metrics.claims.get()).values) {
          const counts = byCampaign.get(String(labels.campaign)) ?? {};
          byCampaign.set(String(labels.campaign), counts);
          counts[`claims.${labels.result}`] = value;
        }
        const samples: EntitySample[] = [...byCampaign].map(([entity, counts]) => ({ kind: 'campaign', entity, counts }));
        const lag = distributionsBy((await metrics.persistenceLag.get()).values, () => 'all').get('all');
        if (lag) samples.push({ kind: 'capability', entity: 'claims', distributions: { persistenceLag: lag } });
        if (!shared) return samples;
        const now = infra.clock.now();
        const records = await repository.list();
        const reads = await Promise.all(
          records.map((record) => {
            const keys = campaignKeys(infra.prefix, record.id);
            const pipeline = infra.redis
              .pipeline()
              .hmget(keys.st, 'claimed', 'ready')
              .xlen(keys.log)
              .xrange(keys.log, '-', '+', 'COUNT', 1);
            return execPipeline(pipeline).catch(() => null);
          }),
        );
        for (const [i, record] of records.entries()) {
          const read = reads[i];
          if (!read) continue;
          const [[claimed, ready], inLog, oldest] = read as [Array<string | null>, number, Array<[string, string[]]>];
          // While its state is being rebuilt, Redis does not know the campaign's figures.
          const known = ready === '1';
          const oldestAt = oldest[0] ? Number(oldest[0][0].split('-')[0]) : null;
          samples.push({
            kind: 'campaign',
            entity: record.id,
            values: {
              stock: record.stock,
              claimed: known ? Number(claimed ?? 0) : null,
              remaining: known ? Math.max(0, record.stock - Number(claimed ?? 0)) : null,
              // Accepted claims whose commit in PostgreSQL is not yet known (the campaign's log).
              pending: inLog,
              persisted: known ? Math.max(0, Number(claimed ?? 0) - inLog) : null,
              oldestPendingSeconds: oldestAt === null ? 0 : Math.max(0, (now - oldestAt) / 1000),
              restoring: known ? 0 : 1,
            },
          });
        }
        return samples;
      },
      async close() {
        await durable.flush().catch(() => {});
        durable.stop();
      },
    };
  },
});
