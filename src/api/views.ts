import type { MilestoneContext } from '../../machines/milestone.v1.js';
import type { MilestoneContextV2 } from '../../machines/milestone.v2.js';
import type { MilestoneContextV3 } from '../../machines/milestone.v3.js';
import { evidenceBytes } from '../../machines/milestone.v3.rules.js';
import type { ProjectContext } from '../../machines/project.v1.js';
import { pinnedMachine } from '../../machines/registry.js';
import { availableEvents } from '../engine/availability.js';
import type { ViewRow } from '../engine/view-row.js';
import { deadlinesView } from './deadlines-view.js';
import { restoreSnapshot } from '../engine/snapshot.js';
import { currencyExponent } from '../currencies.js';
import { formatMoney } from '../money.js';

// JSON shapes of docs/api.md "Views". Money leaves as decimal strings; nothing here does arithmetic in `number`.

function common(row: ViewRow) {
  const def = pinnedMachine(row.machine, row.version);
  const snapshot = restoreSnapshot(def, row.snapshot);
  const available = availableEvents(def, snapshot, row.id, 'assumed');
  return {
    state: row.snapshot.value,
    /** In a final state: nothing can happen to it any more (released, cancelled, resolved, closed, …). */
    closed: snapshot.status === 'done',
    seq: row.seq,
    machine: { name: row.machine, version: row.version },
    allowedEvents: available.map((e) => e.type),
    availableEvents: available,
    deadlines: deadlinesView(def, row.deadlines, row.snapshot.context),
  };
}

export function projectView(row: ViewRow) {
  const c = row.snapshot.context as unknown as ProjectContext;
  const { state, seq, machine, allowedEvents: allowed, availableEvents: available, deadlines } = common(row);
  return {
    id: row.id,
    state,
    employerId: c.employerId,
    freelancerId: c.freelancerId,
    title: c.title,
    currency: c.currency,
    currencyExponent: currencyExponent(c.currency),
    seq,
    machine,
    allowedEvents: allowed,
    availableEvents: available,
    milestones: { pending: c.pendingMilestones, releasedTotal: c.releasedTotal },
    feedback: c.feedback,
    deadlines,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function milestoneView(row: ViewRow) {
  const c = row.snapshot.context as unknown as MilestoneContext;
  const { state, closed, seq, machine, allowedEvents: allowed, availableEvents: available, deadlines } = common(row);
  return {
    id: row.id,
    projectId: c.projectId,
    state,
    amount: c.amount,
    releasedAmount: c.releasedAmount,
    // Once closed nothing more can be released or refunded: what was not released went back to the employer (or
    // was never funded), so "remaining" would read as money still held (issue 14).
    remainingAmount: closed ? '0' : formatMoney(BigInt(c.amount) - BigInt(c.releasedAmount)),
    /** What the escrow account holds now, from the ledger: "0" before funding and once settled. */
    heldAmount: row.held_amount ?? '0',
    pendingReleaseAmount: c.pendingRelease,
    currency: c.currency,
    currencyExponent: currencyExponent(c.currency),
    description: c.description,
    employerId: c.employerId,
    freelancerId: c.freelancerId,
    flags: { releaseRequested: c.releaseRequested, cancelRequested: c.cancelRequested },
    cancelReason: c.cancelReason,
    lastSettlementFailure: c.lastSettlementFailure,
    dispute: disputeView(row),
    /** Deadlines and fee this milestone records (version 2 on); null for version 1. */
    rules: (c as Partial<MilestoneContextV2>).disputeRules ?? null,
    /** Growth caps this milestone records and what it has used (version 3 on); null before. */
    limits: limitsView(c),
    deadlines,
    seq,
    machine,
    allowedEvents: allowed,
    availableEvents: available,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * The dispute as support and the parties see it: the stage (sub-state) beside what the machine recorded.
 *
 * Evidence appears as who sent each piece and its size, never its text, in every milestone view: single,
 * lists, and the reply to each event. The text is in the SUBMIT_EVIDENCE history entry
 * (GET /v1/milestones/:id/history, with its time and client); a view is returned on every event and a list
 * page holds up to LIST_LIMIT_MAX of them, so carrying every piece's text made each reply grow with the
 * dispute (3 MB after 332 pieces of 10 kB, issue 15). Version 2 snapshots still hold the text; it is dropped
 * here the same way, so the views do not depend on the version.
 */
function disputeView(row: ViewRow) {
  const dispute = (row.snapshot.context as Partial<MilestoneContextV2>).dispute ?? null;
  if (!dispute) return null;
  const value = row.snapshot.value;
  const stage =
    typeof value === 'object' && value !== null && 'disputed' in value
      ? (value as { disputed: string }).disputed
      : null;
  const evidence = dispute.evidence.map((e) => ({ by: e.by, bytes: evidenceBytes(e) }));
  return {
    stage,
    ...dispute,
    evidence,
    evidenceCount: evidence.length,
    evidenceBytes: evidence.reduce((sum, e) => sum + e.bytes, 0),
  };
}

function limitsView(c: Partial<MilestoneContextV3>) {
  if (!c.limits || !c.counts) return null;
  return { ...c.limits, used: c.counts };
}
