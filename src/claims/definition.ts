import { defineCapability } from '../capability.js';
import { DurableLog } from '../durable/log.js';
import { Parking } from '../durable/parking.js';
import { Rebuilds } from '../durable/rebuild.js';
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
      async close() {
        await durable.flush().catch(() => {});
        durable.stop();
      },
    };
  },
});
