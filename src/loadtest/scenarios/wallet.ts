// `floodgate loadtest --scenario wallet`: a partner's traffic on its points wallets — transfers
// between random wallets, spends, earns, holds then captured or voided (or left to time out),
// reversals of earlier spends, and a share of requests sent again with their Idempotency-Key (a
// client retrying). The audit reads PostgreSQL: the books balance, no balance is negative, every
// 201 is stored once under its key, and every replay was answered as the first time.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { integerOption, numberOption } from '../../cli/args.js';
import type { AdminClient } from '../admin-client.js';
import { type Check, check, skip } from '../audit.js';
import type { Flow, Reply } from '../runner.js';
import { type ScenarioDefinition, stringValue } from '../scenario-definition.js';
import type { PreparedScenario } from '../scenarios.js';

export interface WalletScenarioOptions {
  /** The Floodgate under test. */
  target: string;
  /** Wallets earned into before the run (every operation picks among them). */
  wallets: number;
  /** Share of arrivals that send an earlier request again, with its key and body. */
  replayShare: number;
  apiKey?: string;
  databaseUrl?: string;
}

interface Sent {
  path: string;
  body: object;
  key: string;
  status: number;
  /** The first answer's body, as text (a replay must match it exactly). */
  answer: string;
}

/** Requests kept for replays: the most recent ones. */
const REPLAYABLE = 20_000;
const SEED_POINTS = 1_000;

