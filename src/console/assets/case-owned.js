// The case file of an owned instance (a payout or an adjustment): whose money, how much, and who did what. The
// timeline, where the money went and the replay come from the shared case page (case-view.js).
import { el, facts } from './dom.js';
import { money, stateLabel, time } from './format.js';

const signer = (s) => (s ? `${s.actor}${s.client ? ` via client ${s.client}` : ''}` : null);

function payoutFacts(view) {
  return [
    ['Destination', view.destination ? `${view.destination.kind} ${view.destination.reference}` : null],
    ['Provider', view.provider],
    view.reference ? ['Reference', view.reference] : null,
    view.failureReason ? ['Failure', view.failureReason] : null,
  ];
}

function adjustmentFacts(view) {
  return [
    ['Reason', view.reason],
    ['Proposed by', signer(view.proposedBy)],
    ['Decided by', signer(view.decidedBy) ?? 'not decided yet'],
    view.rejectionReason ? ['Rejection reason', view.rejectionReason] : null,
  ];
}

/** Facts of a payout or an adjustment: the owner and the amount (signed for an adjustment), then its own fields. */
export function ownedSummary(view, machine) {
  return facts(
    [
      ['State', el('strong', { id: 'state-name' }, stateLabel(view.state))],
      ['Owner', view.ownerId],
      ['Amount', money(view.amount, view.currency, view.currencyExponent)],
      ...(machine === 'payout' ? payoutFacts(view) : adjustmentFacts(view)),
      ['Machine', `${view.machine.name} version ${view.machine.version}, step ${view.seq}`],
      ['Created', time(view.createdAt)],
      ['Last change', time(view.updatedAt)],
    ],
    { id: 'summary' },
  );
}
