// The console's home: the queues of work support staff look after, each with its count, pages and a way in.
import { get, q } from './api.js';
import { el, table } from './dom.js';
import { money, stateLabel, time } from './format.js';
import { redriveButton, retryDeliveryButton } from './actions.js';

const PAGE_SIZE = 10;
// "Every armed deadline": the list API keeps deadlines before a time; ten years covers every one we arm.
const FAR_FUTURE_MS = 10 * 365 * 86_400_000;
const farFuture = () => new Date(Date.now() + FAR_FUTURE_MS).toISOString();

const other = (party) => (party === 'employer' ? 'freelancer' : 'employer');
const partyId = (m, party) => (party === 'employer' ? m.employerId : m.freelancerId);
const who = (m, party) => (party ? `${party === 'employer' ? 'Employer' : 'Freelancer'} ${partyId(m, party)}` : '—');

function caseLink(m) {
  return el(
    'div',
    { class: 'case-cell' },
    el('a', { href: `#milestone/${encodeURIComponent(m.id)}` }, m.id),
    m.description ? el('span', { class: 'muted' }, m.description) : null,
  );
}
const amount = (m) => money(m.remainingAmount ?? m.amount, m.currency, m.currencyExponent);

/** The deadline that decides the case next (views carry `deadlines` from API v1.1 on; absent before). */
function timeLeft(m, name) {
  if (!Array.isArray(m.deadlines))
    return el('span', { class: 'muted', title: 'This server reports no deadlines' }, '—');
  const d = m.deadlines.find((x) => !name || x.name === name) ?? m.deadlines[0];
  return d ? time(d.dueAt, { countdown: true }) : el('span', { class: 'muted' }, 'none armed');
}

const offers = (m) =>
  el(
    'span',
    {},
    'Employer ',
    money(m.dispute?.offers?.employer ?? null, m.currency, m.currencyExponent),
    ' · Freelancer ',
    money(m.dispute?.offers?.freelancer ?? null, m.currency, m.currencyExponent),
  );

export const QUEUES = [
  {
    id: 'awaiting',
    title: 'Disputes awaiting a response',
    hint: 'Soonest deadline first. If the other side does not respond in time, the filer’s offer applies.',
    path: (cursor) =>
      `/v1/milestones${q({ disputeStage: 'awaiting_response', deadlineBefore: farFuture(), limit: PAGE_SIZE, cursor })}`,
    count: (s) => s.milestones.byState['disputed.awaiting_response'] ?? 0,
    headers: ['Milestone', 'Amount', 'Filed by', 'Must respond', 'Time left'],
    row: (m) => [
      caseLink(m),
      amount(m),
      who(m, m.dispute?.filedBy),
      who(m, other(m.dispute?.filedBy)),
      timeLeft(m, 'RESPONSE_TIMEOUT'),
    ],
  },
  {
    id: 'arbitration',
    title: 'Arbitrations to rule',
    hint: 'Both fees paid: a support ruling decides the split.',
    path: (cursor) => `/v1/milestones${q({ state: 'disputed.arbitration', limit: PAGE_SIZE, cursor })}`,
    count: (s) => s.milestones.byState['disputed.arbitration'] ?? 0,
    headers: ['Milestone', 'Amount in dispute', 'Last offers (to the freelancer)', 'Evidence', 'Waiting since'],
    row: (m) => [caseLink(m), amount(m), offers(m), `${m.dispute?.evidence?.length ?? 0} item(s)`, time(m.updatedAt)],
  },
  {
    id: 'fees',
    title: 'Arbitration fees due',
    hint: 'One side paid; if the other does not pay in time, the payer wins.',
    path: (cursor) =>
      `/v1/milestones${q({ disputeStage: 'arbitration_pending', deadlineBefore: farFuture(), limit: PAGE_SIZE, cursor })}`,
    count: (s) => s.milestones.byState['disputed.arbitration_pending'] ?? 0,
    headers: ['Milestone', 'Amount', 'Paid by', 'Must pay', 'Time left'],
    row: (m) => [
      caseLink(m),
      amount(m),
      who(m, m.dispute?.feesPaid?.[0]),
      who(m, other(m.dispute?.feesPaid?.[0])),
      timeLeft(m, 'ARBITRATION_FEE_TIMEOUT'),
    ],
  },
  {
    id: 'stuck',
    title: 'Stuck settlements',
    hint: 'Money in flight for longer than the stuck threshold: re-drive puts the settlement job back on its queue.',
    path: (cursor) => `/v1/milestones${q({ stuck: 'true', limit: PAGE_SIZE, cursor })}`,
    count: (s) => s.milestones.stuck ?? 0,
    headers: ['Milestone', 'State', 'Amount', 'Settling since', 'Action'],
    row: (m, ctx) => [caseLink(m), stateLabel(m.state), amount(m), time(m.updatedAt), redriveButton(m, ctx)],
  },
  {
    id: 'failed',
    title: 'Failed fundings',
    hint: 'The employer’s balance did not cover the milestone: they may deposit and fund again, or abandon it.',
    path: (cursor) => `/v1/milestones${q({ state: 'funding_failed', limit: PAGE_SIZE, cursor })}`,
    count: (s) => s.milestones.byState.funding_failed ?? 0,
    headers: ['Milestone', 'Amount', 'Employer', 'Reason', 'Since'],
    row: (m) => [
      caseLink(m),
      money(m.amount, m.currency, m.currencyExponent),
      m.employerId,
      String(m.lastSettlementFailure ?? '—').replace(/_/g, ' '),
      time(m.updatedAt),
    ],
  },
  {
    id: 'dead',
    title: 'Dead webhook deliveries',
    hint: 'Every attempt failed. Retry sends the same document again, with a fresh set of attempts.',
    path: (cursor) => `/v1/console/deliveries${q({ status: 'dead', limit: PAGE_SIZE, cursor })}`,
    count: (s) => s.webhookDeliveries?.dead ?? 0,
    headers: ['Delivery', 'Case', 'Last failure', 'Died', 'Action'],
    row: (d, ctx) => [
      el('div', { class: 'case-cell' }, el('code', {}, d.type), el('span', { class: 'muted' }, d.url)),
      el('a', { href: `#${d.machine}/${encodeURIComponent(d.instanceId)}` }, d.instanceId),
      `${d.attemptCount} attempt(s); last: ${d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : (d.lastError ?? 'no answer')}`,
      time(d.diedAt),
      retryDeliveryButton(d, ctx),
    ],
  },
];

