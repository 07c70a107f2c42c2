// What happened to a case: the timeline (history and support actions, with who did each), where the money went,
// and the replay stepper with the state diagram.
import { get, q } from './api.js';
import { el, facts, table } from './dom.js';
import { accountLabel, activePaths, money, stateLabel, statePath, time } from './format.js';
import { drawDiagram, laidOut } from './diagram.js';

// History pages the console reads for one case (the API caps a page at LIST_LIMIT_MAX).
const HISTORY_PAGE = 200;
const HISTORY_MAX_ROWS = 5000;
// Slider moves arrive fast when a key is held; replay only the step the agent settles on.
const STEP_DEBOUNCE_MS = 120;
const MONEY_FIELDS = new Set(['amount', 'offer', 'amountToFreelancer']);

export async function readHistory(base) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(`${base}/history${q({ limit: HISTORY_PAGE, cursor })}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < HISTORY_MAX_ROWS);
  return { items, truncated: cursor !== null };
}

const roleWord = (role) => (role && role !== 'system' ? role : null);

/** Who caused an entry: the user and role, and the API client whose request carried it (when the API says). */
function by(h) {
  const parts = [el('span', {}, h.actor)];
  if (roleWord(h.role)) parts.push(el('span', { class: 'muted' }, ` (${h.role})`));
  if (h.client) parts.push(el('span', { class: 'client' }, `via ${h.client.name}`));
  else if (h.client === null)
    parts.push(el('span', { class: 'client muted' }, h.actor === 'system' ? 'timer or settlement' : 'no client'));
  return el('div', { class: 'by' }, parts);
}

/** An event's payload as `name: value` lines, money formatted; nothing when it has none. */
/** A payload value in words: an object (a payout's destination) as its own `name value` pairs, never JSON. */
function plainValue(v) {
  if (v !== null && typeof v === 'object' && !Array.isArray(v))
    return Object.entries(v)
      .map(([name, inner]) => `${name} ${plainValue(inner)}`)
      .join(', ');
  return Array.isArray(v) ? v.map(plainValue).join(', ') : String(v);
}

function payloadLines(payload, view) {
  const entries = Object.entries(payload ?? {});
  if (entries.length === 0) return null;
  return el(
    'ul',
    { class: 'payload' },
    entries.map(([k, v]) =>
      el(
        'li',
        {},
        el('span', { class: 'muted' }, `${k}: `),
        MONEY_FIELDS.has(k) ? money(v, view.currency, view.currencyExponent) : plainValue(v),
      ),
    ),
  );
}

const KIND_WORDS = {
  fund: 'Funded',
  release: 'Released',
  refund: 'Returned to the employer',
  platform_fee: 'Platform fee',
  arbitration_fee_hold: 'Arbitration fee held',
  arbitration_fee_refund: 'Arbitration fee refunded',
  arbitration_fee_forfeit: 'Arbitration fee kept',
  payout_hold: 'Held for the payout',
  payout: 'Paid out',
  payout_return: 'Returned from the payout hold',
  adjustment: 'Adjusted',
};
const kindWord = (kind) => KIND_WORDS[kind] ?? (kind ? kind.replace(/_/g, ' ') : 'Transfer');

function moneyMoved(h, view) {
  if (!h.transfers?.length) return el('span', { class: 'muted' }, '—');
  return el(
    'ul',
    { class: 'transfers' },
    h.transfers.map((t) =>
      el(
        'li',
        { title: `${t.from} → ${t.to}` },
        `${kindWord(t.kind)} `,
        money(t.amount, view.currency, view.currencyExponent),
      ),
    ),
  );
}

const ACTION_WORDS = { redrive: 'Re-drove the settlement', retry_delivery: 'Retried a dead webhook delivery' };

/** History entries and support actions, in time order, one table. */
export function timeline(ctx) {
  const { view, history, actions } = ctx;
  const rows = [
    ...history.map((h) => ({ at: h.at, seq: h.seq, h })),
    ...actions.map((a, i) => ({ at: a.at, seq: Infinity, i, a })),
  ].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : x.seq - y.seq));
  return table(
    'Timeline: every event of this case and every support action on it, oldest first',
    ['#', 'When', 'What', 'By', 'State', 'Money'],
    rows.map(({ h, a }) =>
      h
        ? {
            attrs: { 'data-seq': String(h.seq), id: `step-${h.seq}` },
            cells: [
              String(h.seq),
              time(h.at),
              el('div', {}, el('code', {}, h.type), payloadLines(h.payload, view)),
              by(h),
              el('span', {}, stateLabel(h.from), ' → ', el('strong', {}, stateLabel(h.to))),
              moneyMoved(h, view),
            ],
          }
        : {
            attrs: { class: 'support-action' },
            cells: [
              '',
              time(a.at),
              el(
                'div',
                {},
                el('strong', {}, ACTION_WORDS[a.action] ?? a.action),
                a.subject ? el('span', { class: 'muted' }, ` ${a.subject}`) : null,
              ),
              el('div', { class: 'by' }, el('span', { class: 'client' }, `support via ${a.client.name}`)),
              el('span', { class: 'muted' }, a.outcome.replace(/_/g, ' ')),
              '',
            ],
          },
    ),
    { class: 'timeline' },
  );
}

/** Every ledger transfer of the case, with its accounts and the history entry that caused it. */
export function moneyTrail(ctx) {
  const { view, history } = ctx;
  const rows = history.flatMap((h) =>
    (h.transfers ?? []).map((t) => [
      time(h.at),
      kindWord(t.kind),
      money(t.amount, view.currency, view.currencyExponent),
      el('span', { title: t.from }, accountLabel(t.from, view)),
      el('span', { title: t.to }, accountLabel(t.to, view)),
      el('a', { href: `#step-${h.seq}`, onclick: (e) => jumpTo(e, h.seq) }, `#${h.seq} `, el('code', {}, h.type)),
    ]),
  );
  if (rows.length === 0) return el('p', { class: 'muted' }, 'No money has moved for this case.');
  return table(
    'Where the money went: every ledger transfer of this case',
    ['When', 'What', 'Amount', 'From', 'To', 'Caused by'],
    rows,
    { class: 'money-trail' },
  );
}

