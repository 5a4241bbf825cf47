import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { integerOption, numberOption } from '../cli/args.js';
import { firstLine, postgresFailure, redactUrl } from '../cli/errors.js';
import type { AdminClient } from './admin-client.js';
import { admissionOrderViolations, type Check, check, figure, skip } from './audit.js';
import { People } from './people.js';
import type { Summary } from './recorder.js';
import type { Flow, Scenario } from './runner.js';
import { type ScenarioDefinition, stringValue } from './scenario-definition.js';

export interface PreparedScenario extends Scenario {
  /**
   * Reads the system's state after the run and checks the invariants. Once `interrupted` is
   * aborted (Ctrl-C) it waits for nothing more: it checks what it can at once.
   */
  audit(interrupted?: AbortSignal): Promise<Check[]>;
  /** Invariants of the run itself (latencies, answers), checked after audit(). */
  auditRun?(summaries: readonly Summary[], dropped: number): Check[];
  describe(): Record<string, unknown>;
  /** What the scenario created on the target (archived or revoked at the end, unless --keep). */
  readonly created: Created[];
}

export type Created = { kind: 'room' | 'campaign' | 'partner'; id: string };

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
      // The generator is one client address: a per-client limit would throttle the whole surge.
      clientRate: null,
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
  function next(
    i: number,
    body: { state: string; pollAfterMs: number; etaSeconds?: number | null; accessToken?: string },
    atEntry = false,
  ): void {
    if (body.state === 'waiting') {
      people.seenWaiting(i, flow.now(), body.pollAfterMs);
      people.promised(i, flow.now(), body.etaSeconds, atEntry);
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
    created: options.roomId ? [] : [{ kind: 'room', id: roomId }],
    describe: () => ({ roomId, admitPerSecond: room.admitPerSecond, maxActive: room.maxActive }),
    async arrival(i: number, runFlow: Flow, scheduledAt: number) {
      flow = runFlow;
      const entry = await flow.request(
        'enter',
        // Each arrival is a new anonymous visitor (no cookie jar): the server gives it its identity.
        { method: 'POST', path: `${base}/tickets`, body: {} },
        scheduledAt,
      );
      if (entry.status !== 201 && entry.status !== 200) return;
      entered++;
      const ticketId: string = entry.body.ticketId;
      people.add(i, ticketId, flow.now());
      // The person goes on after this arrival returns, as a row of the table.
      flow.begin();
      next(i, entry.body, true);
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
        etaFigure(people.etaAccuracy()),
      ];
    },
  };
}

