// The designs the seeds started from, behind Floodgate's HTTP contract for claims, so the same
// load test drives them (npm run bench -- --compare). Not part of the product.
//   for-update  PostgreSQL transaction: SELECT … FOR UPDATE on the campaign row, check, insert (seed 002 before)
//   redis-lock  a Redis SET NX PX spin lock around check-then-insert in PostgreSQL (seeds 000, 001)
//   no-lock     the same without the lock: what seed 001 measured as 263 successes for 250 places
//   bullmq      one BullMQ job per claim, a single worker deciding in order (what a Node developer
//               reaches for); the HTTP handler waits for the job's result, as a polling client would
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureDatabase } from '../../src/db/migrate.js';
import { createPool } from '../../src/db/pool.js';

const design = process.env.BASELINE ?? 'for-update';
// Baselines keep their tables in a database of their own (DATABASE_URL names it; created if missing).
await ensureDatabase(process.env.DATABASE_URL!, (url) => createPool(url, 1));
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });
const prefix = `bl-${randomBytes(3).toString('hex')}`;

await pool.query(`
  CREATE TABLE IF NOT EXISTS bl_campaigns (id text PRIMARY KEY, stock int NOT NULL, per_user_limit int NOT NULL DEFAULT 1, claimed int NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS claims (campaign_id text NOT NULL, seq int, user_id text NOT NULL, claim_id text NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now());
  CREATE INDEX IF NOT EXISTS claims_campaign_user ON claims (campaign_id, user_id);`);

type Outcome = { status: number; body: object };

async function checkThenInsert(client: pg.PoolClient | pg.Pool, campaignId: string, userId: string, forUpdate: boolean): Promise<Outcome> {
  const campaign = (
    await client.query(`SELECT stock, per_user_limit FROM bl_campaigns WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [campaignId])
  ).rows[0];
  if (!campaign) return { status: 404, body: { error: { code: 'campaign_not_found' } } };
  const mine = (await client.query('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1 AND user_id = $2', [campaignId, userId]))
    .rows[0].n;
  if (mine >= campaign.per_user_limit) return { status: 409, body: { error: { code: 'already_claimed' } } };
  const sold = (await client.query('SELECT count(*)::int AS n FROM claims WHERE campaign_id = $1', [campaignId])).rows[0].n;
  if (sold >= campaign.stock) return { status: 410, body: { error: { code: 'sold_out' } } };
  const claimId = `bl_${randomBytes(8).toString('hex')}`;
  await client.query('INSERT INTO claims (campaign_id, seq, user_id, claim_id) VALUES ($1, $2, $3, $4)', [
    campaignId,
    sold + 1,
    userId,
    claimId,
  ]);
  return { status: 201, body: { claimId, campaignId, userId, seq: sold + 1, status: 'confirmed' } };
}

async function forUpdate(campaignId: string, userId: string): Promise<Outcome> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const outcome = await checkThenInsert(client, campaignId, userId, true);
    await client.query('COMMIT');
    return outcome;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
async function redisLock(campaignId: string, userId: string): Promise<Outcome> {
  const key = `${prefix}:lock:${campaignId}`;
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + 5000;
  while ((await redis.set(key, token, 'PX', 3000, 'NX')) !== 'OK') {
    if (Date.now() > deadline) return { status: 503, body: { error: { code: 'lock_timeout' } } };
    await new Promise((r) => setTimeout(r, 5));
  }
  try {
    return await checkThenInsert(pool, campaignId, userId, false);
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}

const noLock = (campaignId: string, userId: string) => checkThenInsert(pool, campaignId, userId, false);

let bullmq: ((campaignId: string, userId: string) => Promise<Outcome>) | null = null;
if (design === 'bullmq') {
  const connection = { url: process.env.REDIS_URL! };
  const name = `${prefix}-claims`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  new Worker(name, async (job) => forUpdate(job.data.campaignId, job.data.userId), { connection, concurrency: 1 });
  bullmq = async (campaignId, userId) => {
    const job = await queue.add('claim', { campaignId, userId }, { removeOnComplete: 1000, removeOnFail: 1000 });
    return (await job.waitUntilFinished(events, 30_000)) as Outcome;
  };
}

const decide = { 'for-update': forUpdate, 'redis-lock': redisLock, 'no-lock': noLock, bullmq: bullmq! }[design];
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
    if (req.method === 'POST' && url === '/v1/campaigns') {
      const { id, stock, perUserLimit = 1 } = await body(req);
      await pool.query('INSERT INTO bl_campaigns (id, stock, per_user_limit) VALUES ($1, $2, $3)', [id, stock, perUserLimit]);
      return send(res, 201, { id, stock });
    }
    if (req.method === 'GET' && (m = /^\/v1\/campaigns\/([^/]+)$/.exec(url))) {
      const row = (
        await pool.query(
          'SELECT stock, (SELECT count(*)::int FROM claims WHERE campaign_id = $1) AS claimed FROM bl_campaigns WHERE id = $1',
          [m[1]],
        )
      ).rows[0];
      return send(res, 200, { claimed: row.claimed, remaining: Math.max(0, row.stock - row.claimed), persisted: row.claimed, pending: 0 });
    }
    if (req.method === 'POST' && (m = /^\/v1\/campaigns\/([^/]+)\/claims$/.exec(url))) {
      const { userId } = await body(req);
      const outcome = await decide(decodeURIComponent(m[1]!), userId);
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