/** One queue's card; its pages are fetched on demand and replace the table in place. */
function queueCard(queue, stats, ctx) {
  const count = queue.count(stats);
  const headingId = `queue-${queue.id}-heading`;
  const body = el('div', { class: 'queue-body' });
  const card = el(
    'section',
    { class: `card queue${count === 0 ? ' queue-empty' : ''}`, 'aria-labelledby': headingId, 'data-queue': queue.id },
    el(
      'h2',
      { id: headingId },
      queue.title,
      ' ',
      el('span', { class: 'count', 'aria-label': `${count} waiting` }, String(count)),
    ),
    el('p', { class: 'hint' }, queue.hint),
    body,
  );
  const trail = [];
  const load = async (cursor) => {
    body.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
    const page = await get(queue.path(cursor));
    if (page.items.length === 0) {
      body.replaceChildren(el('p', { class: 'muted' }, 'Nothing waiting.'));
      return;
    }
    const pager = el('div', { class: 'pager' });
    if (trail.length > 0)
      pager.append(
        el('button', { type: 'button', onclick: () => ((trail.length = 0), void load(null)) }, 'First page'),
      );
    if (page.nextCursor)
      pager.append(
        el('button', { type: 'button', onclick: () => (trail.push(cursor), void load(page.nextCursor)) }, 'Next page'),
      );
    body.replaceChildren(
      table(
        queue.title,
        queue.headers,
        page.items.map((item) => queue.row(item, ctx)),
        { class: 'queue-table' },
      ),
      pager,
    );
  };
  ctx.reloads.push(() => load(null));
  // Every queue reads its first page, even at a count of 0: on a large database the counts may be seconds old.
  load(null).catch(ctx.fail);
  return card;
}

/** Renders the queues page into `view`. `ctx`: {me, fail, refresh} from the console. */
export async function renderQueues(view, ctx) {
  const stats = await get('/v1/stats');
  const reloads = [];
  const context = { ...ctx, reloads };
  view.replaceChildren(
    el(
      'div',
      { class: 'page-head' },
      el('h2', { id: 'page-heading', tabindex: '-1' }, 'Queues'),
      el(
        'p',
        { class: 'muted' },
        'Counted ',
        time(stats.asOf),
        '. ',
        el('button', { type: 'button', onclick: () => ctx.refresh() }, 'Refresh'),
      ),
    ),
    el(
      'div',
      { class: 'queues' },
      QUEUES.map((queue) => queueCard(queue, stats, context)),
    ),
  );
  return stats;
}
