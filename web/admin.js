// The admin dashboard: every room and campaign with its live figures, a view of the one selected
// with time-series charts (uPlot) fed by the server's short history (GET /v1/history: the last 15
// minutes, merged across instances, so a reload or another tab keeps the picture), and forms for
// every field of the API, whose errors are shown next to the field they name. No framework.
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

  // ── selection (kept in the address, so a reload shows the same views) ────────────────────────

  const selected = { room: null, campaign: null };
  const views = { room: null, campaign: null };

  function hashSelection() {
    const params = new URLSearchParams(location.hash.slice(1));
    return { room: params.get('room'), campaign: params.get('campaign') };
  }

  function writeHash() {
    const params = new URLSearchParams();
    if (selected.room) params.set('room', selected.room);
    if (selected.campaign) params.set('campaign', selected.campaign);
    history.replaceState(null, '', `#${params}`);
  }

  function select(kind, id) {
    if (selected[kind] === id && views[kind]) return;
    selected[kind] = id;
    writeHash();
    views[kind]?.close();
    views[kind] = null;
    if (kind === 'room') renderRoomView();
    else renderCampaignView();
    if (id) {
      views[kind] = kind === 'room' ? roomCharts(id) : campaignCharts(id);
      views[kind].open();
    }
    for (const row of document.querySelectorAll(`#${kind === 'room' ? 'rooms' : 'campaigns'} tbody tr`)) {
      const isSelected = row.dataset[kind] === id;
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

  // ── refresh ──────────────────────────────────────────────────────────────────────────────────

  async function refresh() {
    clearTimeout(listTimer);
    const query = showArchived ? '?archived=true' : '';
    try {
      const [roomList, campaignList] = await Promise.all([api('GET', `/v1/rooms${query}`), api('GET', `/v1/campaigns${query}`)]);
      rooms = roomList.rooms;
      campaigns = campaignList.campaigns;
      signedIn();
      renderRooms();
      renderCampaigns();
      // A view whose entity is gone closes; with none chosen, the first one opens.
      for (const [kind, list] of [
        ['room', rooms],
        ['campaign', campaigns],
      ]) {
        const wanted = list.some((e) => e.id === selected[kind]) ? selected[kind] : (list[0]?.id ?? null);
        if (wanted !== selected[kind] || (wanted && !views[kind])) select(kind, wanted);
      }
      renderRoomView();
      renderCampaignView();
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
    for (const kind of ['room', 'campaign']) {
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
  ]) {
    $(tableId).addEventListener('click', (event) => {
      const button = event.target.closest('button.select');
      if (!button) return;
      select(kind, button.closest('tr').dataset[kind]);
      $(`${kind}-view`).scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  }

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

  // A link or the history buttons change the address: the views follow it.
  window.addEventListener('hashchange', () => {
    const wanted = hashSelection();
    for (const kind of ['room', 'campaign']) {
      if (wanted[kind] && wanted[kind] !== selected[kind] && (kind === 'room' ? rooms : campaigns).some((e) => e.id === wanted[kind]))
        select(kind, wanted[kind]);
    }
  });

  Object.assign(selected, hashSelection());
  if (token) refresh();
  else signedOut();
})();
