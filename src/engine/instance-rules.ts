import type { DisputeRules } from '../../machines/milestone.v2.js';
import type { MilestoneLimits } from '../../machines/milestone.v3.js';
import type { ProjectRules } from '../../machines/project.v2.js';
import type { MachineName } from '../../machines/registry.js';
import type { Config } from '../config.js';

/**
 * The configuration each new instance records in its context when created: deadlines and fees are data
 * that an instance keeps for its whole life, so changing configuration never rewrites a running dispute.
 */
export interface InstanceRules {
  project: ProjectRules;
  disputeRulesFor(currency: string): DisputeRules;
  /** Growth caps a milestone records from version 3 on (docs/security.md "Bounded growth"). */
  milestoneLimits: MilestoneLimits;
  /** The platform fee rate a milestone records from version 3 on (settlement charges the recorded rate). */
  platformFeeBps: number;
  /** The provider a new payout records (machines/payout.v1.ts): it keeps that one for its whole life. */
  payoutProvider: string;
  /** Pinned version for new instances, if configuration stages a rollout. */
  newInstanceVersion(machine: MachineName): number | undefined;
}

export function instanceRulesFrom(config: Config): InstanceRules {
  const fees = new Map(
    config.ARBITRATION_FEES.split(',')
      .filter(Boolean)
      .map((pair) => pair.split(':') as [string, string]),
  );
  const versions = new Map(
    config.NEW_INSTANCE_VERSIONS.split(',')
      .filter(Boolean)
      .map((pair) => {
        const [name, version] = pair.split(':') as [string, string];
        return [name, Number(version)] as const;
      }),
  );
  return {
    project: { feedbackWindowMs: config.FEEDBACK_WINDOW_MS, cancelRequestMs: config.PROJECT_CANCEL_REQUEST_MS },
    disputeRulesFor: (currency) => ({
      freelancerResponseMs: config.DISPUTE_FREELANCER_RESPONSE_MS,
      employerResponseMs: config.DISPUTE_EMPLOYER_RESPONSE_MS,
      arbitrationFeeMs: config.ARBITRATION_FEE_WINDOW_MS,
      arbitrationFee: fees.get(currency) ?? config.ARBITRATION_FEE_DEFAULT,
    }),
    milestoneLimits: {
      evidencePerDispute: config.EVIDENCE_MAX_PER_DISPUTE,
      evidenceBytesPerDispute: config.EVIDENCE_MAX_BYTES_PER_DISPUTE,
      cancelRequests: config.CANCEL_REQUESTS_MAX_PER_MILESTONE,
      disputes: config.DISPUTES_MAX_PER_MILESTONE,
    },
    platformFeeBps: config.PLATFORM_FEE_BPS,
    payoutProvider: config.PAYOUT_PROVIDER,
    newInstanceVersion: (machine) => versions.get(machine),
  };
}

/** Version 1 machines predate recorded rules; from version 2 on, the input carries them. */
export function inputWithRules<T extends object>(version: number, base: T, rules: object): T {
  return version >= 2 ? { ...base, ...rules } : base;
}

/** Everything a milestone may record at creation, as configured now. */
export interface MilestoneRecorded {
  disputeRules: DisputeRules;
  limits: MilestoneLimits;
  platformFeeBps: number;
}

/**
 * The rules a new milestone of `version` records: none for version 1, the dispute rules from version 2, and the
 * growth caps and fee rate from version 3 (an older version's context never gains a field its machine does not
 * know).
 */
export function milestoneRulesFor(version: number, recorded: MilestoneRecorded): Partial<MilestoneRecorded> {
  if (version >= 3) return recorded;
  return version === 2 ? { disputeRules: recorded.disputeRules } : {};
}
