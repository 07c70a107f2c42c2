import type { MachineDefinition } from '../../machines/definition.js';
import { inputWithRules } from '../engine/instance-rules.js';
import { EMPLOYER, FREELANCER, PLACEHOLDER_MILESTONE, PLACEHOLDER_PROJECT } from './placeholders.js';

/** Durations only order events in the model; fire times are irrelevant to which paths exist. */
const MODEL_DISPUTE_RULES = {
  freelancerResponseMs: 1000,
  employerResponseMs: 1000,
  arbitrationFeeMs: 1000,
  arbitrationFee: '50',
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
    return inputWithRules(def.version, base, { disputeRules: MODEL_DISPUTE_RULES });
  }
  const base = { id: PLACEHOLDER_PROJECT, employerId: EMPLOYER, title: 'Generated project', currency: 'USD' };
  return inputWithRules(def.version, base, { rules: MODEL_PROJECT_RULES });
}
