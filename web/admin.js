// The admin dashboard: every room, campaign, show and term with its live figures, a view of the one
// selected with time-series charts (uPlot) fed by the server's short history (GET /v1/history: the last 15
// minutes, merged across instances, so a reload or another tab keeps the picture), and forms for
// every field of the API, whose errors are shown next to the field they name; a show's live seat
// map, a term's courses, and a wallet looked up by partner and user. No framework.
(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'fg_admin_token';
  const HISTORY_SECONDS = 900;
  const LIST_EVERY_MS = 2000;
  /** Routes whose latency the views chart: the surge requests of rooms and campaigns. */
  const ROUTES = {
    entry: 'POST /v1/rooms/:roomId/tickets',
    poll: 'GET /v1/rooms/:roomId/tickets/:ticketId',
    claim: 'POST /v1/campaigns/:campaignId/claims',
  };
  const COLORS = {
    blue: '#2563eb',
    green: '#16a34a',
    orange: '#ea580c',
    purple: '#9333ea',
    red: '#dc2626',
    teal: '#0d9488',
    amber: '#d97706',
    pink: '#db2777',
    gray: '#6b7280',
    brown: '#92400e',
  };

  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let listTimer = null;
  let showArchived = false;
  let rooms = [];
  let campaigns = [];
  let shows = [];
  let terms = [];
  let partners = [];
  /** The selected term's courses (GET /v1/terms/:id/courses), and the selected show's seat map. */
  let termCourses = [];
  let seatMap = null;

  // ── the API ──────────────────────────────────────────────────────────────────────────────────

  class ApiError extends Error {
    constructor(status, body) {
      super(body?.error?.message || `HTTP ${status}`);
      this.status = status;
      this.code = body?.error?.code || null;
    }
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  const roomPath = (id) => `/v1/rooms/${encodeURIComponent(id)}`;
  const campaignPath = (id) => `/v1/campaigns/${encodeURIComponent(id)}`;
  const showPath = (id) => `/v1/shows/${encodeURIComponent(id)}`;
  const termPath = (id) => `/v1/terms/${encodeURIComponent(id)}`;
  const walletPath = (partnerId, userId, tail = '') =>
    `/v1/wallets/${encodeURIComponent(userId)}${tail}?partnerId=${encodeURIComponent(partnerId)}`;

  // ── formats ──────────────────────────────────────────────────────────────────────────────────

  const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const fmt = (n) => (n == null || Number.isNaN(n) ? '–' : numberFormat.format(n));
  const fmtMs = (n) => (n == null ? '–' : `${numberFormat.format(n)} ms`);
  function fmtDuration(seconds) {
    if (seconds == null) return '–';
    if (seconds > 0 && seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    if (seconds < 60) return `${numberFormat.format(seconds)} s`;
    const minutes = Math.round(seconds / 60);
    return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }
  /** A moment: its time today, else its date and time. */
  function fmtWhen(ms) {
    const date = new Date(ms);
    return date.toDateString() === new Date().toDateString()
      ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
      : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
  }
  const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString() : '–');
  const fmtRule = (rate) => (rate ? `${fmt(rate.perSecond)}/s, burst ${fmt(rate.burst)}` : 'none');

  function status(message) {
    $('status').textContent = message;
  }

  // ── the short history and its charts ─────────────────────────────────────────────────────────

  /** One entity's history in the browser: points by epoch second, merged as the server sends them. */
  class History {
    constructor(kind, entity) {
      this.query = `kind=${encodeURIComponent(kind)}&entity=${encodeURIComponent(entity)}`;
      this.points = new Map();
      this.to = 0;
    }

    /** Fetches what is missing since the last answer (all 15 minutes the first time). */
    async update() {
      const nowSecond = Math.floor(Date.now() / 1000);
      const seconds = this.to ? Math.min(HISTORY_SECONDS, Math.max(5, nowSecond - this.to + 3)) : HISTORY_SECONDS;
      const answer = await api('GET', `/v1/history?${this.query}&seconds=${seconds}`);
      const names = Object.keys(answer.series);
      answer.timestamps.forEach((t, i) => {
        const point = {};
        for (const name of names) point[name] = answer.series[name][i];
        this.points.set(t, point);
      });
      this.to = answer.to;
      for (const t of this.points.keys()) if (t <= this.to - HISTORY_SECONDS) this.points.delete(t);
    }

    /** The first second with anything recorded (Infinity: none). */
    first() {
      let first = Number.POSITIVE_INFINITY;
      for (const [t, point] of this.points) if (t < first && Object.values(point).some((v) => v != null)) first = t;
      return first;
    }

    /** The series over `xs`, null where unknown. */
    series(name, xs, scale = 1) {
      return xs.map((t) => {
        const v = this.points.get(t)?.[name];
        return v == null ? null : v * scale;
      });
    }

    /** A per-second count: zero in a second that was recorded without it, null in one that was not. */
    count(name, xs) {
      return xs.map((t) => {
        const point = this.points.get(t);
        return point ? (point[name] ?? 0) : null;
      });
    }

    /**
     * A count of an entity recorded only in seconds where something happened (no shared figures,
     * e.g. a partner's points): zero in every other second since the first one recorded.
     */
    sparse(name, xs) {
      const first = this.first();
      return xs.map((t) => (t < first || t > this.to ? null : (this.points.get(t)?.[name] ?? 0)));
    }

    /** Per-second increase of a running total (a drop, i.e. a restore, is unknown). */
    increase(name, xs) {
      const values = this.series(name, xs);
      return values.map((v, i) => (i === 0 || v == null || values[i - 1] == null || v < values[i - 1] ? null : v - values[i - 1]));
    }
  }

  const cssColor = (name, fallback) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

  /** The last known value of a chart's series: what its legend shows while the cursor is elsewhere. */
  function latest(u, seriesIdx) {
    const values = u.data[seriesIdx] ?? [];
    for (let i = values.length - 1; i >= 0; i--) if (values[i] != null) return values[i];
    return null;
  }

  /** Clock times on the time axis: with seconds while the chart spans a few minutes. */
  function timeTicks(u, ticks) {
    const span = u.scales.x.max - u.scales.x.min;
    const options = span <= 300 ? { hour: '2-digit', minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' };
    return ticks.map((t) => new Date(t * 1000).toLocaleTimeString([], options));
  }

  /**
   * A uPlot time-series chart in a figure, sized to it, with axes and a legend: each line's value
   * under the cursor, or its latest one.
   */
  function makeChart(figure, lines, format) {
    const holder = document.createElement('div');
    figure.appendChild(holder);
    const text = cssColor('--text', '#111827');
    const grid = cssColor('--grid', 'rgba(127,127,127,0.2)');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const height = 180;
    const width = () => Math.max(200, Math.floor(figure.clientWidth));
    const plot = new uPlot(
      {
        width: width(),
        height,
        cursor: { drag: { x: false, y: false, setScale: false } },
        legend: { live: true },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { ...axis, space: 80, values: timeTicks },
          { ...axis, size: 58, values: (_u, ticks) => ticks.map((v) => format(v)) },
        ],
        series: [
          {
            value: (u, t, _s, idx) => {
              const at = idx == null ? latest(u, 0) : t;
              return at == null ? '–' : `${new Date(at * 1000).toLocaleTimeString()}${idx == null ? ' (latest)' : ''}`;
            },
          },
          ...lines.map((line) => ({
            label: line.label,
            stroke: line.color,
            width: line.width ?? 1.5,
            ...(line.dash ? { dash: line.dash } : {}),
            points: { show: false },
            value: (u, v, seriesIdx, idx) => {
              const shown = idx == null ? latest(u, seriesIdx) : v;
              return shown == null ? '–' : format(shown);
            },
          })),
        ],
      },
      [[], ...lines.map(() => [])],
      holder,
    );
    const resize = new ResizeObserver(() => {
      if (plot.width !== width()) plot.setSize({ width: width(), height });
    });
    resize.observe(figure);
    return {
      lines,
      setData(xs, ys) {
        plot.setData([xs, ...ys]);
        // For tests and for people: how much of the first line is drawn, from when.
        const first = ys[0] ?? [];
        const known = first.flatMap((v, i) => (v == null ? [] : [xs[i]]));
        figure.dataset.points = String(known.length);
        figure.dataset.first = known.length ? String(known[0]) : '';
      },
      destroy() {
        resize.disconnect();
        plot.destroy();
        holder.remove();
        delete figure.dataset.points;
        delete figure.dataset.first;
      },
    };
  }

  /**
   * A chart view of one entity: its histories (its own and its routes'), its charts, and a
   * refresh once a second a little after the server sampled the second that just ended.
   */
  class ChartView {
    constructor(sources, charts) {
      this.sources = sources;
      this.chartSpecs = charts;
      this.charts = [];
      this.timer = null;
      this.closed = false;
    }

    async open() {
      this.charts = this.chartSpecs.map((spec) => ({ spec, chart: makeChart($(spec.id), spec.lines, spec.format ?? fmt) }));
      await this.refresh();
    }

    async refresh() {
      clearTimeout(this.timer);
      if (this.closed) return;
      if (!document.hidden) {
        try {
          await Promise.all(Object.values(this.sources).map((h) => h.update()));
          this.draw();
        } catch (e) {
          if (e.status === 401) return signedOut();
        }
      }
      if (this.closed) return;
      // The server samples each second early in the next one: ask ~600 ms into it.
      this.timer = setTimeout(() => this.refresh(), 1000 - (Date.now() % 1000) + 600);
    }

    draw() {
      const histories = Object.values(this.sources);
      const to = Math.max(...histories.map((h) => h.to));
      // From the entity's first point known (a young history fills the chart), at least a minute, at most 15.
      const first = histories[0].first();
      const from = Math.max(to - HISTORY_SECONDS + 1, Math.min(first, to - 59));
      const xs = Array.from({ length: to - from + 1 }, (_, i) => from + i);
      for (const { spec, chart } of this.charts)
        chart.setData(
          xs,
          spec.lines.map((line) => line.data(this.sources, xs)),
        );
    }

    close() {
      this.closed = true;
      clearTimeout(this.timer);
      for (const { chart } of this.charts) chart.destroy();
      this.charts = [];
    }
  }

  function roomCharts(roomId) {
    const sources = {
      room: new History('room', roomId),
      entry: new History('route', ROUTES.entry),
      poll: new History('route', ROUTES.poll),
    };
    const secondsFmt = (v) => fmtDuration(v);
    return new ChartView(sources, [
      {
        id: 'chart-room-queue',
        lines: [
          { label: 'waiting', color: COLORS.blue, data: (s, xs) => s.room.series('waiting', xs) },
          { label: 'active', color: COLORS.green, data: (s, xs) => s.room.series('active', xs) },
          { label: 'max active', color: COLORS.gray, dash: [4, 4], data: (s, xs) => s.room.series('maxActive', xs) },
        ],
      },
      {
        id: 'chart-room-admission',
        lines: [
          { label: 'set', color: COLORS.gray, dash: [4, 4], data: (s, xs) => s.room.series('admitPerSecond', xs) },
          { label: 'counted', color: COLORS.orange, data: (s, xs) => s.room.count('admitted', xs) },
          { label: 'observed (10 s)', color: COLORS.purple, data: (s, xs) => s.room.series('observedAdmitPerSecond', xs) },
        ],
      },
      {
        id: 'chart-room-latency',
        format: fmtMs,
        lines: [
          { label: 'entries p99', color: COLORS.teal, data: (s, xs) => s.entry.series('duration.p99', xs, 1000) },
          { label: 'polls p99', color: COLORS.pink, data: (s, xs) => s.poll.series('duration.p99', xs, 1000) },
        ],
      },
      {
        id: 'chart-room-wait',
        format: secondsFmt,
        lines: [
          { label: 'ETA told to a newcomer', color: COLORS.blue, data: (s, xs) => s.room.series('newcomerEtaSeconds', xs) },
          { label: 'longest wait', color: COLORS.amber, data: (s, xs) => s.room.series('oldestWaitSeconds', xs) },
        ],
      },
      {
        id: 'chart-room-abandon',
        lines: [
          {
            label: 'gave up',
            color: COLORS.red,
            data: (s, xs) => {
              const served = s.room.increase('served', xs);
              const admitted = s.room.increase('admittedTotal', xs);
              return served.map((v, i) => (v == null || admitted[i] == null ? null : Math.max(0, v - admitted[i])));
            },
          },
          { label: 'left, not yet passed', color: COLORS.gray, dash: [4, 4], data: (s, xs) => s.room.series('leftWaiting', xs) },
        ],
      },
    ]);
  }

  const REJECTIONS = [
    ['already_claimed', 'already claimed', COLORS.amber],
    ['sold_out', 'sold out', COLORS.red],
    ['not_open', 'not open', COLORS.gray],
    ['closed', 'closed', COLORS.brown],
    ['rebuilding', 'restoring', COLORS.purple],
  ];

  function campaignCharts(campaignId) {
    const sources = {
      campaign: new History('campaign', campaignId),
      claims: new History('capability', 'claims'),
      route: new History('route', ROUTES.claim),
    };
    return new ChartView(sources, [
      {
        id: 'chart-campaign-stock',
        lines: [
          { label: 'claimed', color: COLORS.purple, data: (s, xs) => s.campaign.series('claimed', xs) },
          { label: 'remaining', color: COLORS.blue, data: (s, xs) => s.campaign.series('remaining', xs) },
        ],
      },
      {
        id: 'chart-campaign-claims',
        lines: [
          { label: 'confirmed', color: COLORS.green, data: (s, xs) => s.campaign.count('claims.confirmed', xs) },
          { label: 'pending (202)', color: COLORS.orange, data: (s, xs) => s.campaign.count('claims.pending', xs) },
        ],
      },
      {
        id: 'chart-campaign-rejections',
        lines: [
          ...REJECTIONS.map(([name, label, color]) => ({ label, color, data: (s, xs) => s.campaign.count(`claims.${name}`, xs) })),
          { label: 'rate limited (429, all)', color: COLORS.pink, dash: [4, 4], data: (s, xs) => s.route.count('status.429', xs) },
          { label: 'no room token (403, all)', color: COLORS.teal, dash: [4, 4], data: (s, xs) => s.route.count('status.403', xs) },
        ],
      },
      {
        id: 'chart-campaign-pending',
        lines: [{ label: 'pending', color: COLORS.orange, data: (s, xs) => s.campaign.series('pending', xs) }],
      },
      {
        id: 'chart-campaign-lag',
        format: (v) => fmtDuration(v),
        lines: [
          { label: 'oldest pending', color: COLORS.red, data: (s, xs) => s.campaign.series('oldestPendingSeconds', xs) },
          { label: 'commit p99 (all)', color: COLORS.gray, dash: [4, 4], data: (s, xs) => s.claims.series('persistenceLag.p99', xs) },
        ],
      },
      {
        id: 'chart-campaign-latency',
        format: fmtMs,
        lines: [{ label: 'claims p99', color: COLORS.teal, data: (s, xs) => s.route.series('duration.p99', xs, 1000) }],
      },
    ]);
  }

  const SEAT_COLORS = { f: '#22c55e', h: '#f59e0b', s: '#9ca3af' };
  const CATEGORY_COLORS = [COLORS.blue, COLORS.green, COLORS.orange, COLORS.purple, COLORS.red, COLORS.teal, COLORS.amber, COLORS.pink];
  const HOLD_REFUSALS = [
    ['seats_unavailable', 'seats taken', COLORS.amber],
    ['seat_limit', 'over the limit', COLORS.purple],
    ['sold_out', 'sold out', COLORS.red],
    ['not_open', 'not open', COLORS.gray],
    ['sales_closed', 'closed', COLORS.brown],
  ];

  function showCharts(show) {
    const sources = { show: new History('show', show.id) };
    const categories = Object.keys(show.categories ?? {});
    const specs = [
      {
        id: 'chart-show-seats',
        lines: [
          { label: 'free', color: SEAT_COLORS.f, data: (s, xs) => s.show.series('free', xs) },
          { label: 'held', color: SEAT_COLORS.h, data: (s, xs) => s.show.series('held', xs) },
          { label: 'sold', color: COLORS.gray, data: (s, xs) => s.show.series('sold', xs) },
        ],
      },
      {
        id: 'chart-show-holds',
        lines: [
          { label: 'held', color: COLORS.green, data: (s, xs) => s.show.count('holds.held', xs) },
          ...HOLD_REFUSALS.map(([name, label, color]) => ({ label, color, data: (s, xs) => s.show.count(`holds.${name}`, xs) })),
        ],
      },
    ];
    // Per category only when the venue has several (the history records them only then).
    $('chart-show-categories').hidden = categories.length < 2;
    if (categories.length > 1)
      specs.push({
        id: 'chart-show-categories',
        lines: categories.map((c, i) => ({
          label: c,
          color: CATEGORY_COLORS[i % CATEGORY_COLORS.length],
          data: (s, xs) => s.show.series(`sold.${c}`, xs),
        })),
      });
    return new ChartView(sources, specs);
  }

  function termCharts(termId) {
    const sources = { term: new History('term', termId) };
    return new ChartView(sources, [
      {
        id: 'chart-term-fill',
        lines: [
          { label: 'enrolled', color: COLORS.blue, data: (s, xs) => s.term.series('enrolled', xs) },
          { label: 'seats', color: COLORS.gray, dash: [4, 4], data: (s, xs) => s.term.series('capacity', xs) },
          { label: 'waitlisted', color: COLORS.orange, data: (s, xs) => s.term.series('waitlisted', xs) },
        ],
      },
      {
        id: 'chart-term-queue',
        lines: [
          { label: 'accepted', color: COLORS.purple, data: (s, xs) => s.term.series('accepted', xs) },
          { label: 'decided', color: COLORS.green, data: (s, xs) => s.term.series('decided', xs) },
          { label: 'not yet decided', color: COLORS.red, data: (s, xs) => s.term.series('backlog', xs) },
        ],
      },
    ]);
  }

  function courseCharts(termId, courseId) {
    const sources = { course: new History('course', `${termId}/${courseId}`) };
    return new ChartView(sources, [
      {
        id: 'chart-course-fill',
        lines: [
          { label: 'enrolled', color: COLORS.blue, data: (s, xs) => s.course.series('enrolled', xs) },
          { label: 'capacity', color: COLORS.gray, dash: [4, 4], data: (s, xs) => s.course.series('capacity', xs) },
          { label: 'waitlisted', color: COLORS.orange, data: (s, xs) => s.course.series('waitlisted', xs) },
          { label: 'waitlist places', color: COLORS.amber, dash: [2, 4], data: (s, xs) => s.course.series('waitlistSize', xs) },
        ],
      },
    ]);
  }

  function partnerCharts(partnerId) {
    const sources = { partner: new History('wallet-partner', partnerId) };
    const sum = (a, b) => a.map((v, i) => (v == null && b[i] == null ? null : (v ?? 0) + (b[i] ?? 0)));
    return new ChartView(sources, [
      {
        id: 'chart-partner-points',
        lines: [
          { label: 'earned', color: COLORS.green, data: (s, xs) => s.partner.sparse('points.earn', xs) },
          {
            label: 'spent',
            color: COLORS.blue,
            data: (s, xs) => sum(s.partner.sparse('points.spend', xs), s.partner.sparse('points.capture', xs)),
          },
          { label: 'expired', color: COLORS.red, data: (s, xs) => s.partner.sparse('points.expiry', xs) },
          { label: 'reversed', color: COLORS.amber, data: (s, xs) => s.partner.sparse('points.reversal', xs) },
        ],
      },
      {
        id: 'chart-partner-transactions',
        lines: [
          { label: 'earns', color: COLORS.green, data: (s, xs) => s.partner.sparse('transactions.earn', xs) },
          { label: 'spends', color: COLORS.blue, data: (s, xs) => s.partner.sparse('transactions.spend', xs) },
          { label: 'transfers', color: COLORS.purple, data: (s, xs) => s.partner.sparse('transactions.transfer', xs) },
          { label: 'expiries', color: COLORS.red, data: (s, xs) => s.partner.sparse('transactions.expiry', xs) },
        ],
      },
    ]);
  }

  // ── selection (kept in the address, so a reload shows the same views) ────────────────────────

  /** What can be selected: its list's table (rows carry `data-<kind>`), its view, its charts. */
  const KINDS = {
    room: { table: 'rooms', render: () => renderRoomView(), charts: (id) => roomCharts(id) },
    campaign: { table: 'campaigns', render: () => renderCampaignView(), charts: (id) => campaignCharts(id) },
    show: { table: 'shows', render: () => renderShowView(), charts: (id) => showCharts(shows.find((x) => x.id === id) ?? { id }) },
    term: { table: 'terms', render: () => renderTermView(), charts: (id) => termCharts(id) },
    course: { table: 'term-courses', render: () => renderCourseView(), charts: (id) => courseCharts(selected.term, id) },
    partner: { table: null, render: () => renderPartnerView(), charts: (id) => partnerCharts(id) },
  };
  const HASH_KEYS = ['room', 'campaign', 'show', 'term', 'course', 'partner', 'user'];

  const selected = { room: null, campaign: null, show: null, term: null, course: null, partner: null, user: null };
  /** Entities a link named that the lists did not have yet: the next refresh opens them if it finds them. */
  let linked = {};
  const views = { room: null, campaign: null, show: null, term: null, course: null, partner: null };

  function hashSelection(hash = location.hash) {
    const params = new URLSearchParams(hash.slice(1));
    return Object.fromEntries(HASH_KEYS.map((key) => [key, params.get(key)]));
  }

  function writeHash() {
    const params = new URLSearchParams();
    for (const key of HASH_KEYS) if (selected[key]) params.set(key, selected[key]);
    history.replaceState(null, '', `#${params}`);
  }

  function select(kind, id) {
    if (selected[kind] === id && (views[kind] || !id)) return;
    selected[kind] = id;
    writeHash();
    views[kind]?.close();
    views[kind] = null;
    if (kind === 'show') {
      seatMap = null;
      drawSeatMap();
    }
    KINDS[kind].render();
    if (id) {
      views[kind] = KINDS[kind].charts(id);
      views[kind].open();
    }
    markSelected(kind);
  }

  function markSelected(kind) {
    if (!KINDS[kind].table) return;
    for (const row of document.querySelectorAll(`#${KINDS[kind].table} tbody tr`)) {
      const isSelected = row.dataset[kind] === selected[kind];
      row.classList.toggle('selected', isSelected);
      row.querySelector('button.select')?.setAttribute('aria-pressed', String(isSelected));
    }
  }

  // ── rooms ────────────────────────────────────────────────────────────────────────────────────

  function roomState(room) {
    const s = room.stats ?? {};
    if (room.archived || room.archivedAt) return { label: 'archived', tone: 'muted' };
    if (room.paused) return { label: 'paused', tone: 'warn' };
    if (!s.opened) {
      const opensAt = room.opensAt ? Date.parse(room.opensAt) : null;
      return { label: opensAt && opensAt > Date.now() ? `opens ${fmtWhen(opensAt)}` : 'opening', tone: 'info' };
    }
    if (s.active >= room.maxActive && s.waiting > 0) return { label: 'full', tone: 'warn' };
    return { label: 'open', tone: 'ok' };
  }

  /** What someone entering now is told, and why nobody moves when nobody does. */
  function roomEta(room) {
    const s = room.stats ?? {};
    if (room.paused) return 'none while paused: nobody is admitted';
    if (!s.opened) return room.opensAt ? `not before it opens (${fmtTime(room.opensAt)})` : 'not before it opens';
    const rate = s.observedAdmitPerSecond || room.admitPerSecond;
    const eta = `about ${fmtDuration(Math.ceil((s.waiting + 1) / Math.max(rate, 1e-6)))}`;
    if (s.active >= room.maxActive && !s.observedAdmitPerSecond) return `${eta} (full: admission waits for a slot to free)`;
    return eta;
  }

  function newRoomRow(room) {
    const row = document.createElement('tr');
    row.dataset.room = room.id;
    row.innerHTML = `
      <td data-label="Room"><button type="button" class="link-button select" aria-pressed="false"></button></td>
      <td data-label="State"><span class="badge"></span></td>
      <td data-label="Waiting" class="num waiting"></td>
      <td data-label="Active / max" class="num active"></td>
      <td data-label="Admitted" class="num admitted"></td>
      <td data-label="Admit / s (set · seen)" class="num rate"></td>
      <td data-label="Quick change" class="row-actions">
        <form data-action="patch" novalidate>
          <input name="admitPerSecond" type="number" step="any" inputmode="decimal" placeholder="rate">
          <input name="maxActive" type="number" inputmode="numeric" placeholder="max">
          <button type="submit" class="small">Set</button>
          <button type="button" class="small" data-action="pause">Pause</button>
          <span class="field-error" role="alert" hidden></span>
        </form>
      </td>`;
    row.querySelector('button.select').textContent = room.id;
    row.querySelector('input[name="admitPerSecond"]').setAttribute('aria-label', `Admit per second of ${room.id}`);
    row.querySelector('input[name="maxActive"]').setAttribute('aria-label', `Max active of ${room.id}`);
    return row;
  }

  /** Updates a room's row in place: what the operator is typing and where the focus is stay put. */
  function updateRoomRow(row, room) {
    const s = room.stats ?? {};
    const state = roomState(room);
    const badge = row.querySelector('.badge');
    badge.textContent = state.label;
    badge.dataset.tone = state.tone;
    row.querySelector('.waiting').textContent = fmt(s.waiting);
    row.querySelector('.active').textContent = `${fmt(s.active)} / ${fmt(room.maxActive)}`;
    row.querySelector('.admitted').textContent = fmt(s.admittedTotal);
    row.querySelector('.rate').textContent = `${fmt(room.admitPerSecond)} · ${fmt(s.observedAdmitPerSecond)}`;
    const toggle = row.querySelector('button[data-action="pause"], button[data-action="resume"]');
    toggle.dataset.action = room.paused ? 'resume' : 'pause';
    toggle.textContent = room.paused ? 'Resume' : 'Pause';
    toggle.setAttribute('aria-label', `${room.paused ? 'Resume' : 'Pause'} ${room.id}`);
  }

  function renderRooms() {
    const body = $('rooms').querySelector('tbody');
    const existing = new Map([...body.rows].map((row) => [row.dataset.room, row]));
    let previous = null;
    for (const room of rooms) {
      let row = existing.get(room.id);
      existing.delete(room.id);
      if (!row) row = newRoomRow(room);
      updateRoomRow(row, room);
      row.classList.toggle('selected', room.id === selected.room);
      row.querySelector('button.select').setAttribute('aria-pressed', String(room.id === selected.room));
      // Moved only when out of place: moving the row holding the focus would lose it.
      const expectedNext = previous ? previous.nextElementSibling : body.firstElementChild;
      if (expectedNext !== row) body.insertBefore(row, expectedNext);
      previous = row;
    }
    for (const row of existing.values()) row.remove();
    $('rooms').hidden = rooms.length === 0;
    $('rooms-empty').hidden = rooms.length > 0;
    $('room-ids').replaceChildren(
      ...rooms.map((r) => {
        const option = document.createElement('option');
        option.value = r.id;
        return option;
      }),
    );
  }

  function setFacts(section, facts) {
    for (const [name, value] of Object.entries(facts)) {
      const el = section.querySelector(`[data-field="${name}"]`);
      if (!el) continue;
      if (value instanceof Node) el.replaceChildren(value);
      else el.textContent = value;
    }
  }

  function copyButton(value, label) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link-button';
    button.textContent = 'copy';
    button.setAttribute('aria-label', label);
    button.addEventListener('click', () => copy(value, label));
    return button;
  }

  function shuffleFacts(room) {
    const shuffle = room.shuffle;
    const box = document.createElement('span');
    if (!shuffle) {
      box.textContent = 'first come, first served (fifo)';
      return box;
    }
    const code = (text) => {
      const el = document.createElement('code');
      el.textContent = text;
      return el;
    };
    box.append(
      `shuffled (${shuffle.algorithm}); seed commitment, SHA-256: `,
      code(shuffle.seedCommitment),
      ' ',
      copyButton(shuffle.seedCommitment, 'Copy the seed commitment'),
    );
    if (shuffle.seed) {
      box.append(
        `; revealed seed (pre-queue of ${fmt(shuffle.prequeueSize)}): `,
        code(shuffle.seed),
        ' ',
        copyButton(shuffle.seed, 'Copy the seed'),
      );
    } else box.append('; the seed is revealed once the room opens');
    return box;
  }

  function renderRoomView() {
    const section = $('room-view');
    const room = rooms.find((r) => r.id === selected.room);
    section.hidden = !room;
    if (!room) return;
    const s = room.stats ?? {};
    const state = roomState(room);
    section.querySelector('[data-field="state"]').dataset.tone = state.tone;
    setFacts(section, {
      id: room.id,
      state: state.label,
      waiting: fmt(s.waiting),
      active: `${fmt(s.active)} / ${fmt(room.maxActive)}`,
      rate: `${fmt(room.admitPerSecond)} · ${fmt(s.observedAdmitPerSecond)}`,
      eta: roomEta(room),
      oldestWait: fmtDuration(s.oldestWaitSeconds),
      admittedTotal: fmt(s.admittedTotal),
      session: `${fmtDuration(room.sessionSeconds)} · ${fmt(room.maxExtensions)} · ${fmtDuration(room.arrivalSeconds)}`,
      abandon: room.abandonAfterSeconds ? `${fmtDuration(room.abandonAfterSeconds)} without a poll` : 'never',
      opensAt: room.opensAt ? fmtTime(room.opensAt) : 'open from the start',
      targetUrl: room.targetUrl ?? 'none: users stay on the room page',
      clientRate: fmtRule(room.clientRate),
      shuffle: shuffleFacts(room),
    });
  }

  // ── campaigns ────────────────────────────────────────────────────────────────────────────────

  function newCampaignRow(campaign) {
    const row = document.createElement('tr');
    row.dataset.campaign = campaign.id;
    row.innerHTML = `
      <td data-label="Campaign"><button type="button" class="link-button select" aria-pressed="false"></button></td>
      <td data-label="Stock" class="num stock"></td>
      <td data-label="Claimed" class="num claimed"></td>
      <td data-label="Remaining" class="num remaining"></td>
      <td data-label="Persisted" class="num persisted"></td>
      <td data-label="Pending" class="num pending"></td>`;
    row.querySelector('button.select').textContent = campaign.id;
    return row;
  }

  function renderCampaigns() {
    const body = $('campaigns').querySelector('tbody');
    const existing = new Map([...body.rows].map((row) => [row.dataset.campaign, row]));
    let previous = null;
    for (const c of campaigns) {
      let row = existing.get(c.id);
      existing.delete(c.id);
      if (!row) row = newCampaignRow(c);
      for (const name of ['stock', 'claimed', 'remaining', 'persisted', 'pending'])
        row.querySelector(`.${name}`).textContent = fmt(c[name]);
      row.classList.toggle('selected', c.id === selected.campaign);
      row.querySelector('button.select').setAttribute('aria-pressed', String(c.id === selected.campaign));
      const expectedNext = previous ? previous.nextElementSibling : body.firstElementChild;
      if (expectedNext !== row) body.insertBefore(row, expectedNext);
      previous = row;
    }
    for (const row of existing.values()) row.remove();
    $('campaigns').hidden = campaigns.length === 0;
    $('campaigns-empty').hidden = campaigns.length > 0;
  }

  function renderCampaignView() {
    const section = $('campaign-view');
    const c = campaigns.find((x) => x.id === selected.campaign);
    section.hidden = !c;
    if (!c) return;
    const openWindow =
      c.opensAt || c.closesAt
        ? `${c.opensAt ? fmtTime(c.opensAt) : 'now'} → ${c.closesAt ? fmtTime(c.closesAt) : 'no end'}`
        : 'always open';
    const daily = c.daily
      ? `${c.daily.opensAt}–${c.daily.closesAt ?? '24:00'} ${c.daily.timeZone}, ${fmt(c.daily.quota)} a day${c.today ? `; today ${fmt(c.today.claimed)} claimed` : ''}`
      : 'none';
    setFacts(section, {
      id: c.id,
      stock: fmt(c.stock),
      claimed: `${fmt(c.claimed)} · ${fmt(c.remaining)}`,
      persisted: `${fmt(c.persisted)} · ${fmt(c.pending)}`,
      perUserLimit: fmt(c.perUserLimit),
      window: openWindow,
      daily,
      roomId: c.roomId ?? 'none: partners claim with their API key',
      webhookUrl: c.webhookUrl ?? 'none',
      clientRate: fmtRule(c.clientRate),
    });
  }

  // ── shows, terms, courses (lists refreshed with the others) ─────────────────────────────────

  /** A cell with its label (shown before the value on a phone), its text set with textContent. */
  function cell(label, className = '') {
    const td = document.createElement('td');
    td.dataset.label = label;
    if (className) td.className = className;
    return td;
  }

  function selectButton(id) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link-button select';
    button.setAttribute('aria-pressed', 'false');
    button.textContent = id;
    return button;
  }

  /**
   * Rows of a list kept in the order of `items`, each made once (`make` returns its cells by
   * name) and updated in place (`fill`): focus and selection survive the refresh.
   */
  function renderList(tableId, kind, items, columns, fill) {
    const table = $(tableId);
    const body = table.querySelector('tbody');
    const existing = new Map([...body.rows].map((row) => [row.dataset[kind], row]));
    let previous = null;
    for (const item of items) {
      let row = existing.get(item.id);
      existing.delete(item.id);
      if (!row) {
        row = document.createElement('tr');
        row.dataset[kind] = item.id;
        const first = cell(columns[0][1]);
        first.append(selectButton(item.id));
        row.append(first, ...columns.slice(1).map(([name, label, className]) => cell(label, `${name} ${className ?? ''}`.trim())));
      }
      fill(row, item);
      const expectedNext = previous ? previous.nextElementSibling : body.firstElementChild;
      if (expectedNext !== row) body.insertBefore(row, expectedNext);
      previous = row;
    }
    for (const row of existing.values()) row.remove();
    table.hidden = items.length === 0;
    markSelected(kind);
  }

  const setText = (row, name, text) => {
    row.querySelector(`.${name}`).textContent = text;
  };

  function listError(id, error, emptyText) {
    const p = $(id);
    p.textContent = error ? `Cannot list them: ${error.message}` : emptyText;
  }

  function renderShows() {
    renderList(
      'shows',
      'show',
      shows,
      [
        ['id', 'Show'],
        ['startsAt', 'Starts'],
        ['capacity', 'Capacity', 'num'],
        ['free', 'Free', 'num'],
        ['held', 'Held', 'num'],
        ['sold', 'Sold', 'num'],
      ],
      (row, show) => {
        setText(row, 'startsAt', fmtTime(show.startsAt));
        for (const name of ['capacity', 'free', 'held', 'sold']) setText(row, name, fmt(show[name]));
      },
    );
    $('shows-empty').hidden = shows.length > 0 && !listErrors.shows;
  }

  function renderShowView() {
    const section = $('show-view');
    const show = shows.find((x) => x.id === selected.show);
    section.hidden = !show;
    if (!show) return;
    const categories = Object.entries(show.categories ?? {});
    setFacts(section, {
      id: show.id,
      seats: show.free == null ? 'being restored' : `${fmt(show.free)} · ${fmt(show.held)} · ${fmt(show.sold)}`,
      capacity: fmt(show.capacity),
      venueId: show.venueId,
      startsAt: fmtTime(show.startsAt),
      sales: `${show.salesOpenAt ? fmtTime(show.salesOpenAt) : 'open now'} → ${fmtTime(show.salesCloseAt)}`,
      hold: `${fmtDuration(show.holdSeconds)} · ${fmt(show.maxSeatsPerUser)}`,
      roomId: show.roomId ?? 'none: partners hold with their API key',
      categories: categories.length ? categories.map(([c, n]) => `${c}: ${fmt(n.free)} · ${fmt(n.held)} · ${fmt(n.sold)}`).join('; ') : '–',
    });
  }

  /** The selected show's seat map, drawn as on the buyer's page (web/seat-map.js): a few pixels a seat. */
  async function refreshSeatMap() {
    const showId = selected.show;
    if (!showId || document.hidden) return;
    const error = $('show-map-error');
    try {
      const map = await api('GET', `${showPath(showId)}/seats`);
      if (selected.show !== showId) return;
      seatMap = map;
      error.hidden = true;
    } catch (e) {
      if (selected.show !== showId) return;
      error.textContent = `Seat map: ${e.message}`;
      error.hidden = false;
    }
    drawSeatMap();
  }

  function drawSeatMap() {
    const canvas = $('show-map');
    if (!seatMap) {
      canvas.width = 0;
      canvas.height = 0;
      canvas.style.height = '0px';
      $('show-map-counts').textContent = '';
      return;
    }
    const totals = { f: 0, h: 0, s: 0 };
    const drawn = window.FloodgateSeatMap.layout(seatMap, canvas.clientWidth || 320, { minCell: 2, maxCell: 16 });
    window.FloodgateSeatMap.draw(canvas, drawn, (row, p) => {
      const status = row.status[p];
      totals[status in totals ? status : 's']++;
      return SEAT_COLORS[status] || SEAT_COLORS.s;
    });
    Object.assign(canvas.dataset, { free: String(totals.f), held: String(totals.h), sold: String(totals.s), at: seatMap.at });
    $('show-map-counts').textContent =
      `${fmt(totals.f)} free, ${fmt(totals.h)} held, ${fmt(totals.s)} sold at ${new Date(seatMap.at).toLocaleTimeString()}`;
  }

  function renderTerms() {
    renderList(
      'terms',
      'term',
      terms,
      [
        ['id', 'Term'],
        ['name', 'Name', 'wrap'],
        ['accepted', 'Accepted', 'num'],
        ['decided', 'Decided', 'num'],
        ['decider', 'Decider', 'wrap'],
      ],
      (row, term) => {
        setText(row, 'name', term.name);
        setText(row, 'accepted', fmt(term.accepted));
        setText(row, 'decided', fmt(term.decided));
        setText(row, 'decider', term.decider ? term.decider.id : 'none');
      },
    );
    $('terms-empty').hidden = terms.length > 0 && !listErrors.terms;
  }

  async function refreshTermCourses() {
    const termId = selected.term;
    if (!termId || document.hidden) return;
    const error = $('term-courses-error');
    try {
      const { courses } = await api('GET', `${termPath(termId)}/courses`);
      if (selected.term !== termId) return;
      termCourses = courses;
      error.hidden = true;
    } catch (e) {
      if (selected.term !== termId) return;
      error.textContent = `Courses: ${e.message}`;
      error.hidden = false;
    }
    renderTermView();
    // The course chosen (or the first one) gets its chart.
    const wanted = termCourses.some((c) => c.id === selected.course) ? selected.course : (termCourses[0]?.id ?? null);
    if (wanted !== selected.course || (wanted && !views.course)) select('course', wanted);
    renderCourseView();
  }

  function fillBar(enrolled, capacity) {
    const bar = document.createElement('span');
    bar.className = 'fill-bar';
    bar.classList.toggle('full', capacity > 0 && enrolled >= capacity);
    bar.setAttribute('role', 'img');
    const share = capacity > 0 ? Math.min(1, enrolled / capacity) : 1;
    bar.setAttribute('aria-label', `${Math.round(share * 100)}% full`);
    const inner = document.createElement('span');
    inner.style.width = `${Math.round(share * 100)}%`;
    bar.append(inner);
    return bar;
  }

  function renderTermView() {
    const section = $('term-view');
    const term = terms.find((x) => x.id === selected.term);
    section.hidden = !term;
    if (!term) return;
    const courses = termCourses;
    const total = (name) => courses.reduce((n, c) => n + (c[name] ?? 0), 0);
    setFacts(section, {
      id: term.id,
      name: term.name,
      enrolled: `${fmt(total('enrolled'))} / ${fmt(total('capacity'))} in ${fmt(courses.length)} courses`,
      waitlisted: `${fmt(total('waitlisted'))} / ${fmt(total('waitlist'))}`,
      progress: `${fmt(term.accepted)} · ${fmt(term.decided)}`,
      credits: `${term.minCredits != null ? `${fmt(term.minCredits)} to ` : 'up to '}${fmt(term.maxCredits)}`,
      closesAt: term.closesAt ? fmtTime(term.closesAt) : 'never',
      windows: term.windows?.length ? term.windows.map((w) => `${w.group}: ${fmtTime(w.opensAt)}`).join('; ') : 'open to every group',
    });
    renderList(
      'term-courses',
      'course',
      courses,
      [
        ['id', 'Course'],
        ['title', 'Title', 'wrap'],
        ['enrolled', 'Enrolled / capacity', 'num'],
        ['fill-cell', 'Fill'],
        ['waitlisted', 'Waitlisted / places', 'num'],
      ],
      (row, c) => {
        setText(row, 'title', c.title);
        setText(row, 'enrolled', `${fmt(c.enrolled)} / ${fmt(c.capacity)}`);
        row.querySelector('.fill-cell').replaceChildren(fillBar(c.enrolled, c.capacity));
        setText(row, 'waitlisted', `${fmt(c.waitlisted)} / ${fmt(c.waitlist)}`);
      },
    );
  }

  function renderCourseView() {
    const section = $('course-view');
    const course = termCourses.find((c) => c.id === selected.course);
    section.hidden = !course;
    if (course) setFacts(section, { id: `${course.id}: ${course.title}` });
  }

  // ── wallets: a lookup by partner and user, and each partner's points over time ──────────────

  const WALLET_PAGE = 20;
  let walletCursor = null;

  function renderPartners() {
    const select_ = $('wallet-lookup').elements.namedItem('partnerId');
    const current = select_.value || selected.partner || '';
    const ids = partners.map((p) => p.partnerId);
    if ([...select_.options].map((o) => o.value).join('\n') !== ids.join('\n')) {
      select_.replaceChildren(
        ...partners.map((p) => {
          const option = document.createElement('option');
          option.value = p.partnerId;
          option.textContent = `${p.name} (${p.partnerId})${p.revokedAt ? ', revoked' : ''}`;
          return option;
        }),
      );
    }
    if (ids.includes(current)) select_.value = current;
  }

  function renderPartnerView() {
    const section = $('partner-view');
    section.hidden = !selected.partner;
    const partner = partners.find((p) => p.partnerId === selected.partner);
    if (selected.partner) setFacts(section, { partner: partner ? `${partner.name} (${partner.partnerId})` : selected.partner });
  }

  /** The points that will expire, and the soonest of them (the API lists them by expiry). */
  function expiringText(expiring) {
    if (!expiring.length) return 'nothing expires';
    const total = expiring.reduce((n, e) => n + e.points, 0);
    const [first] = expiring;
    const more = expiring.length > 1 ? ` (${fmt(expiring.length)} dates)` : '';
    return `${fmt(total)} points, soonest ${fmt(first.points)} on ${fmtTime(first.expiresAt)}${more}`;
  }

  function lotRow(lot) {
    const row = document.createElement('tr');
    const cells = [
      ['Lot', lot.lotId],
      ['Kind', lot.kind],
      ['Remaining', fmt(lot.remaining), 'num'],
      ['Expires', lot.expiresAt ? fmtTime(lot.expiresAt) : 'never'],
    ];
    for (const [label, text, className] of cells) {
      const td = cell(label, className);
      td.textContent = text;
      row.append(td);
    }
    return row;
  }

  function transactionRow(t) {
    const row = document.createElement('tr');
    const detail = [t.reason, t.counterparty ? `with ${t.counterparty}` : null, t.reverses ? `reverses ${t.reverses}` : null]
      .filter(Boolean)
      .join(' · ');
    const cells = [
      ['When', fmtTime(t.createdAt)],
      ['Kind', t.hold ? `${t.kind} (${t.hold.status})` : t.kind],
      ['Points', t.points > 0 ? `+${fmt(t.points)}` : fmt(t.points), 'num'],
      ['Reason', detail || '–', 'wrap'],
      ['Transaction', t.transactionId ?? t.holdId ?? '–'],
    ];
    for (const [label, text, className] of cells) {
      const td = cell(label, className);
      td.textContent = text;
      row.append(td);
    }
    return row;
  }

  /** A wallet named in the address (`partner`, `user`) is looked up once, when its partner is known. */
  let walletFromHash = true;
  function lookUpFromHash() {
    if (!walletFromHash || listErrors.partners) return;
    walletFromHash = false;
    if (!selected.partner || !selected.user || !partners.some((p) => p.partnerId === selected.partner)) return;
    const form = $('wallet-lookup');
    form.elements.namedItem('partnerId').value = selected.partner;
    form.elements.namedItem('userId').value = selected.user;
    lookUpWallet(selected.partner, selected.user);
  }

  /** Looks a wallet up (its first page of history, or the next one with `more`); the API's errors go to the form. */
  async function lookUpWallet(partnerId, userId, more = false) {
    const form = $('wallet-lookup');
    const done = await submit(form, async () => {
      if (!userId) throw Object.assign(new Error('Enter a user id.'), { status: 400 });
      const cursor = more && walletCursor ? `&cursor=${encodeURIComponent(walletCursor)}` : '';
      const [wallet, page] = await Promise.all([
        more ? null : api('GET', walletPath(partnerId, userId)),
        api('GET', `${walletPath(partnerId, userId, '/history')}&limit=${WALLET_PAGE}${cursor}`),
      ]);
      return { wallet, page };
    });
    const section = $('wallet-view');
    if (!done) {
      if (!more) section.hidden = true;
      return false;
    }
    const { wallet, page } = done;
    if (wallet) {
      const partner = partners.find((p) => p.partnerId === partnerId);
      setFacts(section, {
        userId: wallet.userId,
        partner: partner ? partner.name : partnerId,
        balance: fmt(wallet.balance),
        held: fmt(wallet.held),
        expiring: expiringText(wallet.expiring),
      });
      $('wallet-lots')
        .querySelector('tbody')
        .replaceChildren(...wallet.lots.map(lotRow));
      $('wallet-lots').hidden = wallet.lots.length === 0;
    }
    const body = $('wallet-history').querySelector('tbody');
    if (more) body.append(...page.transactions.map(transactionRow));
    else body.replaceChildren(...page.transactions.map(transactionRow));
    walletCursor = page.nextCursor;
    $('wallet-more').hidden = !page.nextCursor;
    section.hidden = false;
    return true;
  }

  // ── refresh ──────────────────────────────────────────────────────────────────────────────────

  /** Lists of the other capabilities: one failing (or missing) leaves the others and the rooms standing. */
  const listErrors = { shows: null, terms: null, partners: null };

  async function refresh() {
    clearTimeout(listTimer);
    const query = showArchived ? '?archived=true' : '';
    try {
      const [roomList, campaignList, showList, termList, partnerList] = await Promise.all([
        api('GET', `/v1/rooms${query}`),
        api('GET', `/v1/campaigns${query}`),
        ...['/v1/shows', '/v1/terms', '/v1/partners'].map((path) =>
          api('GET', path).catch((e) => {
            if (e.status === 401 || e.status === 403) throw e;
            return e;
          }),
        ),
      ]);
      rooms = roomList.rooms;
      campaigns = campaignList.campaigns;
      for (const [name, answer] of [
        ['shows', showList],
        ['terms', termList],
        ['partners', partnerList],
      ]) {
        listErrors[name] = answer instanceof Error ? answer : null;
        if (!listErrors[name]) {
          if (name === 'shows') shows = answer.shows;
          else if (name === 'terms') terms = answer.terms;
          else partners = answer.partners;
        }
      }
      signedIn();
      renderRooms();
      renderCampaigns();
      renderShows();
      renderTerms();
      renderPartners();
      lookUpFromHash();
      listError('shows-empty', listErrors.shows, 'No shows yet: create a venue and a show with the API (POST /v1/venues, POST /v1/shows).');
      listError('terms-empty', listErrors.terms, 'No terms yet: create one with the API (POST /v1/terms).');
      // A view whose entity is gone closes; with none chosen, the first one opens.
      for (const [kind, list] of [
        ['room', rooms],
        ['campaign', campaigns],
        ['show', shows],
        ['term', terms],
      ]) {
        const has = (id) => id && list.some((e) => e.id === id);
        const wanted = has(linked[kind]) ? linked[kind] : has(selected[kind]) ? selected[kind] : (list[0]?.id ?? null);
        if (wanted !== selected[kind] || (wanted && !views[kind])) {
          if (kind === 'term') termCourses = [];
          select(kind, wanted);
        }
      }
      linked = {};
      if (selected.partner && !views.partner && partners.some((p) => p.partnerId === selected.partner)) select('partner', selected.partner);
      renderRoomView();
      renderCampaignView();
      renderShowView();
      renderPartnerView();
      await Promise.all([refreshSeatMap(), refreshTermCourses()]);
      status(`Updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      if (e.status === 401 || e.status === 403) return signedOut('That token was refused.');
      status(`Cannot reach the API: ${e.message}`);
    }
    listTimer = setTimeout(refresh, LIST_EVERY_MS);
  }

  function signedIn() {
    $('dashboard').hidden = false;
    $('login').hidden = true;
    $('sign-out').hidden = false;
    $('archived-toggle').hidden = false;
  }

  function signedOut(message) {
    clearTimeout(listTimer);
    for (const kind of Object.keys(views)) {
      views[kind]?.close();
      views[kind] = null;
    }
    $('dashboard').hidden = true;
    $('login').hidden = false;
    $('sign-out').hidden = true;
    $('archived-toggle').hidden = true;
    const error = $('login-error');
    error.textContent = message ?? '';
    error.hidden = !message;
    status('');
    $('token').focus();
  }

  // ── forms: bodies as the API takes them, its errors next to the fields they name ─────────────

  const fieldValue = (form, name) => form.elements.namedItem(name)?.value.trim() ?? '';

  /** Numbers as typed (the API judges them); an empty field is left out. */
  function putNumber(body, form, name, key = name) {
    const raw = fieldValue(form, name);
    if (raw !== '') body[key] = Number(raw);
  }
  function putText(body, form, name, key = name) {
    const raw = fieldValue(form, name);
    if (raw !== '') body[key] = raw;
  }
  /** A datetime-local value is the operator's local time: sent as an ISO instant. */
  function putInstant(body, form, name) {
    const raw = fieldValue(form, name);
    if (raw === '') return;
    const date = new Date(raw);
    body[name] = Number.isNaN(date.getTime()) ? raw : date.toISOString();
  }
  function putClientRate(body, form) {
    const choice = fieldValue(form, 'clientRate');
    if (choice === 'none') body.clientRate = null;
    if (choice === 'custom') {
      const rate = {};
      putNumber(rate, form, 'clientRate.perSecond', 'perSecond');
      putNumber(rate, form, 'clientRate.burst', 'burst');
      body.clientRate = rate;
    }
  }

  function newRoomBody(form) {
    const body = {};
    putText(body, form, 'id');
    for (const name of ['admitPerSecond', 'maxActive', 'sessionSeconds', 'maxExtensions', 'arrivalSeconds', 'abandonAfterSeconds'])
      putNumber(body, form, name);
    putInstant(body, form, 'opensAt');
    putText(body, form, 'prequeue');
    putText(body, form, 'targetUrl');
    putClientRate(body, form);
    return body;
  }

  function editRoomBody(form) {
    const body = {};
    putNumber(body, form, 'admitPerSecond');
    putNumber(body, form, 'maxActive');
    const paused = fieldValue(form, 'paused');
    if (paused) body.paused = paused === 'true';
    if (form.elements.namedItem('targetUrl.clear').checked) body.targetUrl = null;
    else putText(body, form, 'targetUrl');
    putClientRate(body, form);
    return body;
  }

  function newCampaignBody(form) {
    const body = {};
    putText(body, form, 'id');
    putNumber(body, form, 'stock');
    putNumber(body, form, 'perUserLimit');
    putInstant(body, form, 'opensAt');
    putInstant(body, form, 'closesAt');
    putText(body, form, 'roomId');
    putText(body, form, 'webhookUrl');
    const daily = {};
    putText(daily, form, 'daily.opensAt', 'opensAt');
    putText(daily, form, 'daily.closesAt', 'closesAt');
    putText(daily, form, 'daily.timeZone', 'timeZone');
    putNumber(daily, form, 'daily.quota', 'quota');
    if (Object.keys(daily).length > 0) {
      // The operator's own time zone unless another is given.
      daily.timeZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
      body.daily = daily;
    }
    putClientRate(body, form);
    return body;
  }

  /**
   * The field an API error is about: its schema errors name it ("body/admitPerSecond must be > 0",
   * "body must have required property 'id'", "body/daily must have required property 'quota'"), its
   * rule errors start with it ("targetUrl must be an http(s) URL"), a few codes imply it.
   */
  function fieldPathOf(error) {
    const message = error.message || '';
    let m = /^body\/([A-Za-z0-9_/]+) must have required property '(\w+)'/.exec(message);
    if (m) return `${m[1].replaceAll('/', '.')}.${m[2]}`;
    m = /^body must have required property '(\w+)'/.exec(message);
    if (m) return m[1];
    m = /^body\/([A-Za-z0-9_/]+)/.exec(message);
    if (m) return m[1].replaceAll('/', '.');
    if (/^unknown time zone/.test(message)) return 'daily.timeZone';
    m = /^([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)?) (?:must|may)\b/.exec(message);
    if (m) return m[1];
    if (error.code === 'room_exists' || error.code === 'campaign_exists') return 'id';
    return null;
  }

  /** The control and the message slot of a field path in a form (or of its nearest parent path). */
  function fieldOf(form, path) {
    for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : null) {
      const control = form.elements.namedItem(p);
      const slot = form.querySelector(`.field-error[data-for="${CSS.escape(p)}"]`);
      if (control && control.nodeType === 1) {
        return { control, slot: slot ?? control.closest('label')?.querySelector('.field-error') ?? form.querySelector('.field-error') };
      }
      if (slot) return { control: slot.closest('fieldset')?.querySelector('input, select'), slot };
    }
    return null;
  }

  function clearErrors(form) {
    for (const slot of form.querySelectorAll('.field-error')) {
      slot.textContent = '';
      slot.hidden = true;
    }
    for (const control of form.querySelectorAll('[aria-invalid]')) {
      control.removeAttribute('aria-invalid');
      control.removeAttribute('aria-describedby');
    }
  }

  let errorIds = 0;
  function showError(form, error) {
    clearErrors(form);
    const path = fieldPathOf(error);
    const field = path ? fieldOf(form, path) : null;
    const slot = field?.slot ?? form.querySelector('.form-error') ?? form.querySelector('.field-error');
    slot.textContent = error.message;
    slot.hidden = false;
    if (field?.control) {
      slot.id ||= `field-error-${++errorIds}`;
      field.control.setAttribute('aria-invalid', 'true');
      field.control.setAttribute('aria-describedby', slot.id);
      field.control.focus();
    }
  }

  /** Submits a form's body; its errors are shown at their fields; true when it went through. */
  async function submit(form, send) {
    const button = form.querySelector('button[type="submit"]');
    clearErrors(form);
    button.disabled = true;
    try {
      return await send();
    } catch (e) {
      if (e.status === 401) {
        signedOut('That token was refused.');
        return null;
      }
      showError(form, e);
      return null;
    } finally {
      button.disabled = false;
    }
  }

  function replaceRoom(room) {
    const i = rooms.findIndex((r) => r.id === room.id);
    if (i >= 0) rooms[i] = { ...rooms[i], ...room };
    renderRooms();
    renderRoomView();
  }

  // ── events ───────────────────────────────────────────────────────────────────────────────────

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token').value.trim();
    if (!token) return signedOut('Enter the admin token (FLOODGATE_ADMIN_TOKEN).');
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login-error').hidden = true;
    refresh();
  });

  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    token = '';
    signedOut('Signed out.');
  });

  $('show-archived').addEventListener('change', (event) => {
    showArchived = event.target.checked;
    refresh();
  });

  for (const [tableId, kind] of [
    ['rooms', 'room'],
    ['campaigns', 'campaign'],
    ['shows', 'show'],
    ['terms', 'term'],
    ['term-courses', 'course'],
  ]) {
    $(tableId).addEventListener('click', (event) => {
      const button = event.target.closest('button.select');
      if (!button) return;
      if (kind === 'term' && button.closest('tr').dataset.term !== selected.term) {
        termCourses = [];
        select('course', null);
      }
      select(kind, button.closest('tr').dataset[kind]);
      if (kind === 'show') refreshSeatMap();
      if (kind === 'term') refreshTermCourses();
      $(`${kind}-view`).scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  }

  $('wallet-lookup').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const partnerId = form.elements.namedItem('partnerId').value;
    const userId = form.elements.namedItem('userId').value.trim();
    if (!partnerId) return showError(form, new Error('Choose a partner (partners are created with POST /v1/partners).'));
    walletCursor = null;
    if (await lookUpWallet(partnerId, userId)) {
      selected.user = userId;
      writeHash();
    }
    select('partner', partnerId);
  });

  $('wallet-more').addEventListener('click', () => {
    const form = $('wallet-lookup');
    lookUpWallet(form.elements.namedItem('partnerId').value, selected.user ?? '', true);
  });

  // Quick change in a room's row: the row is updated from the answer at once; focus stays where it is.
  $('rooms').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const roomId = form.closest('tr').dataset.room;
    const changes = {};
    putNumber(changes, form, 'admitPerSecond');
    putNumber(changes, form, 'maxActive');
    const room = await submit(form, () => api('PATCH', roomPath(roomId), changes));
    if (!room) return;
    form.reset();
    replaceRoom(room);
    status(`Room ${roomId}: ${fmt(room.admitPerSecond)} admitted per second, ${fmt(room.maxActive)} active at most`);
  });

  $('rooms').addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-action="pause"], button[data-action="resume"]');
    if (!button || button.getAttribute('aria-busy') === 'true') return;
    const form = button.closest('form');
    const roomId = button.closest('tr').dataset.room;
    const pause = button.dataset.action === 'pause';
    // Not disabled while it works: a disabled button loses the focus.
    button.setAttribute('aria-busy', 'true');
    try {
      const room = await submit(form, () => api('PATCH', roomPath(roomId), { paused: pause }));
      if (room) {
        replaceRoom(room);
        status(`Room ${roomId} ${room.paused ? 'paused: nobody is admitted' : 'resumed'}`);
      }
    } finally {
      button.removeAttribute('aria-busy');
    }
  });

  $('edit-room').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const roomId = selected.room;
    const room = await submit(form, () => api('PATCH', roomPath(roomId), editRoomBody(form)));
    if (!room) return;
    form.reset();
    form.elements.namedItem('targetUrl').disabled = false;
    syncClientRateFields(form);
    replaceRoom(room);
    status(`Room ${roomId} changed`);
  });

  $('new-room').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const room = await submit(form, () => api('POST', '/v1/rooms', newRoomBody(form)));
    if (!room) return;
    form.reset();
    syncClientRateFields(form);
    status(`Room ${room.id} created`);
    showSecret(room);
    await refresh();
    select('room', room.id);
  });

  $('new-campaign').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const campaign = await submit(form, () => api('POST', '/v1/campaigns', newCampaignBody(form)));
    if (!campaign) return;
    form.reset();
    syncClientRateFields(form);
    status(`Campaign ${campaign.id} created`);
    await refresh();
    select('campaign', campaign.id);
  });

  // The per-client limit's numbers matter only for "this many".
  function syncClientRateFields(form) {
    const custom = fieldValue(form, 'clientRate') === 'custom';
    for (const name of ['clientRate.perSecond', 'clientRate.burst']) {
      const input = form.elements.namedItem(name);
      input.closest('label').hidden = !custom;
    }
  }
  for (const form of document.querySelectorAll('form.api-form')) {
    if (!form.elements.namedItem('clientRate')) continue;
    form.elements.namedItem('clientRate').addEventListener('change', () => syncClientRateFields(form));
    syncClientRateFields(form);
  }
  $('edit-room')
    .elements.namedItem('targetUrl.clear')
    .addEventListener('change', (event) => {
      $('edit-room').elements.namedItem('targetUrl').disabled = event.target.checked;
    });

  // Archive and delete: the API decides (delete is refused while the entity holds data); its answer is shown here.
  for (const [sectionId, kind] of [
    ['room-view', 'room'],
    ['campaign-view', 'campaign'],
  ]) {
    const section = $(sectionId);
    const message = section.querySelector('.lifecycle-error');
    let confirmTimer = null;
    const say = (text, isError) => {
      message.textContent = text;
      message.hidden = !text;
      message.classList.toggle('ok', !isError);
    };
    const resetDelete = () => {
      const button = section.querySelector('[data-lifecycle="delete"]');
      button.textContent = 'Delete';
      button.dataset.confirming = '';
    };
    section.addEventListener('click', async (event) => {
      const button = event.target.closest('button[data-lifecycle]');
      if (!button) return;
      const id = selected[kind];
      const path = kind === 'room' ? roomPath(id) : campaignPath(id);
      if (button.dataset.lifecycle === 'delete' && button.dataset.confirming !== 'yes') {
        button.dataset.confirming = 'yes';
        button.textContent = `Really delete ${id}?`;
        say(`Deleting ${id} cannot be undone. Click again within 5 seconds to delete it.`, false);
        clearTimeout(confirmTimer);
        confirmTimer = setTimeout(() => {
          resetDelete();
          say('', false);
        }, 5000);
        return;
      }
      clearTimeout(confirmTimer);
      resetDelete();
      try {
        if (button.dataset.lifecycle === 'archive') await api('POST', `${path}/archive`, undefined);
        else await api('DELETE', path, undefined);
        say(`${kind === 'room' ? 'Room' : 'Campaign'} ${id} ${button.dataset.lifecycle === 'archive' ? 'archived' : 'deleted'}.`, false);
        await refresh();
      } catch (e) {
        if (e.status === 401) return signedOut('That token was refused.');
        say(e.message, true);
      }
    });
  }

  // The identity secret is in the creation's answer only: shown once, with a way to copy it.
  function showSecret(room) {
    if (!room.identitySecret) return;
    $('room-secret').hidden = false;
    $('room-secret').querySelector('[data-secret-room]').textContent = room.id;
    $('room-secret-value').value = room.identitySecret;
    $('room-secret-copy').focus();
  }
  $('room-secret-copy').addEventListener('click', () => copy($('room-secret-value').value, 'The identity secret'));
  $('room-secret-done').addEventListener('click', () => {
    $('room-secret-value').value = '';
    $('room-secret').hidden = true;
  });

  async function copy(text, what) {
    try {
      await navigator.clipboard.writeText(text);
      status(`${what} is copied.`);
    } catch {
      // Without the clipboard API (plain http, say): the text is selected for Ctrl+C.
      const input = $('room-secret-value');
      if (input.value === text) input.select();
      status(`Copy it by hand: ${what.toLowerCase()} could not be copied here.`);
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    for (const view of Object.values(views)) view?.refresh();
  });

  // A link or the history buttons change the address: the views follow it. The address the event
  // names, not location.hash: a refresh finishing before this event is handled rewrites the
  // address with the selection it knows (writeHash), which would undo the user's step.
  // An entity the lists do not have yet (made a moment ago elsewhere) is looked for in the lists
  // at once, and opened if they have it then.
  window.addEventListener('hashchange', (event) => {
    const wanted = hashSelection(new URL(event.newURL).hash);
    const lists = { room: rooms, campaign: campaigns, show: shows, term: terms, course: termCourses };
    let unknown = false;
    for (const kind of Object.keys(lists)) {
      if (!wanted[kind] || wanted[kind] === selected[kind]) continue;
      if (lists[kind].some((e) => e.id === wanted[kind])) select(kind, wanted[kind]);
      else if (kind !== 'course') {
        linked[kind] = wanted[kind];
        unknown = true;
      }
    }
    if (unknown && token) refresh();
  });

  Object.assign(selected, hashSelection());
  if (token) refresh();
  else signedOut();
})();
