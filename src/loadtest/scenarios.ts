import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AdminClient } from './admin-client.js';
import { admissionOrderViolations, check, type Check } from './audit.js';
import type { Flow, Scenario } from './runner.js';

export interface PreparedScenario extends Scenario {
  /** Reads the system's state after the run and checks the invariants. */
  audit(): Promise<Check[]>;
  describe(): Record<string, unknown>;
}

const runId = () => randomBytes(3).toString('hex');

// ── waiting room ─────────────────────────────────────────────────────────────────────────────────

export interface WaitingRoomOptions {
  roomId?: string;
  admitPerSecond: number;
  maxActive: number;
  sessionSeconds: number;
  /** How long an admitted user keeps the slot before completing (ms). */
  holdMs: number;
}

/**
 * Each arrival is a person: enters, polls as told by pollAfterMs until admitted, keeps the session
 * for holdMs, then completes. Samples the room every second (waiting, active) for the audit.
 */
export async function waitingRoomScenario(admin: AdminClient, options: WaitingRoomOptions): Promise<PreparedScenario> {
  const roomId = options.roomId ?? `loadtest-${runId()}`;
  if (!options.roomId) {
    await admin.must('POST', '/v1/rooms', {
      id: roomId,
      admitPerSecond: options.admitPerSecond,
      maxActive: options.maxActive,
      sessionSeconds: options.sessionSeconds,
    });
  }
  const room = await admin.must('GET', `/v1/rooms/${roomId}`);
  const tickets = new Map<number, { ticketNo: number; admittedAt: number | null; lastWaitingAt: number | null }>();
  let maxActiveSeen = 0;
  let entered = 0;
  let admitted = 0;
  const base = `/v1/rooms/${encodeURIComponent(roomId)}`;

  return {
    name: 'waiting-room',
    describe: () => ({ roomId, admitPerSecond: room.admitPerSecond, maxActive: room.maxActive }),
    async arrival(i: number, flow: Flow, scheduledAt: number) {
      const entry = await flow.request('enter', { method: 'POST', path: `${base}/tickets`, body: { userId: `lt-${roomId}-${i}` } }, scheduledAt);
      if (entry.status !== 201 && entry.status !== 200) return;
      entered++;
      // A waiting person keeps only what the next poll needs: hundreds of thousands of them sleep
      // at once, and the generator's memory (and garbage collection) grows with each one.
      const ticketId: string = entry.body.ticketId;
      const ticket = { ticketNo: Number(ticketId.split('.')[0]), admittedAt: null as number | null, lastWaitingAt: flow.now() as number | null };
      tickets.set(ticket.ticketNo, ticket);
      let state: string = entry.body.state;
      let pollAfterMs: number = entry.body.pollAfterMs;
      let accessToken: string | undefined;
      while (state === 'waiting') {
        if (!(await flow.sleep(pollAfterMs))) return;
        const polled = await flow.request('poll', { method: 'GET', path: `${base}/tickets/${ticketId}` }, flow.now());
        if (polled.status !== 200) continue;
        ({ state, pollAfterMs, accessToken } = polled.body);
        if (state === 'waiting') ticket.lastWaitingAt = flow.now();
      }
      if (state !== 'admitted') return;
      ticket.admittedAt = flow.now();
      admitted++;
      if (options.holdMs > 0 && !(await flow.sleep(options.holdMs))) return;
      await flow.request('complete', {
        method: 'POST',
        path: `${base}/sessions/complete`,
        headers: { authorization: `Bearer ${accessToken}` },
      });
    },
    async gauges() {
      const { body } = await admin.call('GET', `/v1/rooms/${roomId}`);
      const stats = body?.stats ?? {};
      maxActiveSeen = Math.max(maxActiveSeen, stats.active ?? 0);
      return { waiting: stats.waiting ?? 0, active: stats.active ?? 0, admitted: stats.admittedTotal ?? 0 };
    },
    async audit() {
      const { body } = await admin.call('GET', `/v1/rooms/${roomId}`);
      maxActiveSeen = Math.max(maxActiveSeen, body?.stats?.active ?? 0);
      const violations = admissionOrderViolations([...tickets.values()], 1000);
      return [
        check('never more than maxActive active', maxActiveSeen <= room.maxActive, `most active seen ${maxActiveSeen}, maxActive ${room.maxActive}`),
        check('admission in ticket order', violations === 0, `${violations} tickets seen waiting after a later ticket was admitted (${tickets.size} tickets, ${admitted} admitted)`),
        check('every entry got a ticket', entered === tickets.size, `${entered} entries, ${tickets.size} distinct tickets`),
      ];
    },
  };
}