function jumpTo(event, seq) {
  event.preventDefault();
  const row = document.getElementById(`step-${seq}`);
  row?.scrollIntoView({ block: 'center' });
  row?.classList.add('flash');
  setTimeout(() => row?.classList.remove('flash'), 1500);
}

/** Context at a replay step as `field: value` lines (money fields formatted), not as JSON. */
function contextFacts(context, view) {
  const lines = [];
  const walk = (value, prefix) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix ? `${prefix}.${k}` : k);
      return;
    }
    const key = prefix.split('.').pop();
    const shown = Array.isArray(value)
      ? value.map((v) => (typeof v === 'object' ? Object.values(v).join(': ') : String(v))).join('; ') || 'none'
      : value === null
        ? '—'
        : typeof value === 'boolean'
          ? value
            ? 'yes'
            : 'no'
          : /amount|offer|fee|pending|released/i.test(key) && /^\d+$/.test(String(value))
            ? money(String(value), view.currency, view.currencyExponent)
            : String(value);
    lines.push([prefix, shown]);
  };
  walk(context, '');
  return facts(lines, { class: 'facts context' });
}

/** The replay stepper and the diagram of the case's machine version. */
export function replayPanel(ctx) {
  const { machine, view } = ctx;
  const slider = el('input', {
    type: 'range',
    id: 'step-slider',
    min: '0',
    max: String(view.seq),
    value: String(view.seq),
    step: '1',
  });
  const label = el('output', { id: 'step-label', for: 'step-slider', 'aria-live': 'polite' });
  const host = el('div', { id: 'diagram', class: 'diagram' }, el('p', { class: 'muted' }, 'Laying out the diagram…'));
  const caption = el('figcaption', { id: 'diagram-caption' });
  const context = el('div', { id: 'step-state' });
  let diagramView = null;
  let shownVersion = null;
  let request = 0;
  let timer = null;

  const showStep = async (seq) => {
    const mine = ++request;
    const replay = await get(`/v1/${machine}s/${encodeURIComponent(view.id)}/replay?to=${seq}`);
    if (mine !== request) return;
    const { state, context: ctxAt, machineVersion } = replay.final;
    if (shownVersion !== machineVersion) {
      const diagram = await get(`/v1/console/diagrams/${machine}/${machineVersion}`);
      const laid = await laidOut(diagram);
      if (mine !== request) return;
      diagramView = drawDiagram(host, diagram, laid, `${machine} version ${machineVersion} state diagram`);
      shownVersion = machineVersion;
      ctx.diagramView = diagramView;
    }
    const steps = ctx.history
      .filter((h) => h.seq <= seq)
      .map((h) => ({ type: h.type, fromPaths: activePaths(h.from), toPaths: activePaths(h.to) }));
    diagramView.highlight(activePaths(state), steps);
    if (!diagramView.view) diagramView.fitWidth();
    else diagramView.centreOn(statePath(state));
    const entry = ctx.history.find((h) => h.seq === seq);
    const text =
      seq === 0
        ? `Step 0 of ${view.seq}: initial state ${stateLabel(state)}`
        : `Step ${seq} of ${view.seq}: ${entry?.type ?? 'event'} by ${entry?.actor ?? '?'} → ${stateLabel(state)}`;
    label.textContent = text;
    slider.setAttribute('aria-valuetext', text);
    caption.textContent = `Current state at step ${seq}: ${stateLabel(state)} (${machine} version ${machineVersion}). The path the case took is drawn in blue.`;
    context.replaceChildren(contextFacts(ctxAt, view));
    for (const row of document.querySelectorAll('.timeline tr[data-seq]')) {
      if (Number(row.dataset.seq) === seq) row.setAttribute('aria-current', 'step');
      else row.removeAttribute('aria-current');
    }
  };
  const stepTo = (seq) => {
    const clamped = Math.max(0, Math.min(view.seq, seq));
    slider.value = String(clamped);
    clearTimeout(timer);
    timer = setTimeout(() => showStep(clamped).catch(ctx.fail), STEP_DEBOUNCE_MS);
  };
  slider.addEventListener('input', () => stepTo(Number(slider.value)));
  const zoomButtons = el(
    'div',
    { class: 'zoom', role: 'group', 'aria-label': 'Diagram view' },
    el('button', { type: 'button', onclick: () => diagramView?.zoom(1.25) }, 'Zoom in'),
    el('button', { type: 'button', onclick: () => diagramView?.zoom(1 / 1.25) }, 'Zoom out'),
    el('button', { type: 'button', onclick: () => diagramView?.fitWidth() }, 'Fit width'),
    el('button', { type: 'button', onclick: () => diagramView?.fitAll() }, 'Whole diagram'),
  );
  const panel = el(
    'section',
    { class: 'card replay', 'aria-labelledby': 'replay-heading' },
    el('h3', { id: 'replay-heading' }, 'Replay and state diagram'),
    el(
      'div',
      { class: 'stepper' },
      el(
        'button',
        { type: 'button', id: 'step-prev', onclick: () => stepTo(Number(slider.value) - 1) },
        'Previous step',
      ),
      el('label', { for: 'step-slider' }, 'Step'),
      slider,
      el('button', { type: 'button', id: 'step-next', onclick: () => stepTo(Number(slider.value) + 1) }, 'Next step'),
      label,
    ),
    zoomButtons,
    el('figure', { class: 'diagram-figure' }, host, caption),
    el('details', { class: 'step-context' }, el('summary', {}, 'Recorded data at this step'), context),
  );
  return { panel, start: () => showStep(view.seq) };
}

