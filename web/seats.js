// The seat-selection page (/s/:showId): the map (one canvas, a few pixels a seat, so 100,000 seats
// draw at once), pick seats or "best N", a hold with its countdown, confirm. The buyer is the
// holder of the room's access token: a room whose targetUrl is this page sends it as ?fg_token=.
// No framework.
(() => {
  const showId = decodeURIComponent(location.pathname.split('/')[2] || '');
  const $ = (id) => document.getElementById(id);
  const COLORS = { f: '#22c55e', h: '#f59e0b', s: '#9ca3af', mine: '#2563eb', picked: '#1e3a8a' };
  const SeatMap = window.FloodgateSeatMap; // seat-map.js
  const store = sessionStorage;
  const stateKey = `fg_seats:${showId}`;

  const fromQuery = new URLSearchParams(location.search).get('fg_token');
  if (fromQuery) {
    store.setItem('fg_token', fromQuery);
    history.replaceState(null, '', location.pathname);
  }
  const token = store.getItem('fg_token');

  let map = null; // the last seat map
  let drawn = null; // the map's layout as last drawn (SeatMap.layout)
  const picked = new Set(); // seat ids
  let hold = JSON.parse(store.getItem(stateKey) || 'null'); // { holdId, seats, expiresAt, together, key }
  let booking = null;

  function error(message) {
    $('error').textContent = message || '';
    $('error').hidden = !message;
  }

  async function api(method, path, body, headers = {}) {
    const res = await fetch(path, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok)
      throw Object.assign(new Error(data.error?.message || `HTTP ${res.status}`), { status: res.status, data: data.error || {} });
    return data;
  }

  function draw() {
    if (!map) return;
    const canvas = $('map');
    drawn = SeatMap.layout(map, canvas.clientWidth || 320, { minCell: 3, maxCell: 22 });
    const mine = new Set(hold ? hold.seats : booking ? booking.seats : []);
    SeatMap.draw(canvas, drawn, (row, p) => {
      const id = SeatMap.seatId(row, p);
      return mine.has(id) ? COLORS.mine : picked.has(id) ? COLORS.picked : COLORS[row.status[p]] || COLORS.s;
    });
  }

  function renderCounts() {
    const totals = { free: 0, held: 0, sold: 0 };
    for (const c of Object.values(map.categories)) for (const k of Object.keys(totals)) totals[k] += c[k];
    $('counts').textContent = `${totals.free.toLocaleString()} free of ${map.capacity.toLocaleString()}`;
    const select = $('best-count');
    if (!select.options.length) {
      for (let n = 1; n <= Math.min(8, map.maxSeatsPerUser); n++) select.add(new Option(`${n} seat${n > 1 ? 's' : ''}`, String(n)));
      select.value = String(Math.min(2, map.maxSeatsPerUser));
    }
  }

  function renderSelection() {
    $('selection').textContent = picked.size ? `Selected: ${[...picked].join(', ')}` : 'No seat selected.';
    $('hold-selected').disabled = picked.size === 0;
  }

  function renderHold() {
    $('choose').hidden = Boolean(hold || booking);
    $('held').hidden = !hold;
    $('booked').hidden = !booking;
    if (hold) {
      $('held-seats').textContent = hold.seats.join(', ');
      $('together').textContent = hold.together ? 'Side by side.' : 'Not all side by side: these were the best left.';
      tick();
    }
    if (booking) {
      $('title').textContent = 'You are booked';
      $('booked-seats').textContent = booking.seats.join(', ');
      $('booking-id').textContent = `Booking ${booking.bookingId}`;
    }
    draw();
  }

  function tick() {
    if (!hold) return;
    const left = Math.max(0, Math.round((Date.parse(hold.expiresAt) - Date.now()) / 1000));
    $('countdown').textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    if (left === 0) $('lead').textContent = 'Your hold expired: confirming still works if nobody took these seats.';
  }
  setInterval(tick, 1000);

  function keep(next) {
    hold = next;
    if (hold) store.setItem(stateKey, JSON.stringify(hold));
    else store.removeItem(stateKey);
    renderHold();
  }

  function explain(e) {
    const code = e.data?.code;
    if (code === 'seats_unavailable') return `Taken meanwhile: ${e.data.seats.join(', ')}. Pick others.`;
    if (code === 'not_admitted') return 'Your access expired: go back through the waiting room.';
    return e.message;
  }

  async function takeHold(body) {
    error('');
    try {
      const h = await api('POST', `/v1/shows/${encodeURIComponent(showId)}/holds`, body);
      picked.clear();
      renderSelection();
      keep({ ...h, key: crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}` });
    } catch (e) {
      error(explain(e));
    }
    refresh();
  }

  $('best-form').addEventListener('submit', (event) => {
    event.preventDefault();
    takeHold({ best: { count: Number($('best-count').value) } });
  });
  $('hold-selected').addEventListener('click', () => takeHold({ seats: [...picked] }));
  $('confirm').addEventListener('click', async () => {
    error('');
    try {
      const b = await api('POST', `/v1/shows/${encodeURIComponent(showId)}/holds/${hold.holdId}/confirm`, undefined, {
        'idempotency-key': hold.key,
      });
      booking = b;
      keep(null);
    } catch (e) {
      error(e.data?.code === 'hold_expired' ? `Your hold expired and ${e.data.seats.join(', ')} went to someone else.` : explain(e));
      if (['hold_expired', 'hold_not_found'].includes(e.data?.code)) keep(null);
    }
    refresh();
  });
  $('extend').addEventListener('click', async () => {
    try {
      const x = await api('POST', `/v1/shows/${encodeURIComponent(showId)}/holds/${hold.holdId}/extend`);
      keep({ ...hold, expiresAt: x.expiresAt });
    } catch (e) {
      error(explain(e));
    }
  });
  $('release').addEventListener('click', async () => {
    try {
      await api('DELETE', `/v1/shows/${encodeURIComponent(showId)}/holds/${hold.holdId}`);
    } catch (_e) {
      // gone already
    }
    keep(null);
    refresh();
  });
  $('map').addEventListener('click', (event) => {
    if (hold || booking || !map) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const seat = drawn && SeatMap.seatAt(drawn, event.clientX - rect.left, event.clientY - rect.top);
    if (!seat) return;
    if (picked.has(seat.id)) picked.delete(seat.id);
    else if (seat.status === 'f' && picked.size < map.maxSeatsPerUser) picked.add(seat.id);
    renderSelection();
    draw();
  });
  window.addEventListener('resize', draw);

  async function refresh() {
    try {
      map = await api('GET', `/v1/shows/${encodeURIComponent(showId)}/seats`);
      $('app').setAttribute('aria-busy', 'false');
      renderCounts();
      draw();
    } catch (e) {
      error(e.status === 404 ? 'This show does not exist.' : 'Connection trouble: retrying…');
    }
  }

  if (!token) error('Open this page through the waiting room to choose seats.');
  renderSelection();
  renderHold();
  refresh();
  setInterval(refresh, 3000);
})();
