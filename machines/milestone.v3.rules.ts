import type { EvidenceSize, EvidenceText } from './milestone.v2.js';
import { currentDispute, type MilestoneEventFieldsV2 } from './milestone.v2.rules.js';
import type { MilestoneContextV3, MilestoneCounts } from './milestone.v3.js';
import { partyOf } from './roles.js';
import { ruleBook } from './rules.js';
import type { Update } from './updates.js';

// The rules and context updates version 3 adds (bounded growth, issue 15): caps on what one dispute collects and
// on how often a milestone's cancel request and disputes can be opened. Every cap is read from the limits the
// instance recorded when it was created (or migrated), never from current configuration, so replay and
// availability judge an old instance by the limits it lived under.

/** Size of a text in UTF-8 bytes: what the history stores for it, whatever its characters. */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** Bytes of one piece of evidence, however its version recorded it (version 2 kept the text). */
export const evidenceBytes = (e: EvidenceText | EvidenceSize): number => ('bytes' in e ? e.bytes : utf8Bytes(e.text));

/** How much evidence the open dispute holds: pieces and total bytes. */
export function evidenceTotals(c: MilestoneContextV3): { count: number; bytes: number } {
  const evidence = currentDispute(c).evidence;
  return { count: evidence.length, bytes: evidence.reduce((sum, e) => sum + evidenceBytes(e), 0) };
}

const textBytes = (event: MilestoneEventFieldsV2): number => (event.text === undefined ? 0 : utf8Bytes(event.text));

export const milestoneRulesV3 = ruleBook<MilestoneContextV3, MilestoneEventFieldsV2>()({
  // Each piece of evidence is one history entry and one notice; a dispute takes a bounded number of them.
  evidenceCountWithinLimit: {
    id: 'evidence_count_limit',
    kind: 'state',
    check: ({ context }) => evidenceTotals(context).count < context.limits.evidencePerDispute,
    message: ({ context, event }) =>
      `${event.type} is refused: this dispute already holds ${evidenceTotals(context).count} pieces of evidence, ` +
      `its limit of ${context.limits.evidencePerDispute}.`,
    details: ({ context }) => ({
      count: evidenceTotals(context).count,
      limit: context.limits.evidencePerDispute,
    }),
  },
  // The payload's bytes must fit what the dispute has left. Listed before evidenceBytesLeft in the guard, so a
  // refusal always names this rule with the sizes compared.
  evidenceFitsBytes: {
    id: 'evidence_bytes_limit',
    kind: 'payload',
    check: ({ context, event }) =>
      evidenceTotals(context).bytes + textBytes(event) <= context.limits.evidenceBytesPerDispute,
    message: ({ context, event }) =>
      `${event.type} of ${textBytes(event)} bytes would bring this dispute's evidence to ` +
      `${evidenceTotals(context).bytes + textBytes(event)} bytes, over its limit of ` +
      `${context.limits.evidenceBytesPerDispute}.`,
    details: ({ context, event }) => ({
      bytes: textBytes(event),
      total: evidenceTotals(context).bytes,
      limit: context.limits.evidenceBytesPerDispute,
    }),
  },
  // Availability cannot judge a payload, but once no byte is left no payload fits: this rule says so without one,
  // so SUBMIT_EVIDENCE leaves `allowedEvents` when the dispute is full.
  evidenceBytesLeft: {
    id: 'evidence_bytes_exhausted',
    kind: 'state',
    check: ({ context }) => evidenceTotals(context).bytes < context.limits.evidenceBytesPerDispute,
    message: ({ context, event }) =>
      `${event.type} is refused: this dispute's evidence already holds ${evidenceTotals(context).bytes} bytes, ` +
      `its limit of ${context.limits.evidenceBytesPerDispute}.`,
    details: ({ context }) => ({
      total: evidenceTotals(context).bytes,
      limit: context.limits.evidenceBytesPerDispute,
    }),
  },
  // REQUEST_CANCEL / REJECT_CANCEL could otherwise be cycled forever, each a history entry and a notice.
  cancelRequestsWithinLimit: {
    id: 'cancel_request_limit',
    kind: 'state',
    check: ({ context }) => context.counts.cancelRequests < context.limits.cancelRequests,
    message: ({ context, event }) =>
      `${event.type} is refused: ${context.counts.cancelRequests} cancel requests have been made on this ` +
      `milestone, its limit of ${context.limits.cancelRequests}.`,
    details: ({ context }) => ({ count: context.counts.cancelRequests, limit: context.limits.cancelRequests }),
  },
  // OPEN_DISPUTE / WITHDRAW_DISPUTE likewise: each new dispute starts a fresh evidence allowance.
  disputesWithinLimit: {
    id: 'dispute_limit',
    kind: 'state',
    check: ({ context }) => context.counts.disputes < context.limits.disputes,
    message: ({ context, event }) =>
      `${event.type} is refused: ${context.counts.disputes} disputes have been opened on this milestone, ` +
      `its limit of ${context.limits.disputes}.`,
    details: ({ context }) => ({ count: context.counts.disputes, limit: context.limits.disputes }),
  },
});

type UpdateV3 = Update<MilestoneContextV3, MilestoneEventFieldsV2>;

export const milestoneUpdatesV3 = {
  // The size, not the text: the text is in this event's history entry (see EvidenceSize).
  recordEvidenceSize: ({ context, event }) => {
    const d = currentDispute(context);
    if (event.type !== 'SUBMIT_EVIDENCE' || event.text === undefined) return {};
    const entry: EvidenceSize = { by: partyOf(context, event), bytes: utf8Bytes(event.text) };
    return { dispute: { ...d, evidence: [...d.evidence, entry] } };
  },
  countCancelRequest: ({ context }) => ({
    counts: { ...context.counts, cancelRequests: context.counts.cancelRequests + 1 },
  }),
  countDispute: ({ context }) => ({ counts: { ...context.counts, disputes: context.counts.disputes + 1 } }),
} satisfies Record<string, UpdateV3>;

/** What a new version 3 milestone has counted: nothing yet. */
export const noCounts = (): MilestoneCounts => ({ cancelRequests: 0, disputes: 0 });
