import type { CampaignRecord, CampaignRepository } from './repository.js';

const TTL_MS = 5_000;
const MISSING_TTL_MS = 1_000;

/**
 * Campaign definitions, read-mostly, cached per instance: a claim does not cost a database read.
 * Unknown ids are remembered for a second, so a flood of requests for a wrong id stays cheap.
 */
export class CampaignCache {
  private readonly entries = new Map<string, { record: CampaignRecord | null; at: number }>();
  private readonly loading = new Map<string, Promise<CampaignRecord | null>>();

  constructor(private readonly repository: CampaignRepository) {}

  async get(id: string): Promise<CampaignRecord | null> {
    const entry = this.entries.get(id);
    if (entry && Date.now() - entry.at < (entry.record ? TTL_MS : MISSING_TTL_MS)) return entry.record;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.repository.get(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
      void pending.then(
        (record) => this.entries.set(id, { record, at: Date.now() }),
        () => {},
      );
    }
    return entry?.record ?? pending;
  }

  set(record: CampaignRecord): void {
    this.entries.set(record.id, { record, at: Date.now() });
  }
}
