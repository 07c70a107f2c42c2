import type { AnyMachineSnapshot } from 'xstate';
import { stateValueOf } from './transitions.js';

/** The milestone context facts the abstraction reads (amounts as decimal strings, as the machines keep them). */
interface MilestoneFacts {
  amount: string;
  releasedAmount: string;
  pendingRelease?: string | null;
  releaseRequested?: boolean;
  cancelRequested?: boolean;
  dispute?: { filedBy: string; feesPaid: string[] } | null;
}

/** The project context facts the abstraction reads. */
interface ProjectFacts {
  pendingMilestones: number;
  releasedTotal: string;
  feedback: { role: string }[];
  cancelRequested?: boolean;
}

/**
 * What makes two snapshots the "same state" for path generation: the state value plus the few context facts
 * that change which rules apply. Amounts are left out on purpose (a partial release would otherwise make the
 * graph infinite); the flags that gate transitions are kept.
 */
export function abstractState(machine: string, snapshot: AnyMachineSnapshot): string {
  const value = stateValueOf(snapshot);
  if (machine === 'milestone') {
    const c = snapshot.context as MilestoneFacts;
    const dispute = c.dispute;
    // Who filed and who paid gate the dispute rules.
    // Whether the release being settled empties the milestone decides where SETTLED leads.
    const finalRelease =
      c.pendingRelease !== null &&
      c.pendingRelease !== undefined &&
      BigInt(c.amount) - BigInt(c.releasedAmount) === BigInt(c.pendingRelease);
    return JSON.stringify({
      value,
      ...(value === 'releasing' ? { finalRelease } : {}),
      // What remains decides which amounts are valid later (offers, releases), so it is part of the state.
      partlyReleased: c.releasedAmount !== '0',
      // The request flags survive releases and disputes, and gate REQUEST_* and REJECT_CANCEL afterwards.
      releaseRequested: c.releaseRequested,
      cancelRequested: c.cancelRequested,
      ...(dispute ? { filedBy: dispute.filedBy, feesPaid: dispute.feesPaid } : {}),
    });
  }
  // Payouts and adjustments: no context fact gates a transition that the state does not already tell.
  if (machine !== 'project') return JSON.stringify({ value: value });
  const c = snapshot.context as ProjectFacts;
  return JSON.stringify({
    value,
    pending: Math.min(Number(c.pendingMilestones), 2),
    released: c.releasedTotal !== '0',
    feedback: c.feedback.map((f) => f.role),
    cancelRequested: c.cancelRequested ?? false,
  });
}
