import { defineCapability } from '../capability.js';
import { defineErrors } from '../errors.js';
import { partnerRoutes } from './routes.js';

/** How often every instance reloads the set of valid keys: a revoked key stops within this time. */
const RELOAD_EVERY_MS = 2_000;

/**
 * Partners' backends and their API keys. The keys themselves are infrastructure (every capability
 * checks them through `infra.partners`); this capability is their admin API and their reload.
 */
export const partners = defineCapability({
  name: 'partners',
  errors: defineErrors({ partner_not_found: { kind: 'not_found', message: 'No such partner' } }),
  async create(infra) {
    const apiKeys = infra.partners;
    return {
      routes: (app) => partnerRoutes(app, apiKeys, infra.admin),
      loops: [{ name: 'api-keys', everyMs: RELOAD_EVERY_MS, step: () => apiKeys.reload() }],
    };
  },
});
