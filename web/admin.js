// The admin dashboard: live figures of every room and campaign, refreshed every two seconds, with
// small trend charts, and the few actions an operator takes during a surge.
(() => {
  const $ = (id) => document.getElementById(id);
  const history = new Map(); // key -> array of numbers (last 60 samples)
  let token = sessionStorage.getItem('fg_admin_token') || '';
  let timer = null;

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.error?.message || `HTTP ${res.status}`), { status: res.status });
    return data;
  }

  function remember(key, value) {
    const values = history.get(key) || [];
    values.push(value);
    if (values.length > 60) values.shift();
    history.set(key, values);
    return values;
  }

  function sparkline(series, colors) {
    const w = 140,
      h = 32;
    const max = Math.max(1, ...series.flat());
    const paths = series.map((values, i) => {
      const step = values.length > 1 ? w / (values.length - 1) : w;
      const d = values.map((v, j) => `${j ? 'L' : 'M'}${(j * step).toFixed(1)},${(h - (v / max) * (h - 2) - 1).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${colors[i]}" stroke-width="1.5"/>`;
    });
    return `<svg width="${w}" height="${h}" role="img" aria-label="trend">${paths.join('')}</svg>`;
  }

  const text = (value) => String(value).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const fmt = (n) => (n == null ? '–' : Number(n).toLocaleString(undefined, { maximumFractionDigits: 1 }));

  function renderRooms(rooms) {
    $('rooms').querySelector('tbody').innerHTML = rooms
      .map((r) => {
        const s = r.stats;
        const waiting = remember(`w:${r.id}`, s.waiting);
        const active = remember(`a:${r.id}`, s.active);
        const rate = remember(`r:${r.id}`, s.observedAdmitPerSecond || 0);
        return `<tr data-room="${text(r.id)}">
          <td>${text(r.id)}${r.paused ? ' <em>(paused)</em>' : ''}</td>
          <td class="waiting">${fmt(s.waiting)}</td>
          <td>${fmt(s.active)} / ${fmt(r.maxActive)}</td>
          <td>${fmt(s.admittedTotal)}</td>
          <td class="rate">${fmt(r.admitPerSecond)} · ${fmt(s.observedAdmitPerSecond)}</td>
          <td>${sparkline([waiting, active], ['#2563eb', '#16a34a'])} ${sparkline([rate], ['#ea580c'])}</td>
          <td class="row-actions">
            <form data-action="patch">
              <input name="admitPerSecond" type="number" step="any" min="0.01" aria-label="Admit per second" placeholder="rate">
              <input name="maxActive" type="number" min="1" aria-label="Max active" placeholder="max">
              <button type="submit">Set</button>
              <button type="button" data-action="${r.paused ? 'resume' : 'pause'}">${r.paused ? 'Resume' : 'Pause'}</button>
            </form>
          </td>
        </tr>`;
      })
      .join('');
  }

  function renderCampaigns(campaigns) {
    $('campaigns').querySelector('tbody').innerHTML = campaigns
      .map((c) => {
        const claimed = remember(`c:${c.id}`, c.claimed);
        const remaining = remember(`rem:${c.id}`, c.remaining);
        const pending = remember(`p:${c.id}`, c.pending);
        return `<tr data-campaign="${text(c.id)}">
          <td>${text(c.id)}</td><td>${fmt(c.stock)}</td><td>${fmt(c.claimed)}</td><td>${fmt(c.remaining)}</td>
          <td>${fmt(c.persisted)}</td><td>${fmt(c.pending)}</td>
          <td>${sparkline([claimed, remaining], ['#9333ea', '#2563eb'])} ${sparkline([pending], ['#dc2626'])}</td>
        </tr>`;
      })
      .join('');
  }

  async function refresh() {
    clearTimeout(timer);
    try {
      const [rooms, campaigns] = await Promise.all([api('GET', '/v1/rooms'), api('GET', '/v1/campaigns')]);
      // Do not redraw a row while the operator is typing in it.
      if (!$('rooms').contains(document.activeElement)) renderRooms(rooms.rooms);
      renderCampaigns(campaigns.campaigns);
      $('dashboard').hidden = false;
      $('login').hidden = true;
      $('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      $('status').textContent = e.status === 401 ? 'That token was refused.' : `Cannot reach the API: ${e.message}`;
      if (e.status === 401) {
        $('login').hidden = false;
        return;
      }
    }
    timer = setTimeout(refresh, 2000);
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    token = $('token').value;
    sessionStorage.setItem('fg_admin_token', token);
    refresh();
  });

  $('rooms').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const roomId = form.closest('tr').dataset.room;
    const changes = {};
    if (form.admitPerSecond.value) changes.admitPerSecond = Number(form.admitPerSecond.value);
    if (form.maxActive.value) changes.maxActive = Number(form.maxActive.value);
    if (Object.keys(changes).length === 0) return;
    try {
      await api('PATCH', `/v1/rooms/${encodeURIComponent(roomId)}`, changes);
      form.reset();
      document.activeElement.blur();
      $('status').textContent = `Room ${roomId} updated`;
      refresh();
    } catch (e) {
      $('status').textContent = e.message;
    }
  });

  $('rooms').addEventListener('click', async (event) => {
    const action = event.target.dataset?.action;
    if (action !== 'pause' && action !== 'resume') return;
    const roomId = event.target.closest('tr').dataset.room;
    await api('PATCH', `/v1/rooms/${encodeURIComponent(roomId)}`, { paused: action === 'pause' }).catch(
      (e) => ($('status').textContent = e.message),
    );
    refresh();
  });

  function numbers(form) {
    const body = Object.fromEntries(new FormData(form));
    for (const key of Object.keys(body)) if (key !== 'id') body[key] = Number(body[key]);
    return body;
  }

  $('new-room').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/v1/rooms', numbers(event.target));
      event.target.reset();
      refresh();
    } catch (e) {
      $('status').textContent = e.message;
    }
  });

  $('new-campaign').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', '/v1/campaigns', numbers(event.target));
      event.target.reset();
      refresh();
    } catch (e) {
      $('status').textContent = e.message;
    }
  });

  if (token) refresh();
})();
