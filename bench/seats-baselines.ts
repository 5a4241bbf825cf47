// The seat-holding designs Floodgate is compared with (npm run bench -- --compare), behind the
// subset of Floodgate's seats API the comparison uses, so the same load drives them. Not part of
// the product.
//   seat-for-update  seed 003's design: a transaction that locks the seat rows
//                    (SELECT … FOR UPDATE), checks them, marks them held and inserts the hold
//   seat-update      a conditional UPDATE … WHERE status = 'free' in a transaction (all or nothing
//                    over the seats: rolled back unless every seat was free), then the insert
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { ensureDatabase } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';

const design = process.env.BASELINE ?? 'seat-for-update';
await ensureDatabase(process.env.DATABASE_URL!, (url) => createPool(url, 1));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

await pool.query(`
  CREATE TABLE IF NOT EXISTS bl_seats (show_id text NOT NULL, seat_id text NOT NULL, status text NOT NULL DEFAULT 'free',
                                       hold_id text, PRIMARY KEY (show_id, seat_id));
  CREATE TABLE IF NOT EXISTS bl_holds (hold_id text PRIMARY KEY, show_id text NOT NULL, user_id text NOT NULL, seats text[] NOT NULL,
                                       expires_at timestamptz NOT NULL);`);

const venues = new Map<string, string[]>();

type Outcome = { status: number; body: object };

async function inTransaction(work: (client: pg.PoolClient) => Promise<Outcome>): Promise<Outcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const outcome = await work(client);
    await client.query(outcome.status === 201 ? 'COMMIT' : 'ROLLBACK');
    return outcome;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

async function insertHold(client: pg.PoolClient, showId: string, userId: string, seats: string[]): Promise<Outcome> {
  const holdId = `bl_${randomBytes(8).toString('hex')}`;
  await client.query(
    `INSERT INTO bl_holds (hold_id, show_id, user_id, seats, expires_at) VALUES ($1, $2, $3, $4, now() + interval '10 minutes')`,
    [holdId, showId, userId, seats],
  );
  return { status: 201, body: { holdId, seats, together: true, expiresAt: new Date(Date.now() + 600_000).toISOString() } };
}

const unavailable = (seats: string[]): Outcome => ({ status: 409, body: { error: { code: 'seats_unavailable', seats } } });

function forUpdate(showId: string, userId: string, seats: string[]): Promise<Outcome> {
  return inTransaction(async (client) => {
    const { rows } = await client.query<{ seat_id: string; status: string }>(
      'SELECT seat_id, status FROM bl_seats WHERE show_id = $1 AND seat_id = ANY($2) ORDER BY seat_id FOR UPDATE',
      [showId, seats],
    );
    const taken = rows.filter((r) => r.status !== 'free').map((r) => r.seat_id);
    if (taken.length > 0 || rows.length !== seats.length) return unavailable(taken);
    await client.query("UPDATE bl_seats SET status = 'held' WHERE show_id = $1 AND seat_id = ANY($2)", [showId, seats]);
    return insertHold(client, showId, userId, seats);
  });
}

function conditionalUpdate(showId: string, userId: string, seats: string[]): Promise<Outcome> {
  return inTransaction(async (client) => {
    const updated = await client.query("UPDATE bl_seats SET status = 'held' WHERE show_id = $1 AND seat_id = ANY($2) AND status = 'free'", [
      showId,
      seats,
    ]);
    if (updated.rowCount !== seats.length) return unavailable(seats);
    return insertHold(client, showId, userId, seats);
  });
}

const decide = { 'seat-for-update': forUpdate, 'seat-update': conditionalUpdate }[design];
if (!decide) throw new Error(`unknown BASELINE ${design}`);

function send(res: ServerResponse, status: number, body: object) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function body(req: IncomingMessage): Promise<any> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

const server = createServer(async (req, res) => {
  try {
    const url = req.url ?? '/';
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && url === '/readyz') return send(res, 200, { status: 'ok' });
    if (req.method === 'POST' && url === '/v1/partners') return send(res, 201, { partnerId: 'baseline', apiKey: 'baseline' });
    if (req.method === 'GET' && (m = /^\/v1\/venues\/([^/]+)$/.exec(url))) {
      return venues.has(m[1]!) ? send(res, 200, { id: m[1] }) : send(res, 404, { error: { code: 'venue_not_found' } });
    }
    if (req.method === 'POST' && url === '/v1/venues') {
      const { id, sections } = await body(req);
      const seats: string[] = [];
      for (const s of sections) for (const r of s.rows) for (let p = 1; p <= r.seats; p++) seats.push(`${s.id}-${r.id}-${p}`);
      venues.set(id, seats);
      return send(res, 201, { id, capacity: seats.length });
    }
    if (req.method === 'POST' && url === '/v1/shows') {
      const { id, venueId } = await body(req);
      await pool.query('INSERT INTO bl_seats (show_id, seat_id) SELECT $1, unnest($2::text[])', [id, venues.get(venueId)]);
      // As a running system's would be: the planner knows the table's size (else it may scan it).
      await pool.query('ANALYZE bl_seats');
      return send(res, 201, { id });
    }
    if (req.method === 'POST' && (m = /^\/v1\/shows\/([^/]+)\/holds$/.exec(url))) {
      const { seats, userId } = await body(req);
      const outcome = await decide(decodeURIComponent(m[1]!), userId, seats);
      return send(res, outcome.status, outcome.body);
    }
    send(res, 404, { error: { code: 'not_found' } });
  } catch (err) {
    send(res, 500, { error: { code: 'internal_error', message: (err as Error).message } });
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