export async function walletScenario(admin: AdminClient, options: WalletScenarioOptions): Promise<PreparedScenario> {
  const run = randomBytes(3).toString('hex');
  const partner = options.apiKey
    ? null
    : await admin.must<{ apiKey: string; partnerId: string }>('POST', '/v1/partners', { name: `loadtest ${run}` });
  const apiKey = options.apiKey ?? partner!.apiKey;
  const user = (n: number) => `lt-${run}-${n}`;
  await seed(options.target, apiKey, options.wallets, user);

  const replayable: Sent[] = [];
  /** Keys of every 201, with the transaction (or hold) it names. */
  const applied = new Map<string, string>();
  const spends: string[] = [];
  let replays = 0;
  const mismatches: string[] = [];
  let unanswered = 0;
  const random = (n: number) => Math.floor(Math.random() * n);

  async function send(flow: Flow, kind: string, path: string, body: object, key: string, scheduledAt?: number): Promise<Reply> {
    const reply = await flow.request(
      kind,
      { method: 'POST', path, body, headers: { 'x-api-key': apiKey, 'idempotency-key': key } },
      scheduledAt,
      (s) => s < 500,
    );
    if (reply.status === 'error' || reply.status >= 500) {
      unanswered++;
      return reply;
    }
    const sent: Sent = { path, body, key, status: reply.status, answer: JSON.stringify(reply.body) };
    if (replayable.length >= REPLAYABLE) replayable[random(REPLAYABLE)] = sent;
    else replayable.push(sent);
    if (reply.status === 201) {
      applied.set(key, String(reply.body.transactionId ?? reply.body.holdId));
      if (kind === 'spend') spends.push(String(reply.body.transactionId));
    }
    return reply;
  }

  async function replay(flow: Flow, sent: Sent, scheduledAt: number): Promise<void> {
    const reply = await flow.request(
      'replay',
      { method: 'POST', path: sent.path, body: sent.body, headers: { 'x-api-key': apiKey, 'idempotency-key': sent.key } },
      scheduledAt,
      (s) => s < 500,
    );
    if (reply.status === 'error' || reply.status >= 500) return;
    replays++;
    if (reply.status !== sent.status || JSON.stringify(reply.body) !== sent.answer) {
      if (mismatches.length < 5)
        mismatches.push(`${sent.key}: ${sent.status} ${sent.answer} then ${reply.status} ${JSON.stringify(reply.body)}`);
      else mismatches.push(sent.key);
    }
  }

  return {
    name: 'wallet',
    // the partner key it made is revoked at the end (the ledger stays, for the audit's record)
    created: partner ? [{ kind: 'partner', id: partner.partnerId }] : [],
    describe: () => ({ wallets: options.wallets, replayShare: options.replayShare, partnerId: partner?.partnerId ?? null }),
    async arrival(i: number, flow: Flow, scheduledAt: number) {
      if (replayable.length > 0 && Math.random() < options.replayShare) {
        await replay(flow, replayable[random(replayable.length)]!, scheduledAt);
        return;
      }
      const key = `lt-${run}-${i}`;
      const points = 1 + random(20);
      const a = user(random(options.wallets));
      const pick = Math.random();
      if (pick < 0.6) {
        let b = user(random(options.wallets));
        if (b === a) b = user((Number(a.slice(a.lastIndexOf('-') + 1)) + 1) % options.wallets);
        await send(flow, 'transfer', '/v1/wallets/transfers', { from: a, to: b, points, reason: 'loadtest' }, key, scheduledAt);
      } else if (pick < 0.75) {
        await send(flow, 'spend', `/v1/wallets/${encodeURIComponent(a)}/spend`, { points, reason: 'loadtest' }, key, scheduledAt);
      } else if (pick < 0.85) {
        const body = { points: points * 5, reason: 'loadtest', ...(Math.random() < 0.7 ? { expiresInDays: 1 + random(365) } : {}) };
        await send(flow, 'earn', `/v1/wallets/${encodeURIComponent(a)}/earn`, body, key, scheduledAt);
      } else if (pick < 0.95) {
        const hold = await send(
          flow,
          'hold',
          `/v1/wallets/${encodeURIComponent(a)}/holds`,
          { points, expiresInSeconds: 2 },
          key,
          scheduledAt,
        );
        if (hold.status !== 201) return;
        if (!(await flow.sleep(random(500)))) return;
        const settle = Math.random();
        const holdPath = `/v1/wallets/holds/${hold.body.holdId}`;
        // a tenth are left to time out; the rest captured in part or in full, or voided
        if (settle < 0.45)
          await send(flow, 'capture', `${holdPath}/capture`, Math.random() < 0.5 ? {} : { points: 1 + random(points) }, `${key}-c`);
        else if (settle < 0.9) await send(flow, 'void', `${holdPath}/void`, {}, `${key}-v`);
      } else if (spends.length > 0) {
        const transactionId = spends[random(spends.length)]!;
        await send(
          flow,
          'reverse',
          `/v1/wallets/transactions/${transactionId}/reverse`,
          Math.random() < 0.5 ? {} : { points: 1 },
          key,
          scheduledAt,
        );
      }
    },
    async audit() {
      const checks: Check[] = [
        check(
          'idempotent replays answered identically',
          mismatches.length === 0,
          `${replays} replays, ${mismatches.length} answered differently${mismatches.length ? `: ${mismatches.slice(0, 5).join('; ')}` : ''}`,
        ),
      ];
      if (!options.databaseUrl) {
        checks.push(skip('the books balance; every 201 stored once', 'no --database-url (or DATABASE_URL) to read the ledger'));
        return checks;
      }
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
      try {
        const partnerId =
          partner?.partnerId ??
          (
            await pool.query<{ partner_id: string }>(
              "SELECT partner_id FROM wallet_accounts WHERE user_id = $1 AND kind = 'user' LIMIT 1",
              [user(0)],
            )
          ).rows[0]?.partner_id;
        const books = (
          await pool.query<{ unbalanced: number; total: string; negative: number; drift: number }>(
            `WITH accounts AS (SELECT id FROM wallet_accounts WHERE partner_id = $1)
             SELECT (SELECT count(*) FROM (SELECT 1 FROM wallet_postings p JOIN accounts a ON a.id = p.account_id
                                           GROUP BY p.transaction_id HAVING sum(p.points) <> 0) u)::int AS unbalanced,
                    (SELECT coalesce(sum(p.points), 0) FROM wallet_postings p JOIN accounts a ON a.id = p.account_id)::text AS total,
                    (SELECT count(*) FROM wallet_balances WHERE partner_id = $1 AND balance < 0)::int AS negative,
                    (SELECT count(*) FROM wallet_balances b WHERE b.partner_id = $1
                       AND b.balance <> (SELECT coalesce(sum(points), 0) FROM wallet_postings p WHERE p.account_id = b.account_id))::int AS drift`,
            [partnerId],
          )
        ).rows[0]!;
        checks.push(
          check(
            'the sum over all accounts is zero',
            books.unbalanced === 0 && books.total === '0',
            `${books.unbalanced} unbalanced transactions, all accounts sum to ${books.total}`,
          ),
        );
        checks.push(
          check(
            'no negative balance; every balance is the sum of its postings',
            books.negative === 0 && books.drift === 0,
            `${books.negative} negative, ${books.drift} not the sum of their postings`,
          ),
        );
        // Every 201: its key stored, applied, naming the very transaction the answer named, once.
        const keys = [...applied.keys()];
        const stored = new Map<string, string | null>();
        for (let i = 0; i < keys.length; i += 10_000) {
          const { rows } = await pool.query<{ idempotency_key: string; transaction_id: string | null; refused: string | null }>(
            'SELECT idempotency_key, transaction_id::text, refused FROM wallet_requests WHERE partner_id = $1 AND idempotency_key = ANY($2)',
            [partnerId, keys.slice(i, i + 10_000)],
          );
          for (const r of rows) stored.set(r.idempotency_key, r.refused === null ? r.transaction_id : null);
        }
        const missing = keys.filter((k) => stored.get(k) !== applied.get(k));
        const named = new Set(applied.values());
        const all = (
          await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM wallet_requests WHERE partner_id = $1 AND refused IS NULL AND idempotency_key LIKE 'lt-%'",
            [partnerId],
          )
        ).rows[0]!.n;
        checks.push(
          check(
            'every 2xx present once',
            missing.length === 0 && named.size === keys.length,
            `${keys.length} answered 201: ${missing.length} not stored as answered, ${keys.length - named.size} naming a transaction twice`,
          ),
        );
        checks.push(
          check(
            'nothing applied that was not answered',
            all >= keys.length && all - keys.length <= unanswered,
            `${all} applied keys stored, ${keys.length} answered 201, ${unanswered} requests unanswered`,
          ),
        );
      } finally {
        await pool.end();
      }
      return checks;
    },
  };
}

