// The case file of a milestone: what it is, where its dispute stands, what is due next, its project, and what
// happened to it (case-history.js).
import { get, q } from './api.js';
import { el, facts, table } from './dom.js';
import { money, stateLabel, statePath, time } from './format.js';
import { redriveButton, retryDeliveryButton, ruleButton } from './actions.js';

const SETTLING = new Set(['funding', 'releasing', 'cancelling', 'resolving']);
const DEADLINE_WORDS = {
  RESPONSE_TIMEOUT: 'Response deadline',
  ARBITRATION_FEE_TIMEOUT: 'Arbitration fee deadline',
  FEEDBACK_WINDOW_CLOSED: 'Feedback window closes',
};
const deadlineName = (name) =>
  DEADLINE_WORDS[name] ??
  name
    .replace(/_/g, ' ')
    .toLowerCase()
    .replace(/^./, (c) => c.toUpperCase());
const partyWord = (party) => (party === 'employer' ? 'Employer' : party === 'freelancer' ? 'Freelancer' : party);
const partyOf = (view, party) => `${partyWord(party)} ${party === 'employer' ? view.employerId : view.freelancerId}`;

export function summary(view) {
  const fmt = (v) => money(v, view.currency, view.currencyExponent);
  return facts(
    [
      ['State', el('strong', { id: 'state-name' }, stateLabel(view.state))],
      ['Amount', fmt(view.amount)],
      ['Released', fmt(view.releasedAmount)],
      ['Remaining', fmt(view.remainingAmount)],
      view.heldAmount !== undefined && ['Held in escrow', fmt(view.heldAmount)],
      ['Employer', view.employerId],
      ['Freelancer', view.freelancerId],
      ['Project', el('a', { href: `#project/${encodeURIComponent(view.projectId)}` }, view.projectId)],
      view.flags?.releaseRequested && ['Release', 'requested by the freelancer'],
      view.flags?.cancelRequested && [
        'Cancel',
        `requested by the employer${view.cancelReason ? `: ${view.cancelReason}` : ''}`,
      ],
      view.lastSettlementFailure && ['Last settlement failure', String(view.lastSettlementFailure).replace(/_/g, ' ')],
      ['Machine', `${view.machine.name} version ${view.machine.version}, step ${view.seq}`],
      ['Created', time(view.createdAt)],
      ['Last change', time(view.updatedAt)],
      ['Can happen now', allowed(view)],
    ],
    { id: 'summary' },
  );
}

/** `availableEvents` (API v1.1: who may send each) when the server has it, else the plain `allowedEvents`. */
function allowed(view) {
  if (Array.isArray(view.availableEvents)) {
    if (view.availableEvents.length === 0) return 'nothing (the case is closed or settling)';
    return el(
      'ul',
      { class: 'inline-list' },
      view.availableEvents.map((e) => el('li', {}, el('code', {}, e.type), ` (${e.roles.join(', ')})`)),
    );
  }
  return view.allowedEvents.length
    ? el(
        'ul',
        { class: 'inline-list' },
        view.allowedEvents.map((e) => el('li', {}, el('code', {}, e))),
      )
    : 'nothing';
}

function offerCard(view, party) {
  const offer = view.dispute.offers?.[party];
  return el(
    'div',
    { class: `offer offer-${party}` },
    el('h4', {}, partyOf(view, party), view.dispute.filedBy === party ? el('span', { class: 'tag' }, 'filed') : null),
    offer === null || offer === undefined
      ? el('p', { class: 'muted' }, 'No offer yet')
      : el(
          'p',
          { class: 'offer-amount' },
          money(offer, view.currency, view.currencyExponent),
          el('span', { class: 'muted' }, ' to the freelancer'),
        ),
    el(
      'p',
      { class: 'muted' },
      view.dispute.feesPaid?.includes(party) ? 'Arbitration fee paid' : 'Arbitration fee not paid',
    ),
  );
}

