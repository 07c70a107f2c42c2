import type { MachineDefinition } from '../../machines/definition.js';
import { inputWithRules, milestoneRulesFor } from '../engine/instance-rules.js';
import { MANUAL_PROVIDER } from '../../machines/payout.v1.rules.js';
import {
  EMPLOYER,
  FREELANCER,
  OWNER,
  PLACEHOLDER_MILESTONE,
  PLACEHOLDER_OWNED,
  PLACEHOLDER_PROJECT,
} from './placeholders.js';

/** Durations only order events in the model; fire times are irrelevant to which paths exist. */
const MODEL_DISPUTE_RULES = {
  freelancerResponseMs: 1000,
  employerResponseMs: 1000,
  arbitrationFeeMs: 1000,
  arbitrationFee: '50',
};
/**
 * Caps high enough that no generated path reaches them: counts are not part of the abstract state (abstraction.ts),
 * so a path never repeats a cycle, and the caps themselves are covered by the machine's unit tests.
 */
const MODEL_LIMITS = {
  evidencePerDispute: 1000,
  evidenceBytesPerDispute: 1_000_000,
  cancelRequests: 1000,
  disputes: 1000,
};
const MODEL_PROJECT_RULES = { feedbackWindowMs: 1000, cancelRequestMs: 1000 };

/** The input a generated path starts from, with placeholder parties (see placeholders.ts). */
export function modelInput(def: MachineDefinition): object {
  if (def.name === 'milestone') {
    const base = {
      id: PLACEHOLDER_MILESTONE,
      projectId: PLACEHOLDER_PROJECT,
      employerId: EMPLOYER,
      freelancerId: FREELANCER,
      currency: 'USD',
    };
    const recorded = { disputeRules: MODEL_DISPUTE_RULES, limits: MODEL_LIMITS, platformFeeBps: 0 };
    return { ...base, ...milestoneRulesFor(def.version, recorded) };
  }
  if (def.name === 'payout') {
    // The manual provider, as a deployment runs by default: support's MARK_PAID / MARK_FAILED are paths a live
    // run can take. The automatic provider's PROCESS → processing → PROVIDER_* are events only the payout worker
    // sends; the machine's unit tests and the payout worker's tests cover them.
    return { id: PLACEHOLDER_OWNED, ownerId: OWNER, currency: 'USD', provider: MANUAL_PROVIDER };
  }
  if (def.name === 'adjustment') return { id: PLACEHOLDER_OWNED, ownerId: OWNER, currency: 'USD' };
  const base = { id: PLACEHOLDER_PROJECT, employerId: EMPLOYER, title: 'Generated project', currency: 'USD' };
  return inputWithRules(def.version, base, { rules: MODEL_PROJECT_RULES });
}
