import type { FastifyInstance } from 'fastify';
import { admin, uniqueId } from '../helpers.js';

export async function createVenue(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/v1/venues', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`venue creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function createShow(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/v1/shows', headers: admin, payload: body });
  if (res.statusCode !== 201) throw new Error(`show creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** A venue of `rows` rows of `seats` seats in one section "A" (seat ids A-<row>-<n>), and a show on it. */
export async function simpleShow(
  app: FastifyInstance,
  options: { rows?: number; seats?: number; show?: Record<string, unknown>; venue?: Record<string, unknown> } = {},
): Promise<{ showId: string; venueId: string }> {
  const venueId = uniqueId('venue');
  await createVenue(app, {
    id: venueId,
    name: 'Hall',
    sections: [{ id: 'A', rows: Array.from({ length: options.rows ?? 5 }, (_, i) => ({ id: String(i + 1), seats: options.seats ?? 10 })) }],
    ...options.venue,
  });
  const showId = uniqueId('show');
  await createShow(app, { id: showId, venueId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), ...options.show });
  return { showId, venueId };
}

export async function createPartner(app: FastifyInstance, name = 'box office'): Promise<{ partnerId: string; apiKey: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/partners', headers: admin, payload: { name } });
  if (res.statusCode !== 201) throw new Error(`partner creation failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function hold(app: FastifyInstance, showId: string, apiKey: string, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: `/v1/shows/${showId}/holds`, headers: { 'x-api-key': apiKey }, payload: body });
  return { status: res.statusCode, body: res.json() };
}

export async function confirm(app: FastifyInstance, showId: string, holdId: string, apiKey: string, key: string) {
  const res = await app.inject({
    method: 'POST',
    url: `/v1/shows/${showId}/holds/${holdId}/confirm`,
    headers: { 'x-api-key': apiKey, 'idempotency-key': key },
  });
  return { status: res.statusCode, body: res.json() };
}

export async function seatMap(app: FastifyInstance, showId: string) {
  const res = await app.inject({ url: `/v1/shows/${showId}/seats` });
  if (res.statusCode !== 200) throw new Error(`seat map: ${res.statusCode} ${res.body}`);
  return res.json();
}

export async function describeShow(app: FastifyInstance, showId: string) {
  const res = await app.inject({ url: `/v1/shows/${showId}`, headers: admin });
  if (res.statusCode !== 200) throw new Error(`show: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Statuses by seat id, from a seat map answer. */
export function statuses(map: { sections: Array<{ id: string; rows: Array<{ id: string; seats: number | string[]; status: string }> }> }) {
  const out = new Map<string, string>();
  for (const section of map.sections) {
    for (const row of section.rows) {
      const labels = typeof row.seats === 'number' ? Array.from({ length: row.seats }, (_, i) => String(i + 1)) : row.seats;
      for (const [i, label] of labels.entries()) out.set(`${section.id}-${row.id}-${label}`, row.status[i]!);
    }
  }
  return out;
}
