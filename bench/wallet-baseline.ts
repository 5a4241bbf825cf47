// Seed 002's points design, behind the wallet API's HTTP contract for earns, spends and transfers,
// so the same load generator drives it (npm run bench -- --wallet --compare). Not part of the
// product. As the seed built it after its optimistic-locking deadlock: one transaction per
// request, `SELECT … FOR UPDATE` on the wallet row (a transfer locks the sender's, then the
// receiver's: no global order, the A→B / B→A deadlock the seed describes), update the balance,
// insert a history row. No lots, no idempotency; its API key check is left out (in the seed it
// was a query per request, which pinned its database).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import pg from 'pg';
import { ensureDatabase } from '../src/db/migrate.js';
import { createPool } from '../src/db/pool.js';

await ensureDatabase(process.env.DATABASE_URL!, (url) => createPool(url, 1));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
pool.on('error', () => {});

await pool.query(`
  CREATE TABLE IF NOT EXISTS bl_point_wallets (
    partner_id text NOT NULL, user_id text NOT NULL, balance bigint NOT NULL CHECK (balance >= 0),
    version int NOT NULL DEFAULT 0, PRIMARY KEY (partner_id, user_id));
  CREATE TABLE IF NOT EXISTS bl_point_history (
    id bigserial PRIMARY KEY, partner_id text NOT NULL, user_id text NOT NULL, type text NOT NULL,
    amount bigint NOT NULL, description text, created_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS bl_point_history_wallet ON bl_point_history (partner_id, user_id, id);
  -- every start is a new run of the comparison: the seed's books start empty
  TRUNCATE bl_point_wallets, bl_point_history;`);

const PARTNER = 'seed002';
/** Transactions PostgreSQL aborted as deadlocked (40P01): the seed answered them with an error. */
let deadlocks = 0;
type Outcome = { status: number; body: object };

/** The seed's transaction: BEGIN, work, COMMIT; a failure (a deadlock among them) is the request's 500. */
async function inTransaction(work: (client: pg.PoolClient) => Promise<Outcome>): Promise<Outcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const outcome = await work(client);
    await client.query(outcome.status < 300 ? 'COMMIT' : 'ROLLBACK');
    return outcome;
  } catch (err) {
    if ((err as { code?: string }).code === '40P01') deadlocks++;
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const lockWallet = async (client: pg.PoolClient, userId: string) =>
  (
    await client.query<{ balance: string }>('SELECT balance FROM bl_point_wallets WHERE partner_id = $1 AND user_id = $2 FOR UPDATE', [
      PARTNER,
      userId,
    ])
  ).rows[0];

function earn(userId: string, points: number): Promise<Outcome> {
  return inTransaction(async (client) => {
    const { rows } = await client.query<{ balance: string }>(
      `INSERT INTO bl_point_wallets (partner_id, user_id, balance) VALUES ($1, $2, $3)
       ON CONFLICT (partner_id, user_id) DO UPDATE SET balance = bl_point_wallets.balance + EXCLUDED.balance, version = bl_point_wallets.version + 1
       RETURNING balance`,
      [PARTNER, userId, points],
    );
    await client.query(
      "INSERT INTO bl_point_history (partner_id, user_id, type, amount, description) VALUES ($1, $2, 'EARN', $3, 'earn')",
      [PARTNER, userId, points],
    );
    return { status: 201, body: { userId, balance: Number(rows[0]!.balance) } };
  });
}

function spend(userId: string, points: number): Promise<Outcome> {
  return inTransaction(async (client) => {
    const wallet = await lockWallet(client, userId);
    if (!wallet) return { status: 404, body: { error: { code: 'wallet_not_found' } } };
    if (Number(wallet.balance) < points) return { status: 409, body: { error: { code: 'insufficient_points' } } };
    await client.query('UPDATE bl_point_wallets SET balance = balance - $3, version = version + 1 WHERE partner_id = $1 AND user_id = $2', [
      PARTNER,
      userId,
      points,
    ]);
    await client.query(
      "INSERT INTO bl_point_history (partner_id, user_id, type, amount, description) VALUES ($1, $2, 'USE', $3, 'spend')",
      [PARTNER, userId, points],
    );
    return { status: 201, body: { userId, balance: Number(wallet.balance) - points } };
  });
}

function transfer(from: string, to: string, points: number): Promise<Outcome> {
  return inTransaction(async (client) => {
    const sender = await lockWallet(client, from);
    const receiver = await lockWallet(client, to);
    if (!sender || !receiver) return { status: 404, body: { error: { code: 'wallet_not_found' } } };
    if (Number(sender.balance) < points) return { status: 409, body: { error: { code: 'insufficient_points' } } };
    const update = 'UPDATE bl_point_wallets SET balance = balance + $3, version = version + 1 WHERE partner_id = $1 AND user_id = $2';
    await client.query(update, [PARTNER, from, -points]);
    await client.query(update, [PARTNER, to, points]);
    const history = 'INSERT INTO bl_point_history (partner_id, user_id, type, amount, description) VALUES ($1, $2, $3, $4, $5)';
    await client.query(history, [PARTNER, from, 'TRANSFER_OUT', points, `to ${to}`]);
    await client.query(history, [PARTNER, to, 'TRANSFER_IN', points, `from ${from}`]);
    return {
      status: 201,
      body: {
        points,
        from: { userId: from, balance: Number(sender.balance) - points },
        to: { userId: to, balance: Number(receiver.balance) + points },
      },
    };
  });
}

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
    if (req.method === 'GET' && url === '/bench/deadlocks') return send(res, 200, { deadlocks });
    if (req.method === 'POST' && url === '/v1/wallets/transfers') {
      const { from, to, points } = await body(req);
      const outcome = await transfer(from, to, points);
      return send(res, outcome.status, outcome.body);
    }
    if (req.method === 'POST' && (m = /^\/v1\/wallets\/([^/]+)\/(earn|spend)$/.exec(url))) {
      const { points } = await body(req);
      const userId = decodeURIComponent(m[1]!);
      const outcome = m[2] === 'earn' ? await earn(userId, points) : await spend(userId, points);
      return send(res, outcome.status, outcome.body);
    }
    send(res, 404, { error: { code: 'not_found' } });
  } catch (err) {
    send(res, 500, {
      error: {
        code: (err as { code?: string }).code === '40P01' ? 'deadlock_detected' : 'internal_error',
        message: (err as Error).message,
      },
    });
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
