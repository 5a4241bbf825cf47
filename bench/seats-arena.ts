// Venues and shows for the seat benchmarks: an arena of sections S1.. of 50 rows of 100 seats.

/** The venue body of an arena of `seats` seats (a multiple of 100). */
export function arenaVenue(id: string, seats: number) {
  const rows = seats / 100;
  return {
    id,
    name: `bench ${id}`,
    sections: Array.from({ length: Math.ceil(rows / 50) }, (_, s) => ({
      id: `S${s + 1}`,
      rows: Array.from({ length: Math.min(50, rows - s * 50) }, (_, r) => ({ id: String(r + 1), seats: 100 })),
    })),
  };
}

/** The id of seat i (0-based) of an arena. */
export function arenaSeat(i: number): string {
  return `S${Math.floor(i / 5000) + 1}-${Math.floor((i % 5000) / 100) + 1}-${(i % 100) + 1}`;
}

export async function post(origin: string, path: string, body: object, headers: Record<string, string>): Promise<any> {
  const res = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Creates an arena venue (once per id) and a show on it; returns the show id. */
export async function arenaShow(origin: string, adminToken: string, venueId: string, seats: number, show: object = {}): Promise<string> {
  const auth = { authorization: `Bearer ${adminToken}` };
  const venue = await fetch(`${origin}/v1/venues/${venueId}`, { headers: auth });
  if (venue.status === 404) await post(origin, '/v1/venues', arenaVenue(venueId, seats), auth);
  const showId = `${venueId}-${Math.random().toString(36).slice(2, 8)}`;
  await post(
    origin,
    '/v1/shows',
    { id: showId, venueId, startsAt: new Date(Date.now() + 86_400_000).toISOString(), maxSeatsPerUser: 50, ...show },
    auth,
  );
  return showId;
}
