import type { DisputeRules } from './milestone.v2.js';
import type { ProjectRules } from './project.v2.js';

// Pure context migrations between machine versions. The audited migration command applies them and records
// their parameters in a MIGRATE history entry, so replay can apply exactly the same step again.

export interface MigrationParams {
  disputeRules?: DisputeRules;
  rules?: ProjectRules;
}

type ContextMigration = (context: Record<string, unknown>, params: MigrationParams) => Record<string, unknown>;

const migrations: Readonly<Record<string, ContextMigration>> = {
  // Version 2 adds disputes: the instance records the dispute rules in force when it moved, and no dispute.
  'milestone@1->2': (context, params) => {
    if (!params.disputeRules) throw new Error('milestone 1->2 needs disputeRules');
    return { ...context, disputeRules: params.disputeRules, dispute: null };
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
