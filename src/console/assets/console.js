// Support console (issue #5). Plain DOM, no framework: one page, a handful of regions, each re-rendered from
// the JSON API with the bearer token the agent pasted. Every value from the API goes in as text, never HTML;
// the only markup inserted is the state diagram SVG this server renders from the machine definition.

const TOKEN_KEY = 'escrow-console-token';
// History pages the console reads for one instance (the API caps a page at LIST_LIMIT_MAX).
const HISTORY_PAGE = 200;
const HISTORY_MAX_ROWS = 5000;
// Slider moves arrive fast when a key is held; replay only the step the agent settles on.
const STEP_DEBOUNCE_MS = 120;

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-') || k.startsWith('aria-')) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

async function api(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token() ?? ''}`, accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok)
    throw new ApiFailure(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
  return body;
}

function say(message) {
  $('status').textContent = message;
}

function showToken() {
  const has = token() !== null;
  $('token-form').hidden = has;
  $('token-set').hidden = !has;
}

function fail(error) {
  if (error instanceof ApiFailure && error.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showToken();
    say('The token was refused. Paste a valid token.');
    $('token-input').focus();
    return;
  }
  say(`Error: ${error.message}`);
}

const show = (value) => (typeof value === 'string' ? value : JSON.stringify(value));

/** `{disputed: 'negotiation'}` → ['disputed', 'disputed.negotiation'], the ids the diagram uses. */
function activePaths(value, prefix = '') {
  if (typeof value === 'string') return [prefix + value];
  return Object.entries(value ?? {}).flatMap(([k, v]) => [
    prefix + k,
    ...(v === undefined ? [] : activePaths(v, `${prefix}${k}.`)),
  ]);
}

const plural = (machine) => `${machine}s`;

// ---- current instance --------------------------------------------------------------------------------------

const current = {
  machine: null,
  id: null,
  view: null,
  history: [],
  replay: null,
  diagramVersion: null,
  stepRequest: 0,
};
const diagrams = new Map();

async function openInstance(machine, id) {
  say(`Loading ${machine} ${id}…`);
  try {
    const base = `/v1/${plural(machine)}/${encodeURIComponent(id)}`;
    const [view, replay, history] = await Promise.all([api(base), api(`${base}/replay`), readHistory(base)]);
    Object.assign(current, { machine, id, view, replay, history: history.items });
    renderInstance(history.truncated);
    $('instance').hidden = false;
    if (location.hash !== `#${machine}/${id}`) history_replace(`#${machine}/${encodeURIComponent(id)}`);
    await showStep(view.seq);
    say(`Opened ${machine} ${id}.`);
    $('instance-heading').focus();
  } catch (error) {
    fail(error);
  }
}

function history_replace(hash) {
  window.history.replaceState(null, '', hash);
}

async function readHistory(base) {
  const items = [];
  let cursor = null;
  do {
    const page = await api(`${base}/history?limit=${HISTORY_PAGE}${cursor ? `&cursor=${cursor}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < HISTORY_MAX_ROWS);
  return { items, truncated: cursor !== null };
}

function renderInstance(truncated) {
  const { machine, view, replay } = current;
  $('instance-heading').textContent = `${machine === 'milestone' ? 'Milestone' : 'Project'} ${view.id}`;
  renderSummary(view);
  renderVerdict(replay);
  renderTimeline(truncated);
  renderDispute(view);
  const slider = $('step-slider');
  slider.max = String(view.seq);
  slider.value = String(view.seq);
}

function renderSummary(view) {
  const rows = [
    ['State', show(view.state)],
    ['Machine', `${view.machine.name} version ${view.machine.version}`],
    ['Seq', String(view.seq)],
  ];
  if (view.amount !== undefined) {
    rows.push(
      ['Amount', `${view.amount} ${view.currency}`],
      ['Released', view.releasedAmount],
      ['Remaining', view.remainingAmount],
    );
    rows.push(['Employer', view.employerId], ['Freelancer', view.freelancerId], ['Project', view.projectId]);
  } else {
    rows.push(['Title', view.title], ['Employer', view.employerId], ['Freelancer', view.freelancerId ?? '—']);
    rows.push(
      ['Pending milestones', String(view.milestones.pending)],
      ['Released total', `${view.milestones.releasedTotal} ${view.currency}`],
    );
  }
  rows.push(['Allowed events', view.allowedEvents.join(', ') || 'none'], ['Updated', view.updatedAt]);
  $('summary').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v ?? '—')]));
}

