// A case page (milestone, project, payout or adjustment): heading and summary, the milestone's dispute, deadlines,
// project and support actions, then the timeline, where the money went, and the replay with its diagram.
import { get, q } from './api.js';
import { el } from './dom.js';
import { machineWord, stateLabel } from './format.js';
import { moneyTrail, readHistory, replayPanel, timeline, verdict } from './case-history.js';
import { caseActions, deadlinesCard, disputeCard, projectCard, summary } from './case-milestone.js';
import { ownedSummary } from './case-owned.js';
import { projectMilestones, projectSummary } from './case-project.js';
import { canSupport } from './actions.js';

const card = (id, title, ...body) =>
  el(
    'section',
    { class: 'card', id: `${id}-card`, 'aria-labelledby': `${id}-heading` },
    el('h3', { id: `${id}-heading` }, title),
    ...body,
  );

async function milestoneCards(view, history, ctx) {
  const [project, actions] = await Promise.all([projectCard(view), canSupport(ctx) ? caseActions(view, ctx) : []]);
  // Two stacks, so a short card never leaves a hole beside a long one: the case on the left, what is being
  // decided (the dispute, and what support can do) on the right.
  return [
    el(
      'div',
      { class: 'stack' },
      card('summary', 'Summary', summary(view)),
      card('deadlines', 'Pending deadlines', deadlinesCard(view)),
      card('project', 'Project and its milestones', project),
    ),
    el(
      'div',
      { class: 'stack' },
      card('dispute', 'Dispute', disputeCard(view, history, ctx)),
      actions.length ? card('support', 'Support actions', ...actions) : null,
    ),
  ];
}

export async function renderCase(host, machine, id, ctx, superseded) {
  ctx.say(`Loading ${machine} ${id}…`);
  const base = `/v1/${machine}s/${encodeURIComponent(id)}`;
  const [view, replay, history, actions] = await Promise.all([
    get(base),
    get(`${base}/replay`),
    readHistory(base),
    get(`/v1/console/actions${q({ instanceId: id })}`),
  ]);
  const caseCtx = { ...ctx, machine, view, history: history.items, actions: actions.items };
  const cards =
    machine === 'milestone'
      ? await milestoneCards(view, history.items, ctx)
      : machine === 'project'
        ? [
            el('div', { class: 'stack' }, card('summary', 'Summary', projectSummary(view))),
            el(
              'div',
              { class: 'stack' },
              card('milestones', 'Milestones of this project', projectMilestones(view, ctx.fail)),
            ),
          ]
        : [el('div', { class: 'stack' }, card('summary', 'Summary', ownedSummary(view, machine, history.items)))];
  if (superseded()) return;
  const replayView = replayPanel(caseCtx);
  host.replaceChildren(
    el(
      'div',
      { class: 'page-head' },
      el('h2', { id: 'page-heading', tabindex: '-1' }, `${machineWord(machine)} ${view.id}`),
      el(
        'p',
        { class: 'state-line' },
        el('span', { class: 'state-badge' }, stateLabel(view.state)),
        ` ${view.description ?? view.title ?? view.reason ?? ''}`,
      ),
    ),
    verdict(replay),
    el('div', { class: 'case-grid' }, cards),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'timeline-heading' },
      el('h3', { id: 'timeline-heading' }, 'Timeline'),
      timeline(caseCtx),
      history.truncated ? el('p', { class: 'muted' }, `Showing the first ${history.items.length} events.`) : null,
    ),
    el(
      'section',
      { class: 'card', 'aria-labelledby': 'money-heading' },
      el('h3', { id: 'money-heading' }, 'Where the money went'),
      moneyTrail(caseCtx),
    ),
    replayView.panel,
  );
  ctx.say(`Opened ${machine} ${view.id}.`);
  await replayView.start();
}
