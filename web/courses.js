// The student's registration page: the catalogue with its fill, a cart of adds, drops and swaps,
// one submit, the live status of each action (polling as the server says), and the schedule.
// The student is whoever the access token of the term's waiting room names: the room sends them
// here with ?fg_token=…, kept for the tab's life and taken out of the address bar.
(() => {
  const termId = decodeURIComponent(location.pathname.split('/')[2] || '');
  const $ = (id) => document.getElementById(id);
  const base = `/v1/terms/${encodeURIComponent(termId)}`;

  const REASONS = {
    full: 'the course is full',
    credit_limit: 'over your credit limit',
    time_clash: 'clashes with a course you have',
    requires: 'a required course is missing',
    linked: 'its linked course (lecture or lab) must be taken with it',
    hold: 'a hold on your record',
    not_open: 'your registration window is not open yet',
    closed: 'registration is closed',
    not_enrolled: 'you are not enrolled in it',
    all_or_nothing: 'not applied: another change of this request was not',
  };

  function token() {
    const params = new URLSearchParams(location.search);
    const given = params.get('fg_token');
    if (given) {
      sessionStorage.setItem(`fg_token:${termId}`, given);
      params.delete('fg_token');
      const rest = params.toString();
      history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}`);
      return given;
    }
    return sessionStorage.getItem(`fg_token:${termId}`);
  }

  /** The student the token names (its `sub`); the server checks the token itself. */
  function studentOf(jwt) {
    try {
      const payload = jwt.split('.')[1].replaceAll('-', '+').replaceAll('_', '/');
      const bytes = Uint8Array.from(atob(payload), (ch) => ch.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes)).sub;
    } catch {
      return null;
    }
  }

  const accessToken = token();
  const studentId = accessToken ? studentOf(accessToken) : null;
  let catalogue = new Map();
  let schedule = null;
  let cart = [];
  let pollTimer = null;

  function error(message) {
    $('error').textContent = message || '';
    $('error').hidden = !message;
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok)
      throw Object.assign(new Error(data.error?.message || `HTTP ${res.status}`), { status: res.status, code: data.error?.code });
    return data;
  }

  const meets = (c) => (c.meetings || []).map((m) => `${m.day} ${m.start}–${m.end}`).join(', ');
  const describe = (a) => ('add' in a ? `Add ${a.add}` : 'drop' in a ? `Drop ${a.drop}` : `Swap ${a.swap.drop} for ${a.swap.add}`);
  const cell = (text, className) => {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };
  const button = (label, onClick, disabled = false) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.disabled = disabled;
    b.addEventListener('click', onClick);
    return b;
  };
  const enrolledIn = (id) => !!schedule?.enrolled.some((c) => c.courseId === id);
  const inCart = (id) => cart.some((a) => a.add === id || a.drop === id || a.swap?.add === id || a.swap?.drop === id);

  function renderCatalogue() {
    const filter = $('filter').value.trim().toLowerCase();
    const body = $('catalogue');
    body.replaceChildren();
    for (const c of catalogue.values()) {
      if (filter && !`${c.id} ${c.title}`.toLowerCase().includes(filter)) continue;
      const tr = document.createElement('tr');
      tr.dataset.course = c.id;
      const full = c.enrolled >= c.capacity;
      tr.append(
        cell(`${c.id} · ${c.title}`),
        cell(String(c.credits)),
        cell(meets(c)),
        cell(`${c.enrolled}/${c.capacity}${c.waitlist ? ` · waitlist ${c.waitlisted}/${c.waitlist}` : ''}`, full ? 'full' : ''),
      );
      const action = document.createElement('td');
      if (enrolledIn(c.id)) action.textContent = 'enrolled';
      else if (schedule?.waitlists.some((w) => w.courseId === c.id)) action.textContent = 'waitlisted';
      else action.append(button('Add', () => addToCart({ add: c.id }), inCart(c.id)));
      tr.append(action);
      body.append(tr);
    }
  }

  function renderCart() {
    const list = $('cart');
    list.replaceChildren();
    cart.forEach((a, i) => {
      const li = document.createElement('li');
      li.append(
        `${describe(a)} `,
        button('Remove', () => {
          cart.splice(i, 1);
          renderAll();
        }),
      );
      list.append(li);
    });
    $('cart-empty').hidden = cart.length > 0;
    $('submit').disabled = cart.length === 0 || !studentId;
  }

  function renderSchedule() {
    if (!schedule) return;
    $('credits').textContent = `${schedule.credits} of at most ${schedule.maxCredits} credits`;
    const body = $('schedule');
    body.replaceChildren();
    for (const c of schedule.enrolled) {
      const tr = document.createElement('tr');
      tr.dataset.course = c.courseId;
      const action = document.createElement('td');
      action.append(
        button('Drop', () => addToCart({ drop: c.courseId }), inCart(c.courseId)),
        ' ',
      );
      // A swap drops this course only if the other one enrolls.
      const other = document.createElement('select');
      other.setAttribute('aria-label', `Swap ${c.courseId} for`);
      other.append(new Option('swap for…', ''));
      for (const id of catalogue.keys()) if (!enrolledIn(id)) other.append(new Option(id, id));
      other.disabled = inCart(c.courseId);
      other.addEventListener('change', () => other.value && addToCart({ swap: { drop: c.courseId, add: other.value } }));
      action.append(other);
      tr.append(
        cell(`${c.courseId} · ${c.title}${c.promoted ? ' (from the waitlist)' : ''}`),
        cell(String(c.credits)),
        cell(meets(c)),
        action,
      );
      body.append(tr);
    }
    const waits = $('waitlists');
    waits.replaceChildren();
    for (const w of schedule.waitlists) {
      const li = document.createElement('li');
      li.dataset.course = w.courseId;
      li.textContent = `${w.courseId} · ${w.title}: place ${w.position}${w.skippedBecause ? ` (a seat went to someone behind you: ${REASONS[w.skippedBecause] || w.skippedBecause})` : ''} `;
      li.append(button('Leave', () => addToCart({ drop: w.courseId }), inCart(w.courseId)));
      waits.append(li);
    }
    if (schedule.waitlists.length === 0) waits.textContent = 'None.';
  }

  function renderAll() {
    renderCart();
    renderCatalogue();
    renderSchedule();
  }

  function addToCart(action) {
    cart.push(action);
    renderAll();
  }

  function renderRequest(actions, status) {
    $('request').hidden = false;
    const list = $('request-actions');
    list.replaceChildren();
    actions.forEach((a, i) => {
      const li = document.createElement('li');
      const result = status.status === 'decided' ? status.results[i] : null;
      const outcome = result ? result.outcome : 'queued';
      const span = document.createElement('span');
      span.className = `outcome-${outcome}`;
      span.dataset.outcome = outcome;
      if (!result) span.textContent = 'waiting for its turn';
      else if (outcome === 'rejected') span.textContent = `not done: ${REASONS[result.reason] || result.reason}`;
      else if (outcome === 'waitlisted') span.textContent = `waitlisted, place ${result.waitlistPosition}`;
      else span.textContent = outcome;
      li.append(`${describe(a)}: `, span);
      list.append(li);
    });
    $('request-state').textContent =
      status.status === 'decided'
        ? 'Decided.'
        : `Queued: ${status.position === 1 ? 'next in line' : `${status.position.toLocaleString()} requests ahead of yours, counting yours`}.`;
  }

  async function poll(requestId, actions) {
    try {
      const status = await api('GET', `${base}/requests/${encodeURIComponent(requestId)}`);
      error('');
      renderRequest(actions, status);
      if (status.status === 'decided') {
        await loadSchedule();
        await loadCatalogue();
        // the catalogue's fill is cached for a second on the way: read it again once that passed
        setTimeout(() => loadCatalogue().catch(() => {}), 1200);
        $('submit').disabled = cart.length === 0;
        return;
      }
      pollTimer = setTimeout(() => poll(requestId, actions), status.pollAfterMs);
    } catch (_e) {
      error('Connection trouble: retrying…');
      pollTimer = setTimeout(() => poll(requestId, actions), 2000);
    }
  }

  async function submit() {
    const actions = cart;
    $('submit').disabled = true;
    try {
      const queued = await api('POST', `${base}/requests`, { actions, allOrNothing: $('all-or-nothing').checked });
      cart = [];
      error('');
      renderAll();
      renderRequest(actions, queued);
      clearTimeout(pollTimer);
      pollTimer = setTimeout(() => poll(queued.requestId, actions), queued.pollAfterMs);
    } catch (e) {
      $('submit').disabled = false;
      if (e.code === 'request_not_durable') error('Your request could not be confirmed yet. Check your schedule before sending it again.');
      else if (e.status === 403) error('Your access has expired: go back through the waiting room.');
      else error(`Not sent: ${e.message}`);
    }
  }

  async function loadCatalogue() {
    const { courses } = await api('GET', `${base}/courses`);
    catalogue = new Map(courses.map((c) => [c.id, c]));
    renderCatalogue();
  }

  async function loadSchedule() {
    schedule = await api('GET', `${base}/students/${encodeURIComponent(studentId)}`);
    renderAll();
  }

  $('submit').addEventListener('click', submit);
  $('filter').addEventListener('input', renderCatalogue);

  (async () => {
    if (!studentId) {
      error('Open this page from the waiting room: it gives you your access.');
    } else {
      $('who').textContent = `Registering as ${studentId}`;
    }
    try {
      await loadCatalogue();
      if (studentId) await loadSchedule();
    } catch (e) {
      error(e.status === 404 ? 'This term does not exist.' : `Could not load: ${e.message}`);
    }
    $('app').setAttribute('aria-busy', 'false');
    renderAll();
  })();
})();
