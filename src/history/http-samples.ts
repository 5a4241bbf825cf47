// The HTTP layer's own figures for the history: each route's latency distribution and its answers
// by status, from this instance's request histogram (src/metrics/). Routes are Fastify templates,
// hence a bounded set; the entity is `<METHOD> <template>`, e.g. `GET /v1/rooms/:roomId`.
import type { EntitySample } from '../capability.js';
import type { Metrics } from '../metrics/metrics.js';
import { distributionsBy } from './distribution.js';

export const ROUTE_KIND = 'route';

export async function routeSamples(metrics: Metrics): Promise<EntitySample[]> {
  const { values } = await metrics.httpDuration.get();
  const entityOf = (labels: Record<string, string | number | undefined>) =>
    labels.method === undefined || labels.route === undefined ? null : `${labels.method} ${labels.route}`;
  const durations = distributionsBy(values, entityOf);
  const counts = new Map<string, Record<string, number>>();
  for (const { value, labels, metricName } of values) {
    if (!metricName?.endsWith('_count')) continue;
    const entity = entityOf(labels);
    if (entity === null) continue;
    const byStatus = counts.get(entity) ?? {};
    counts.set(entity, byStatus);
    const name = `status.${labels.status_code ?? 'unknown'}`;
    byStatus[name] = (byStatus[name] ?? 0) + value;
  }
  return [...durations].map(([entity, duration]) => ({
    kind: ROUTE_KIND,
    entity,
    distributions: { duration },
    counts: counts.get(entity) ?? {},
  }));
}
