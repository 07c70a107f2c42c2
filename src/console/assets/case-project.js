// The case file of a project: its parties and state, and every milestone it has, each linked.
import { get, q } from './api.js';
import { el, facts, table } from './dom.js';
import { money, stateLabel, time } from './format.js';

export function projectSummary(view) {
  const fmt = (v) => money(v, view.currency, view.currencyExponent);
  return facts(
    [
      ['State', el('strong', { id: 'state-name' }, stateLabel(view.state))],
      ['Title', view.title],
      ['Employer', view.employerId],
      ['Freelancer', view.freelancerId ?? 'not awarded yet'],
      ['Currency', view.currency],
      ['Milestones pending', String(view.milestones.pending)],
      ['Released in total', fmt(view.milestones.releasedTotal)],
      ['Machine', `${view.machine.name} version ${view.machine.version}, step ${view.seq}`],
      ['Created', time(view.createdAt)],
      ['Last change', time(view.updatedAt)],
    ],
    { id: 'summary' },
  );
}

/** The project's milestones, a page at a time. */
export function projectMilestones(view, fail) {
  const host = el('div', { id: 'project-milestones' });
  const load = async (cursor, trail) => {
    const page = await get(`/v1/milestones${q({ projectId: view.id, limit: 20, cursor })}`);
    const rows = page.items.map((m) => [
      el('a', { href: `#milestone/${encodeURIComponent(m.id)}` }, m.id),
      m.description,
      stateLabel(m.state),
      money(m.amount, m.currency, m.currencyExponent),
      time(m.updatedAt),
    ]);
    const pager = el('div', { class: 'pager' });
    if (trail.length)
      pager.append(el('button', { type: 'button', onclick: () => load(null, []).catch(fail) }, 'First page'));
    if (page.nextCursor)
      pager.append(
        el(
          'button',
          { type: 'button', onclick: () => load(page.nextCursor, [...trail, cursor]).catch(fail) },
          'Next page',
        ),
      );
    host.replaceChildren(
      rows.length
        ? table(
            `Milestones of project ${view.id}`,
            ['Milestone', 'Description', 'State', 'Amount', 'Last change'],
            rows,
          )
        : el('p', { class: 'muted' }, 'No milestones yet.'),
      pager,
    );
  };
  load(null, []).catch(fail);
  return host;
}
