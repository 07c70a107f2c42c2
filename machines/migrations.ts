import type { Dispute, DisputeRules } from './milestone.v2.js';
import type { MilestoneCounts, MilestoneLimits } from './milestone.v3.js';
import { evidenceBytes } from './milestone.v3.rules.js';
import type { ProjectRules } from './project.v2.js';

// Pure context migrations between machine versions. The audited migration command applies them and records
// their parameters in a MIGRATE history entry, so replay can apply exactly the same step again.

export interface MigrationParams {
  disputeRules?: DisputeRules;
  rules?: ProjectRules;
  /** milestone 2->3: the caps the instance records from now on. */
  limits?: MilestoneLimits;
  /** milestone 2->3: the cancel requests and disputes its history holds, so the caps count its whole life. */
  counts?: MilestoneCounts;
  /** milestone 2->3: the platform fee rate it is charged from now on (version 2 charged the configured rate). */
  platformFeeBps?: number;
}

/** Version 2 kept each piece of evidence's text in the snapshot; version 3 keeps its size (the history has it). */
function evidenceAsSizes(dispute: Dispute | null): Dispute | null {
  if (dispute === null) return null;
  return { ...dispute, evidence: dispute.evidence.map((e) => ({ by: e.by, bytes: evidenceBytes(e) })) };
}

type ContextMigration = (context: Record<string, unknown>, params: MigrationParams) => Record<string, unknown>;

const migrations: Readonly<Record<string, ContextMigration>> = {
  // Version 2 adds disputes: the instance records the dispute rules in force when it moved, and no dispute.
  'milestone@1->2': (context, params) => {
    if (!params.disputeRules) throw new Error('milestone 1->2 needs disputeRules');
    return { ...context, disputeRules: params.disputeRules, dispute: null };
  },
  // Version 3 bounds growth: the instance records the caps in force when it moved and what its history already
  // counted. An open dispute keeps all its evidence, as sizes; if it holds more than the caps allow, it keeps it
  // and takes no more (the rules compare with <, so nothing already recorded is ever undone).
  'milestone@2->3': (context, params) => {
    const { limits, counts, platformFeeBps } = params;
    if (!limits || !counts || platformFeeBps === undefined)
      throw new Error('milestone 2->3 needs limits, counts and platformFeeBps');
    const dispute = (context.dispute ?? null) as Dispute | null;
    return { ...context, dispute: evidenceAsSizes(dispute), limits, counts, platformFeeBps };
  },
  // Version 2 adds the feedback window and the freelancer's cancel request.
  'project@1->2': (context, params) => {
    if (!params.rules) throw new Error('project 1->2 needs rules');
    return { ...context, rules: params.rules, cancelRequested: false };
  },
};

export function contextMigration(machine: string, from: number, to: number): ContextMigration | null {
  return migrations[`${machine}@${from}->${to}`] ?? null;
}
