import { and, cancel, raise, setup } from 'xstate';
import type { MachineDefinition } from './definition.js';
import type { MilestoneContextV2, MilestoneEventV2, MilestoneInputV2 } from './milestone.v2.js';
import {
  milestonePayloadsV2,
  milestoneRulesOfV2,
  milestoneStatesV2,
  milestoneV2,
  notifyOther,
} from './milestone.v2.js';
import { initialMilestoneContext, milestoneUpdatesV1 } from './milestone.v1.rules.js';
import {
  disputeDelays,
  disputeTimers,
  milestoneEffectsV2,
  milestoneRolesV2,
  milestoneUpdatesV2,
  type MilestoneEventFieldsV2,
} from './milestone.v2.rules.js';
import { milestoneRulesV3, milestoneUpdatesV3, noCounts } from './milestone.v3.rules.js';
import { guardsOf } from './rules.js';
import { assignAll } from './updates.js';

// Milestone machine, version 3: version 2 with bounded growth (issue 15). Same states, events, roles and
// payloads; four transitions gain a cap, each a named rule reading the limits the instance recorded:
// - SUBMIT_EVIDENCE: at most `evidencePerDispute` pieces and `evidenceBytesPerDispute` bytes per dispute, and the
//   snapshot records each piece's size, not its text (the history entry keeps the text);
// - REQUEST_CANCEL: at most `cancelRequests` over the milestone's life (the REJECT_CANCEL cycle is bounded);
// - OPEN_DISPUTE: at most `disputes` over the milestone's life (the WITHDRAW_DISPUTE cycle is bounded).
// The context also records the platform fee rate at creation (settlement reads it; no transition does).
// Version 2's states, rules, updates and effects are reused, not copied; only those four transitions differ.

/** Growth caps an instance records at creation (configuration: docs/security.md "Bounded growth"). */
export interface MilestoneLimits {
  /** Pieces of evidence one dispute takes (SUBMIT_EVIDENCE, both parties together). */
  evidencePerDispute: number;
  /** Total UTF-8 bytes of evidence text one dispute takes. */
  evidenceBytesPerDispute: number;
  /** REQUEST_CANCEL the employer may send over the milestone's life. */
  cancelRequests: number;
  /** Disputes that may be opened over the milestone's life. */
  disputes: number;
}

/** What the capped cycles have used so far, over the milestone's life. */
export interface MilestoneCounts {
  cancelRequests: number;
  disputes: number;
}

export interface MilestoneInputV3 extends MilestoneInputV2 {
  limits: MilestoneLimits;
  /**
   * The platform fee rate, in basis points, in force when the milestone was created: settlement charges this one,
   * so changing PLATFORM_FEE_BPS never changes the fee of a live milestone (the machine itself never reads it).
   */
  platformFeeBps: number;
}

export interface MilestoneContextV3 extends MilestoneContextV2 {
  limits: MilestoneLimits;
  counts: MilestoneCounts;
  platformFeeBps: number;
}

/** Every rule version 3 checks: version 2's and its caps. */
export const milestoneRulesOfV3 = { ...milestoneRulesOfV2, ...milestoneRulesV3 };

const { response, arbitrationFee } = disputeTimers;

const family = setup({
  types: { context: {} as MilestoneContextV3, events: {} as MilestoneEventFieldsV2 },
  guards: guardsOf(milestoneRulesOfV3),
  actions: {
    ...assignAll<MilestoneContextV3, MilestoneEventFieldsV2>()({
      ...milestoneUpdatesV1,
      ...milestoneUpdatesV2,
      ...milestoneUpdatesV3,
    }),
    ...milestoneEffectsV2,
    // Contextually typed by each setup, as version 2 does: the same four timer actions, written where typed.
    armResponseDeadline: raise(response.event, response.options),
    disarmResponseDeadline: cancel(response.options.id),
    armArbitrationFeeDeadline: raise(arbitrationFee.event, arbitrationFee.options),
    disarmArbitrationFeeDeadline: cancel(arbitrationFee.options.id),
  },
  delays: disputeDelays,
});

// Bytes are judged before the state-only "bytes left" rule, so a refusal names evidence_bytes_limit with the
// sizes compared; evidenceBytesLeft only keeps SUBMIT_EVIDENCE out of availability once the dispute is full.
const evidence = {
  SUBMIT_EVIDENCE: {
    guard: and(['actorMaySend', 'evidenceCountWithinLimit', 'evidenceFitsBytes', 'evidenceBytesLeft']),
    actions: 'recordEvidenceSize',
  },
} as const;

const v2 = milestoneStatesV2;
const v2Stages = v2.disputed.states ?? {};

/** A version 2 dispute stage that takes evidence, with version 3's capped SUBMIT_EVIDENCE. */
const withCappedEvidence = (stage: 'awaiting_response' | 'negotiation' | 'arbitration_pending') =>
  family.createStateConfig({ ...v2Stages[stage], on: { ...v2Stages[stage]?.on, ...evidence } });

export const milestoneStatesV3 = {
  ...v2,
  in_progress: family.createStateConfig({
    ...v2.in_progress,
    on: {
      ...v2.in_progress.on,
      REQUEST_CANCEL: {
        guard: and(['actorMaySend', 'cancelNotRequested', 'cancelRequestsWithinLimit']),
        actions: [
          'flagCancelRequested',
          'countCancelRequest',
          { type: 'notify', params: { to: 'freelancer', type: 'milestone.cancel_requested' } },
        ],
      },
      OPEN_DISPUTE: {
        guard: and(['actorMaySend', 'disputesWithinLimit', 'proposalWithinRemaining']),
        target: 'disputed',
        actions: ['openDispute', 'countDispute', notifyOther('milestone.dispute_opened')],
      },
    },
  }),
  disputed: family.createStateConfig({
    ...v2.disputed,
    states: {
      ...v2Stages,
      awaiting_response: withCappedEvidence('awaiting_response'),
      negotiation: withCappedEvidence('negotiation'),
      arbitration_pending: withCappedEvidence('arbitration_pending'),
    },
  }),
};

export const milestoneMachineV3 = setup({
  types: {
    context: {} as MilestoneContextV3,
    events: {} as MilestoneEventV2,
    input: {} as MilestoneInputV3,
  },
  guards: guardsOf(milestoneRulesOfV3),
  actions: {
    ...assignAll<MilestoneContextV3, MilestoneEventV2>()({
      ...milestoneUpdatesV1,
      ...milestoneUpdatesV2,
      ...milestoneUpdatesV3,
    }),
    ...milestoneEffectsV2,
    armResponseDeadline: raise(response.event, response.options),
    disarmResponseDeadline: cancel(response.options.id),
    armArbitrationFeeDeadline: raise(arbitrationFee.event, arbitrationFee.options),
    disarmArbitrationFeeDeadline: cancel(arbitrationFee.options.id),
  },
  delays: disputeDelays,
}).createMachine({
  id: 'milestone',
  initial: 'draft',
  context: ({ input }) => ({
    ...initialMilestoneContext(input),
    disputeRules: input.disputeRules,
    dispute: null,
    limits: input.limits,
    counts: noCounts(),
    platformFeeBps: input.platformFeeBps,
  }),
  states: milestoneStatesV3,
});

export const milestoneV3: MachineDefinition = {
  name: 'milestone',
  version: 3,
  machine: milestoneMachineV3,
  roles: milestoneRolesV2,
  payloads: milestonePayloadsV2,
  rules: milestoneRulesOfV3,
  effectRules: milestoneV2.effectRules,
  deadlines: milestoneV2.deadlines,
  pendingStates: milestoneV2.pendingStates,
};
