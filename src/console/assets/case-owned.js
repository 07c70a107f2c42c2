// The case file of an owned instance (a payout or an adjustment): whose money, how much, and who did what. The
// timeline, where the money went and the replay come from the shared case page (case-view.js).
import { el, facts } from './dom.js';
import { money, stateLabel, time } from './format.js';

// The view names a client by id; the history entries the page already read carry its name.
const clientName = (id, history) => history.find((h) => h.client?.id === id)?.client.name ?? id;
const signer = (s, history) => (s ? `${s.actor}${s.client ? ` via ${clientName(s.client, history)}` : ''}` : null);

function payoutFacts(view) {
  return [
    ['Destination', view.destination ? `${view.destination.kind} ${view.destination.reference}` : null],
    ['Provider', view.provider],
    view.reference ? ['Reference', view.reference] : null,
    view.failureReason ? ['Failure', view.failureReason] : null,
  ];
}

function adjustmentFacts(view, history) {
  return [
    ['Reason', view.reason],
    ['Proposed by', signer(view.proposedBy, history)],
    ['Decided by', signer(view.decidedBy, history) ?? 'not decided yet'],
    view.rejectionReason ? ['Rejection reason', view.rejectionReason] : null,
  ];
}

/** Facts of a payout or an adjustment: the owner and the amount (signed for an adjustment), then its own fields. */
export function ownedSummary(view, machine, history) {
  return facts(
    [
      ['State', el('strong', { id: 'state-name' }, stateLabel(view.state))],
      ['Owner', view.ownerId],
      ['Amount', money(view.amount, view.currency, view.currencyExponent)],
      ...(machine === 'payout' ? payoutFacts(view) : adjustmentFacts(view, history)),
      ['Machine', `${view.machine.name} version ${view.machine.version}, step ${view.seq}`],
      ['Created', time(view.createdAt)],
      ['Last change', time(view.updatedAt)],
    ],
    { id: 'summary' },
  );
}