/** The dispute as support needs it: who filed and why, both offers side by side, evidence, fees, outcome. */
export function disputeCard(view, history, ctx) {
  const d = view.dispute;
  if (!d) return el('p', { class: 'muted', id: 'dispute' }, 'No dispute on this milestone.');
  const fmt = (v) => money(v, view.currency, view.currencyExponent);
  // The current dispute's evidence is the last SUBMIT_EVIDENCE entries of the history (an earlier, withdrawn
  // dispute has its own before them). From version 3 the snapshot keeps each piece's size only: its text is read
  // from the history entry that submitted it.
  const pieces = d.evidence ?? [];
  const submitted = pieces.length ? history.filter((h) => h.type === 'SUBMIT_EVIDENCE').slice(-pieces.length) : [];
  const evidenceTimes = submitted.map((h) => h.at);
  const evidenceText = (e, i) => e.text ?? submitted[i]?.payload?.text ?? `(${e.bytes} bytes, text not loaded)`;
  const o = d.outcome;
  const stage = typeof view.state === 'object' ? stateLabel(view.state) : `Closed (${stateLabel(view.state)})`;
  return el(
    'div',
    { id: 'dispute' },
    facts([
      ['Stage', el('strong', {}, stage)],
      ['Filed by', partyOf(view, d.filedBy)],
      ['Reason', d.reason],
      [
        'Arbitration fee',
        view.rules?.arbitrationFee ? el('span', {}, fmt(view.rules.arbitrationFee), ' per party') : '—',
      ],
    ]),
    el('div', { class: 'offers' }, offerCard(view, 'employer'), offerCard(view, 'freelancer')),
    el('h4', {}, `Evidence (${d.evidence?.length ?? 0})`),
    d.evidence?.length
      ? el(
          'ol',
          { class: 'evidence' },
          d.evidence.map((e, i) =>
            el(
              'li',
              {},
              el(
                'span',
                { class: 'muted' },
                `${partyWord(e.by)}${evidenceTimes[i] ? `, ` : ''}`,
                evidenceTimes[i] ? time(evidenceTimes[i]) : null,
                ': ',
              ),
              evidenceText(e, i),
            ),
          ),
        )
      : el('p', { class: 'muted' }, 'None submitted.'),
    o
      ? el(
          'div',
          { class: 'outcome' },
          el('h4', {}, 'Outcome'),
          el(
            'p',
            {},
            `Decided by ${o.decidedBy.replace(/_/g, ' ')}: `,
            fmt(o.amountToFreelancer),
            ' to the freelancer, ',
            fmt(o.amountToEmployer),
            ' back to the employer.',
            o.feeRefunds?.length ? ` Fee refunded to: ${o.feeRefunds.join(', ')}.` : '',
            o.feeForfeits?.length ? ` Fee kept from: ${o.feeForfeits.join(', ')}.` : '',
          ),
        )
      : null,
    statePath(view.state) === 'disputed.arbitration'
      ? el('div', { class: 'card-actions' }, ruleButton(view, ctx))
      : null,
  );
}

/** Armed durable timers: what fires when, and who must act to avoid it (API v1.1 `deadlines`). */
export function deadlinesCard(view) {
  if (!Array.isArray(view.deadlines)) return el('p', { class: 'muted' }, 'This server does not report deadlines.');
  if (view.deadlines.length === 0) return el('p', { class: 'muted' }, 'No pending deadlines.');
  return el(
    'ul',
    { class: 'deadlines' },
    view.deadlines.map((d) =>
      el(
        'li',
        {},
        el('strong', {}, deadlineName(d.name)),
        ' ',
        time(d.dueAt, { countdown: true }),
        el(
          'div',
          { class: 'muted' },
          `due ${new Date(d.dueAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          d.party ? ` · ${partyOf(view, d.party)} must act` : '',
        ),
      ),
    ),
  );
}

/** The project and its milestones, this one marked: linked both ways. */
export async function projectCard(view) {
  const [project, siblings] = await Promise.all([
    get(`/v1/projects/${encodeURIComponent(view.projectId)}`),
    get(`/v1/milestones${q({ projectId: view.projectId, limit: 50 })}`),
  ]);
  return el(
    'div',
    {},
    el(
      'p',
      {},
      el('a', { href: `#project/${encodeURIComponent(project.id)}` }, project.title || project.id),
      ` — ${stateLabel(project.state)}`,
    ),
    el(
      'ul',
      { class: 'siblings' },
      siblings.items.map((m) =>
        el(
          'li',
          {},
          m.id === view.id
            ? el('span', { 'aria-current': 'page' }, el('strong', {}, m.id), ' (this milestone)')
            : el('a', { href: `#milestone/${encodeURIComponent(m.id)}` }, m.id),
          ' ',
          el('span', { class: 'muted' }, stateLabel(m.state), ' · '),
          money(m.amount, m.currency, m.currencyExponent),
        ),
      ),
    ),
    siblings.nextCursor ? el('p', { class: 'muted' }, 'More on the project page.') : null,
  );
}

/** Support actions this case offers now: re-drive while settling, retry for its dead webhook deliveries. */
export async function caseActions(view, ctx) {
  const parts = [];
  if (SETTLING.has(statePath(view.state)))
    parts.push(el('p', {}, `Settlement in flight since `, time(view.updatedAt), '. ', redriveButton(view, ctx)));
  const dead = await get(`/v1/console/deliveries${q({ status: 'dead', instanceId: view.id, limit: 20 })}`);
  if (dead.items.length)
    parts.push(
      table(
        'Dead webhook deliveries of this case',
        ['Event', 'URL', 'Attempts', 'Action'],
        dead.items.map((d) => [el('code', {}, d.type), d.url, String(d.attemptCount), retryDeliveryButton(d, ctx)]),
      ),
    );
  return parts;
}