// ── claims ───────────────────────────────────────────────────────────────────────────────────────

export interface ClaimsOptions {
  campaignId?: string;
  stock: number;
  perUserLimit: number;
  /** Share of arrivals that reuse an earlier arrival's user id (duplicates, double clicks). */
  repeatShare: number;
  /** Distinct users cap: arrival i claims for user i mod users (0: no cap). */
  users: number;
  apiKey?: string;
  databaseUrl?: string;
  /** Path of the claim endpoint (a baseline may use its own campaign id). */
}

/** Each arrival claims once for a user; the audit reads the campaign and its rows. */
export async function claimsScenario(admin: AdminClient, options: ClaimsOptions): Promise<PreparedScenario> {
  const campaignId = options.campaignId ?? `loadtest-${runId()}`;
  if (!options.campaignId) {
    await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: options.stock, perUserLimit: options.perUserLimit });
  }
  const apiKey = options.apiKey ?? (await admin.must('POST', '/v1/partners', { name: `loadtest ${campaignId}` })).apiKey;
  const confirmed = new Map<string, string>(); // claimId -> userId
  const pending = new Set<string>();
  const perUser = new Map<string, number>();
  let unanswered = 0; // timeouts and broken connections: the server may have decided them
  const path = `/v1/campaigns/${encodeURIComponent(campaignId)}/claims`;

  return {
    name: 'claims',
    describe: () => ({ campaignId, stock: options.stock, perUserLimit: options.perUserLimit }),
    async arrival(i: number, flow: Flow, scheduledAt: number) {
      let n = options.users > 0 ? i % options.users : i;
      if (options.repeatShare > 0 && i > 0 && Math.random() < options.repeatShare) n = Math.floor(Math.random() * i);
      const userId = `lt-${campaignId}-${n}`;
      const reply = await flow.request('claim', { method: 'POST', path, body: { userId }, headers: { 'x-api-key': apiKey } }, scheduledAt, (s) => s < 500 || s === 503);
      if (reply.status === 201) {
        confirmed.set(reply.body.claimId, userId);
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      } else if (reply.status === 202) {
        pending.add(reply.body.claimId);
        perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
      } else if (reply.status === 'error') {
        unanswered++;
      }
    },
    async gauges() {
      const { body } = await admin.call('GET', `/v1/campaigns/${campaignId}`);
      return { remaining: body?.remaining ?? 0, claimed: body?.claimed ?? 0, pending: body?.pending ?? 0 };
    },
    async audit() {
      const checks: Check[] = [];
      const successes = confirmed.size + pending.size;
      checks.push(check('no oversell (answers)', successes <= options.stock, `${successes} successes for ${options.stock} in stock`));
      const overLimit = [...perUser.values()].filter((n) => n > options.perUserLimit).length;
      checks.push(check('no duplicate (answers)', overLimit === 0, `${overLimit} users got more than ${options.perUserLimit}`));
      if (!options.databaseUrl) {
        checks.push(check('every success persisted', false, 'no --database-url: cannot read the rows'));
        return checks;
      }
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1 });
      try {
        // 202s are confirmed by the server shortly after: give them a few seconds.
        const deadline = Date.now() + 15_000;
        let rows: Array<{ claim_id: string; user_id: string }> = [];
        for (;;) {
          rows = (await pool.query('SELECT claim_id, user_id FROM claims WHERE campaign_id = $1', [campaignId])).rows;
          const stored = new Set(rows.map((r) => r.claim_id));
          if ([...pending].every((id) => stored.has(id)) || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        const stored = new Set(rows.map((r) => r.claim_id));
        const users = new Map<string, number>();
        for (const r of rows) users.set(r.user_id, (users.get(r.user_id) ?? 0) + 1);
        const missing = [...confirmed.keys(), ...pending].filter((id) => !stored.has(id)).length;
        checks.push(check('no oversell (rows)', rows.length <= options.stock, `${rows.length} rows for ${options.stock} in stock`));
        checks.push(check('no duplicate (rows)', [...users.values()].every((n) => n <= options.perUserLimit), `${users.size} users hold ${rows.length} claims`));
        checks.push(check('every success persisted', missing === 0, `${missing} of ${successes} successes not in PostgreSQL`));
        checks.push(
          check(
            'nothing stored that was not answered',
            rows.length >= successes && rows.length - successes <= unanswered,
            `${rows.length} rows, ${successes} successes answered, ${unanswered} requests unanswered`,
          ),
        );
      } finally {
        await pool.end();
      }
      return checks;
    },
  };
}
