// The waiting-room page: joins, shows the place in line, polls as the server says, and lets the
// user through once admitted. No framework: a few kilobytes that paint at once under load.
(() => {
  const roomId = decodeURIComponent(location.pathname.split('/')[2] || '');
  const $ = (id) => document.getElementById(id);
  const show = (id) => {
    for (const s of ['waiting', 'countdown', 'admitted', 'ended']) $(s).hidden = s !== id;
  };

  // Who enters: a site that knows its users links here with ?identity=<token it signed for this
  // room>; anyone else is an anonymous visitor, whom the server knows by an httpOnly cookie it sets
  // (a refresh or a second tab keeps the place). The page never names a user itself.
  function entryBody() {
    const identityToken = new URLSearchParams(location.search).get('identity');
    return identityToken ? { identityToken } : {};
  }

  let ticketId = null;
  let firstPosition = null;
  let opensAt = null;
  let timer = null;

  function error(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.error?.message || `HTTP ${res.status}`), { status: res.status });
    return data;
  }

  function formatDuration(seconds) {
    if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
    const minutes = Math.round(seconds / 60);
    return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function tickCountdown() {
    const left = Math.max(0, (opensAt - Date.now()) / 1000);
    const h = Math.floor(left / 3600),
      m = Math.floor((left % 3600) / 60),
      s = Math.floor(left % 60);
    $('countdown-value').textContent = `${h ? `${h}:` : ''}${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  }
  setInterval(() => opensAt && tickCountdown(), 1000);

  function render(t) {
    $('app').setAttribute('aria-busy', 'false');
    $('ticket').textContent = `Ticket ${t.ticketId.split('.')[0]}`;
    if (t.state === 'waiting' && t.opensAt && Date.parse(t.opensAt) > Date.now()) {
      opensAt = Date.parse(t.opensAt);
      $('title').textContent = 'Opening soon';
      tickCountdown();
      show('countdown');
      return;
    }
    opensAt = null;
    if (t.state === 'waiting') {
      $('title').textContent = 'You are in the queue';
      if (firstPosition === null || t.position > firstPosition) firstPosition = t.position;
      $('position').textContent = t.position.toLocaleString();
      const done = firstPosition > 1 ? Math.round(((firstPosition - t.position) / (firstPosition - 1)) * 100) : 100;
      $('progress-fill').style.width = `${done}%`;
      $('progress').setAttribute('aria-valuenow', String(done));
      $('eta').textContent =
        t.waitingFor === 'paused'
          ? 'Admission is paused for the moment: you keep your place.'
          : t.waitingFor === 'full'
            ? 'Everyone inside is still busy: you will move as soon as places free up.'
            : t.etaSeconds != null
              ? `Estimated wait: about ${formatDuration(t.etaSeconds)}`
              : '';
      show('waiting');
      return;
    }
    if (t.state === 'admitted') {
      $('title').textContent = 'It is your turn';
      $('lead').hidden = true;
      if (t.targetUrl) {
        const url = new URL(t.targetUrl);
        url.searchParams.set('fg_token', t.accessToken);
        $('continue').href = url.toString();
        $('continue').hidden = false;
        $('admitted-detail').textContent = 'Taking you there…';
        show('admitted');
        location.replace(url.toString());
      } else {
        $('admitted-detail').textContent = `Your access is valid until ${new Date(t.expiresAt).toLocaleTimeString()}.`;
        show('admitted');
      }
      return;
    }
    $('title').textContent = t.state === 'expired' ? 'Your place expired' : t.state === 'completed' ? 'Thank you' : 'You left the queue';
    $('ended-detail').textContent = t.state === 'expired' ? 'You can join again at the back of the line.' : '';
    show('ended');
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  }

  async function poll() {
    try {
      const t = await api('GET', `/v1/rooms/${encodeURIComponent(roomId)}/tickets/${encodeURIComponent(ticketId)}`);
      error('');
      render(t);
      if (t.state === 'waiting') schedule(t.pollAfterMs);
    } catch (_e) {
      error('Connection trouble: retrying…');
      schedule(3000);
    }
  }

  async function join() {
    try {
      const t = await api('POST', `/v1/rooms/${encodeURIComponent(roomId)}/tickets`, entryBody());
      ticketId = t.ticketId;
      error('');
      render(t);
      if (t.state === 'waiting') schedule(t.pollAfterMs);
      else if (t.state === 'admitted' && !t.accessToken) poll();
    } catch (e) {
      if (e.status === 404) return noSuchRoom();
      error('Could not join the queue: retrying…');
      setTimeout(join, 3000);
    }
  }

  /** A link to a room that does not exist: say only that, nothing about a queue. */
  function noSuchRoom() {
    $('app').setAttribute('aria-busy', 'false');
    document.title = 'No such waiting room';
    $('title').textContent = 'This waiting room does not exist';
    $('lead').textContent = 'Check the link you followed, or go back to the site that sent you here.';
    $('lead').hidden = false;
    show(null);
    error('');
  }

  $('rejoin').addEventListener('click', () => {
    firstPosition = null;
    join();
  });
  join();
})();
