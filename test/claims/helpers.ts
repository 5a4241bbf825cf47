import type { FastifyInstance } from 'fastify';
import { admin } from '../helpers.js';

export async function createCampaign(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/v1/campaigns', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`campaign creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function createPartner(app: FastifyInstance, name = 'shop'): Promise<{ partnerId: string; apiKey: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/partners', headers: admin, payload: { name } });
  if (res.statusCode !== 201) throw new Error(`partner creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function claim(app: FastifyInstance, campaignId: string, userId: string, apiKey: string) {
  const res = await app.inject({
    method: 'POST',
    url: `/v1/campaigns/${campaignId}/claims`,
    headers: { 'x-api-key': apiKey },
    payload: { userId },
  });
  return { status: res.statusCode, body: res.json() };
}

export async function describeCampaign(app: FastifyInstance, campaignId: string) {
  const res = await app.inject({ url: `/v1/campaigns/${campaignId}`, headers: admin });
  return res.json();
}

/** Runs `tasks` with at most `limit` in flight at once. */
export async function pooled<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}