/** Every wallet earns before the run, many at once. */
async function seed(target: string, apiKey: string, wallets: number, user: (n: number) => string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(100, wallets) }, async () => {
      while (next < wallets) {
        const n = next++;
        const res = await fetch(new URL(`/v1/wallets/${encodeURIComponent(user(n))}/earn`, target), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'idempotency-key': `seed-${user(n)}` },
          body: JSON.stringify({ points: SEED_POINTS, reason: 'loadtest seed' }),
        });
        if (res.status !== 201) throw new Error(`seeding wallet ${user(n)}: ${res.status} ${await res.text()}`);
      }
    }),
  );
}

export const walletDefinition: ScenarioDefinition = {
  name: 'wallet',
  options: { wallets: { type: 'string' }, 'replay-share': { type: 'string' }, 'api-key': { type: 'string' } },
  needsAdminToken: true,
  prepare: (values, admin, databaseUrl, target) => {
    const apiKey = stringValue(values, 'api-key');
    return walletScenario(admin, {
      target,
      wallets: integerOption('wallets', stringValue(values, 'wallets'), 1000, 2, 10_000_000),
      replayShare: numberOption('replay-share', stringValue(values, 'replay-share'), 0.1, 0, 1),
      ...(apiKey ? { apiKey } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
    });
  },
};