/** How far the ETAs people were given were from when they were admitted (the goal: a median within 20% of the wait). */
function etaFigure(accuracy: ReturnType<People['etaAccuracy']>): Check {
  const { entry, latest } = accuracy;
  if (entry.count === 0) return figure('ETA accuracy', 'nobody who was given an ETA was admitted');
  const pct = (n: number) => `${n.toFixed(1)}%`;
  return figure(
    'ETA accuracy',
    `error of the ETA given at entry: median ${pct(entry.median)}, p90 ${pct(entry.p90)} of the wait (${entry.count} people); of the last ETA before admission: median ${pct(latest.median)}, p90 ${pct(latest.p90)}`,
  );
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

/** The checks that read the claims rows (in PostgreSQL). */
const ROW_CHECKS = ['no oversell (rows)', 'no duplicate (rows)', 'every success persisted', 'nothing stored that was not answered'];

/** Each arrival claims once for a user; the audit reads the campaign and its rows. */
export async function claimsScenario(admin: AdminClient, options: ClaimsOptions): Promise<PreparedScenario> {
  const campaignId = options.campaignId ?? `loadtest-${runId()}`;
  if (!options.campaignId) {
    await admin.must('POST', '/v1/campaigns', { id: campaignId, stock: options.stock, perUserLimit: options.perUserLimit });
  }
  const created: Created[] = options.campaignId ? [] : [{ kind: 'campaign', id: campaignId }];
  let apiKey = options.apiKey;
  if (!apiKey) {
    const partner = await admin.must('POST', '/v1/partners', { name: `loadtest ${campaignId}` });
    apiKey = partner.apiKey as string;
    created.push({ kind: 'partner', id: partner.partnerId });
  }
  const headers = { 'x-api-key': apiKey };
  const confirmed = new Map<string, string>(); // claimId -> userId
  const pending = new Set<string>();
  const perUser = new Map<string, number>();
  let unanswered = 0; // timeouts and broken connections: the server may have decided them
  const path = `/v1/campaigns/${encodeURIComponent(campaignId)}/claims`;

  return {
    name: 'claims',
    created,
    describe: () => ({ campaignId, stock: options.stock, perUserLimit: options.perUserLimit }),
    async arrival(i: number, flow: Flow, scheduledAt: number) {
      let n = options.users > 0 ? i % options.users : i;
      if (options.repeatShare > 0 && i > 0 && Math.random() < options.repeatShare) n = Math.floor(Math.random() * i);
      const userId = `lt-${campaignId}-${n}`;
      const reply = await flow.request(
        'claim',
        { method: 'POST', path, body: { userId }, headers },
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
    async audit(interrupted?: AbortSignal) {
      const checks: Check[] = [];
      const successes = confirmed.size + pending.size;
      checks.push(check('no oversell (answers)', successes <= options.stock, `${successes} successes for ${options.stock} in stock`));
      const overLimit = [...perUser.values()].filter((n) => n > options.perUserLimit).length;
      checks.push(check('no duplicate (answers)', overLimit === 0, `${overLimit} users got more than ${options.perUserLimit}`));
      if (!options.databaseUrl) {
        // Not a failure: nothing says a row is missing, only that nobody looked.
        const why = 'no --database-url (or DATABASE_URL) to read the rows';
        for (const invariant of ROW_CHECKS) checks.push(skip(invariant, why));
        return checks;
      }
      const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 1, connectionTimeoutMillis: 5_000 });
      pool.on('error', () => {});
      try {
        // 202s are confirmed by the server shortly after: give them a few seconds.
        const deadline = Date.now() + 15_000;
        let rows: Array<{ claim_id: string; user_id: string }> = [];
        for (;;) {
          try {
            rows = (await pool.query('SELECT claim_id, user_id FROM claims WHERE campaign_id = $1', [campaignId])).rows;
          } catch (err) {
            // The rows could not be read: that is the failure, not a missing row.
            const where = redactUrl(options.databaseUrl);
            checks.push(check('the claims rows were read', false, postgresFailure(err, where) ?? `${where}: ${firstLine(err)}`));
            return checks;
          }
          const stored = new Set(rows.map((r) => r.claim_id));
          if ([...pending].every((id) => stored.has(id)) || Date.now() > deadline || interrupted?.aborted) break;
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

// ── the definitions `floodgate loadtest` knows them by (scenario-list.ts) ───────────────────────

export const waitingRoomDefinition: ScenarioDefinition = {
  name: 'waiting-room',
  options: {
    room: { type: 'string' },
    'admit-per-second': { type: 'string' },
    'max-active': { type: 'string' },
    'session-seconds': { type: 'string' },
    'hold-ms': { type: 'string' },
  },
  needsAdminToken: true,
  prepare: (values, admin) => {
    const room = stringValue(values, 'room');
    return waitingRoomScenario(admin, {
      ...(room ? { roomId: room } : {}),
      admitPerSecond: integerOption('admit-per-second', stringValue(values, 'admit-per-second'), 1000, 1, 10_000_000),
      maxActive: integerOption('max-active', stringValue(values, 'max-active'), 1000, 1, 100_000_000),
      sessionSeconds: integerOption('session-seconds', stringValue(values, 'session-seconds'), 60, 1, 86_400),
      holdMs: integerOption('hold-ms', stringValue(values, 'hold-ms'), 0, 0, 3_600_000),
    });
  },
};

export const claimsDefinition: ScenarioDefinition = {
  name: 'claims',
  options: {
    campaign: { type: 'string' },
    'api-key': { type: 'string' },
    stock: { type: 'string' },
    'per-user-limit': { type: 'string' },
    users: { type: 'string' },
    'repeat-share': { type: 'string' },
  },
  needsAdminToken: true,
  prepare: (values, admin, databaseUrl) => {
    const campaign = stringValue(values, 'campaign');
    const apiKey = stringValue(values, 'api-key');
    return claimsScenario(admin, {
      ...(campaign ? { campaignId: campaign } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(databaseUrl ? { databaseUrl } : {}),
      stock: integerOption('stock', stringValue(values, 'stock'), 1000, 1, 1_000_000_000),
      perUserLimit: integerOption('per-user-limit', stringValue(values, 'per-user-limit'), 1, 1, 1_000_000),
      users: integerOption('users', stringValue(values, 'users'), 0, 0, 1_000_000_000),
      repeatShare: numberOption('repeat-share', stringValue(values, 'repeat-share'), 0, 0, 1),
    });
  },
};