/** The replay verdict: a quiet line when replay reproduces the stored snapshot, an alert when it does not. */
export function verdict(replay) {
  const d = replay.firstDivergence;
  if (replay.matchesStored && d === null)
    return el(
      'p',
      { id: 'verdict-ok', class: 'verdict-ok' },
      `Replay of ${replay.seq} events reproduces the stored snapshot.`,
    );
  const title = replay.matchesStored
    ? `History is inconsistent at seq ${d.seq}, although the final snapshot matches.`
    : `Replay diverges from the stored snapshot (first difference at seq ${d.seq}).`;
  const focus = d.path ? d.path.replace(/^value/, 'state') : null;
  const at = (obj) => (focus ? focus.split('.').reduce((o, k) => (o == null ? undefined : o[k]), obj) : obj);
  const show = (v) => (v === undefined ? 'absent' : typeof v === 'string' ? v : JSON.stringify(v));
  return el(
    'div',
    { id: 'divergence-banner', class: 'banner banner-error', role: 'alert' },
    el('strong', {}, title),
    el('span', {}, d.message),
    el('div', {}, `Stored${focus ? ` ${focus}` : ''}: `, el('code', {}, show(at(d.expected)))),
    el('div', {}, `Replayed${focus ? ` ${focus}` : ''}: `, el('code', {}, show(at(d.actual)))),
    el(
      'details',
      {},
      el('summary', {}, 'Full stored and replayed values (for engineers)'),
      el(
        'pre',
        {},
        `Stored:\n${JSON.stringify(d.expected, null, 2)}\n\nReplayed:\n${JSON.stringify(d.actual, null, 2)}`,
      ),
    ),
  );
}
