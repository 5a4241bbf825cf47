import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AdminClient } from './admin-client.js';
import { admissionOrderViolations, type Check, check } from './audit.js';
import { People } from './people.js';
import type { Summary } from './recorder.js';
import type { Flow, Scenario } from './runner.js';

export interface PreparedScenario extends Scenario {
  /** Reads the system's state after the run and checks the invariants. */
  audit(): Promise<Check[]>;
  /** Invariants of the run itself (latencies, answers), checked after audit(). */
  auditRun?(summaries: readonly Summary[], dropped: number): Check[];
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
 * Waiting people are rows of a table (see people.ts) woken by the runner's timer wheel, not
 * suspended async functions: hundreds of thousands of them wait at once.
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
  const people = new People();
  let maxActiveSeen = 0;
  let entered = 0;
  let admitted = 0;
  const base = `/v1/rooms/${encodeURIComponent(roomId)}`;
  let flow: Flow;

  /** Where a person goes after an answer: back to sleep, into the session, or out. */
  function next(i: number, body: { state: string; pollAfterMs: number; accessToken?: string }): void {
    if (body.state === 'waiting') {
      people.seenWaiting(i, flow.now(), body.pollAfterMs);
      flow.later(body.pollAfterMs, wake, i);
    } else if (body.state === 'admitted') {
      people.admitted(i, flow.now());
      admitted++;
      void session(body.accessToken).finally(() => flow.end());
    } else {
      flow.end();
    }
  }

  // One function for every sleeping person: the wheel holds (wake, i), nothing per person.
  function wake(awake: boolean, i: number): void {
    if (awake) void poll(i);
    else flow.end();
  }

  async function poll(i: number): Promise<void> {
    const polled = await flow.request('poll', { method: 'GET', path: `${base}/tickets/${people.ticketId(i)}` }, flow.now());
    if (polled.status === 200) next(i, polled.body);
    else flow.later(people.pollAfterMs(i), wake, i); // try again as last told
  }

  /** An admitted person (few at a time: at most maxActive) holds the session, then completes. */
  async function session(accessToken: string | undefined): Promise<void> {
    if (options.holdMs > 0 && !(await flow.sleep(options.holdMs))) return;
    await flow.request('complete', {
      method: 'POST',
      path: `${base}/sessions/complete`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
  }

  return {
    name: 'waiting-room',
    describe: () => ({ roomId, admitPerSecond: room.admitPerSecond, maxActive: room.maxActive }),
    async arrival(i: number, runFlow: Flow, scheduledAt: number) {
      flow = runFlow;
      const entry = await flow.request(
        'enter',
        { method: 'POST', path: `${base}/tickets`, body: { userId: `lt-${roomId}-${i}` } },
        scheduledAt,
      );
      if (entry.status !== 201 && entry.status !== 200) return;
      entered++;
      const ticketId: string = entry.body.ticketId;
      people.add(i, ticketId, flow.now());
      // The person goes on after this arrival returns, as a row of the table.
      flow.begin();
      next(i, entry.body);
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
      const violations = admissionOrderViolations(people.tickets(), 1000);
      const distinct = people.distinctTickets();
      return [
        check(
          'never more than maxActive active',
          maxActiveSeen <= room.maxActive,
          `most active seen ${maxActiveSeen}, maxActive ${room.maxActive}`,
        ),
        check(
          'admission in ticket order',
          violations === 0,
          `${violations} tickets seen waiting after a later ticket was admitted (${people.size} tickets, ${admitted} admitted)`,
        ),
        check('every entry got a ticket', entered === distinct, `${entered} entries, ${distinct} distinct tickets`),
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
      const reply = await flow.request(
        'claim',
        { method: 'POST', path, body: { userId }, headers: { 'x-api-key': apiKey } },
        scheduledAt,
        (s) => s < 500 || s === 503,
      );
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
        checks.push(
          check(
            'no duplicate (rows)',
            [...users.values()].every((n) => n <= options.perUserLimit),
            `${users.size} users hold ${rows.length} claims`,
          ),
        );
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
