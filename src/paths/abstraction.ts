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
    // The request flags gate events only while in progress; who filed and who paid gate the dispute rules.
    const atRest = snapshot.value === 'in_progress';
    // Whether the release being settled empties the milestone decides where SETTLED leads.
    const finalRelease = c.pendingRelease !== null && c.pendingRelease !== undefined && BigInt(String(c.amount)) - BigInt(String(c.releasedAmount)) === BigInt(String(c.pendingRelease));
    return JSON.stringify({
      value: snapshot.value,
      ...(snapshot.value === 'releasing' ? { finalRelease } : {}),
      ...(atRest ? { releaseRequested: c.releaseRequested, cancelRequested: c.cancelRequested, partlyReleased: c.releasedAmount !== '0' } : {}),
      ...(dispute ? { filedBy: dispute.filedBy, feesPaid: dispute.feesPaid } : {}),
    });
  }
  return JSON.stringify({
    value: snapshot.value,
    pending: Math.min(Number(c.pendingMilestones), 2),
    released: c.releasedTotal !== '0',
    feedback: (c.feedback as { role: string }[]).map((f) => f.role),
    cancelRequested: c.cancelRequested ?? false,
  });
}
