import { RecordCache } from '../db/record-cache.js';
import type { CampaignRecord, CampaignRepository } from './repository.js';

/**
 * Campaign definitions, read-mostly, cached per instance (db/record-cache.ts): a claim does not
 * cost a database read, and made-up campaign ids cost neither memory nor database load.
 */
export function campaignCache(repository: CampaignRepository): RecordCache<CampaignRecord> {
  return new RecordCache((id) => repository.get(id), { ttlMs: 5_000, missTtlMs: 1_000, max: 10_000, unknownLookupsPerSecond: 20 });
}