function renderVerdict(replay) {
  const banner = $('divergence-banner');
  const ok = $('verdict-ok');
  const d = replay.firstDivergence;
  if (replay.matchesStored && d === null) {
    banner.hidden = true;
    banner.replaceChildren();
    ok.hidden = false;
    ok.textContent = `Replay of ${replay.seq} events reproduces the stored snapshot.`;
    return;
  }
  ok.hidden = true;
  banner.hidden = false;
  const title = replay.matchesStored
    ? `History is inconsistent at seq ${d.seq}, although the final snapshot matches.`
    : `Replay diverges from the stored snapshot (first difference at seq ${d.seq}).`;
  // For a snapshot difference, the values at the differing path say it all; the whole snapshots fold away.
  const focus = d.path ? d.path.replace(/^value/, 'state') : null;
  const at = (obj) => (focus ? focus.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj) : obj);
  banner.replaceChildren(
    el('strong', {}, title),
    el('span', {}, d.message),
    el('div', {}, `Stored${focus ? ` ${focus}` : ''}: `, el('code', {}, show(at(d.expected)) ?? 'absent')),
    el('div', {}, `Replayed${focus ? ` ${focus}` : ''}: `, el('code', {}, show(at(d.actual)) ?? 'absent')),
    el(
      'details',
      {},
      el('summary', {}, 'Full stored and replayed values'),
      el(
        'pre',
        {},
        `Stored:\n${JSON.stringify(d.expected, null, 2)}\n\nReplayed:\n${JSON.stringify(d.actual, null, 2)}`,
      ),
    ),
  );
}

function moneyMoved(entry) {
  if (!entry.transfers || entry.transfers.length === 0) return '—';
  return entry.transfers.map((t) => `${t.kind ?? 'transfer'} ${t.amount}: ${t.from} → ${t.to}`).join('\n');
}

function renderTimeline(truncated) {
  const divergedSeq = current.replay.firstDivergence?.seq;
  const rows = current.history.map((h) => {
    const payload = Object.keys(h.payload ?? {}).length ? ` ${JSON.stringify(h.payload)}` : '';
    const row = el(
      'tr',
      { 'data-seq': String(h.seq) },
      el('td', {}, String(h.seq)),
      el('td', {}, el('time', { dateTime: h.at }, new Date(h.at).toLocaleString())),
      el('td', {}, h.actor),
      el('td', {}, h.role ?? ''),
      el('td', {}, el('code', {}, h.type), payload),
      el('td', {}, `${show(h.from)} → ${show(h.to)}`),
      el('td', { class: 'money' }, moneyMoved(h)),
    );
    if (h.seq === divergedSeq) row.classList.add('diverged');
    return row;
  });
  $('timeline').tBodies[0].replaceChildren(...rows);
  $('timeline-note').textContent = truncated ? `Showing the first ${current.history.length} events.` : '';
}

function renderDispute(view) {
  const panel = $('dispute-panel');
  panel.hidden = current.machine !== 'milestone';
  const box = $('dispute');
  if (!view.dispute) {
    box.replaceChildren(el('p', {}, 'No dispute on this milestone.'));
    return;
  }
  const entries = Object.entries(view.dispute).flatMap(([k, v]) => [
    el('dt', {}, k),
    el('dd', {}, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)),
  ]);
  box.replaceChildren(el('dl', { class: 'summary', 'aria-label': 'Dispute details' }, ...entries));
}

// ---- replay stepping and the diagram -----------------------------------------------------------------------

async function diagramFor(name, version) {
  const key = `${name}@${version}`;
  if (!diagrams.has(key)) diagrams.set(key, api(`/v1/console/diagrams/${name}/${version}`));
  return diagrams.get(key);
}

