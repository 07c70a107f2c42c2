import type { AnyMachineSnapshot } from 'xstate';

/**
 * What makes two snapshots the "same state" for path generation: the state value plus the few context facts
 * that change which rules apply. Amounts are left out on purpose (a partial release would otherwise make the
 * graph infinite); the flags that gate transitions are kept.
 */
export function abstractState(machine: string, snapshot: AnyMachineSnapshot): string {
  const c = snapshot.context as Record<string, unknown>;
  if (machine === 'milestone') {
    const dispute = c.dispute as { filedBy: string; feesPaid: string[] } | null | undefined;
    // Who filed and who paid gate the dispute rules.
    // Whether the release being settled empties the milestone decides where SETTLED leads.
    const finalRelease =
      c.pendingRelease !== null &&
      c.pendingRelease !== undefined &&
      BigInt(String(c.amount)) - BigInt(String(c.releasedAmount)) === BigInt(String(c.pendingRelease));
    return JSON.stringify({
      value: snapshot.value,
      ...(snapshot.value === 'releasing' ? { finalRelease } : {}),
      // What remains decides which amounts are valid later (offers, releases), so it is part of the state.
      partlyReleased: c.releasedAmount !== '0',
      // The request flags survive releases and disputes, and gate REQUEST_* and REJECT_CANCEL afterwards.
      releaseRequested: c.releaseRequested,
      cancelRequested: c.cancelRequested,
      ...(dispute ? { filedBy: dispute.filedBy, feesPaid: dispute.feesPaid } : {}),
    });
  }
  // Payouts and adjustments: no context fact gates a transition that the state does not already tell.
  if (machine !== 'project') return JSON.stringify({ value: snapshot.value });
  return JSON.stringify({
    value: snapshot.value,
    pending: Math.min(Number(c.pendingMilestones), 2),
    released: c.releasedTotal !== '0',
    feedback: (c.feedback as { role: string }[]).map((f) => f.role),
    cancelRequested: c.cancelRequested ?? false,
  });
}