async function showStep(seq) {
  const request = ++current.stepRequest;
  const base = `/v1/${plural(current.machine)}/${encodeURIComponent(current.id)}`;
  const replay = await api(`${base}/replay?to=${seq}`);
  if (request !== current.stepRequest) return; // a later slider move superseded this one
  const { state, context, machineVersion } = replay.final;
  if (current.diagramVersion !== `${current.machine}@${machineVersion}`) {
    const diagram = await diagramFor(current.machine, machineVersion);
    if (request !== current.stepRequest) return;
    $('diagram').innerHTML = diagram.svg;
    current.diagramVersion = `${current.machine}@${machineVersion}`;
  }
  const active = new Set(activePaths(state));
  for (const node of $('diagram').querySelectorAll('[data-state]'))
    node.classList.toggle('current', active.has(node.dataset.state));
  $('diagram-caption').textContent =
    `Current state at step ${seq}: ${show(state)} (${current.machine} version ${machineVersion}).`;
  const entry = current.history.find((h) => h.seq === seq);
  const slider = $('step-slider');
  const label =
    seq === 0
      ? `Step 0 of ${slider.max}: initial state ${show(state)}`
      : `Step ${seq} of ${slider.max}: ${entry?.type ?? 'event'} by ${entry?.actor ?? '?'} → ${show(state)}`;
  $('step-label').textContent = label;
  slider.setAttribute('aria-valuetext', label);
  $('step-state').textContent = JSON.stringify({ seq, state, context }, null, 2);
  for (const row of $('timeline').tBodies[0].rows) {
    if (Number(row.dataset.seq) === seq) row.setAttribute('aria-current', 'step');
    else row.removeAttribute('aria-current');
  }
}

let stepTimer = null;
function stepTo(seq) {
  const slider = $('step-slider');
  const clamped = Math.max(0, Math.min(Number(slider.max), seq));
  slider.value = String(clamped);
  clearTimeout(stepTimer);
  stepTimer = setTimeout(() => showStep(clamped).catch(fail), STEP_DEBOUNCE_MS);
}

// ---- search ------------------------------------------------------------------------------------------------

async function search(term) {
  say(`Searching for ${term}…`);
  try {
    const { items, truncated } = await api(`/v1/console/search?q=${encodeURIComponent(term)}`);
    const list = $('results');
    list.replaceChildren(
      ...items.map((hit) => {
        const why = hit.match === 'id' ? 'id' : hit.match === 'project' ? `in project ${hit.projectId}` : 'party';
        const button = el(
          'button',
          { type: 'button' },
          `${hit.machine} ${hit.id} — ${hit.state}, seq ${hit.seq} (${why})`,
        );
        button.addEventListener('click', () => openInstance(hit.machine, hit.id));
        return el('li', {}, button);
      }),
    );
    say(
      items.length === 0 ? `Nothing found for ${term}.` : `${items.length}${truncated ? '+' : ''} found for ${term}.`,
    );
    if (items.length === 1 && items[0].match === 'id') await openInstance(items[0].machine, items[0].id);
  } catch (error) {
    fail(error);
  }
}

// ---- wiring ------------------------------------------------------------------------------------------------

function openFromHash() {
  const match = /^#(milestone|project)\/(.+)$/.exec(location.hash);
  if (match && token()) void openInstance(match[1], decodeURIComponent(match[2]));
}

function start() {
  showToken();
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $('token-input').value = '';
    showToken();
    say('Token saved for this tab.');
    $('search-input').focus();
    openFromHash();
  });
  $('forget-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showToken();
    say('Token forgotten.');
    $('token-input').focus();
  });
  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const term = $('search-input').value.trim();
    if (term) void search(term);
  });
  $('step-slider').addEventListener('input', (event) => stepTo(Number(event.target.value)));
  $('step-prev').addEventListener('click', () => stepTo(Number($('step-slider').value) - 1));
  $('step-next').addEventListener('click', () => stepTo(Number($('step-slider').value) + 1));
  window.addEventListener('hashchange', openFromHash);
  openFromHash();
}

start();
