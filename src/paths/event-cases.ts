import type { AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { Role } from '../../machines/roles.js';
import { availableEvents } from '../engine/availability.js';
import {
  EMPLOYER,
  FREELANCER,
  MILESTONE_AMOUNT,
  OWNER,
  PLACEHOLDER_OWNED,
  PLACEHOLDER_MILESTONE,
  PLACEHOLDER_PROJECT,
  SUPPORT,
  SYSTEM,
} from './placeholders.js';

/** A candidate event of a generated path: the machine event plus the role that sends it. */
export type PathEvent = { type: string; actor: string; role: Role; system?: true; support?: true } & Record<
  string,
  unknown
>;

const ACTOR_OF: Record<Role, string> = {
  employer: EMPLOYER,
  freelancer: FREELANCER,
  owner: OWNER,
  support: SUPPORT,
  system: SYSTEM,
};

function remaining(snapshot: AnyMachineSnapshot): bigint {
  const c = snapshot.context as { amount?: string; releasedAmount?: string };
  return BigInt(c.amount ?? '0') - BigInt(c.releasedAmount ?? '0');
}

/** Bounded payload cases per event type: money at 0, a middle value and the whole remaining amount (every kind of valid payload the rules tell apart). */
export function payloadCases(type: string, snapshot: AnyMachineSnapshot): Record<string, unknown>[] {
  const rest = remaining(snapshot);
  const splits = [...new Set([0n, rest / 2n, rest].map(String))];
  switch (type) {
    case 'CREATE':
    case 'REQUEST':
      return snapshot.machine.id === 'payout'
        ? [{ amount: MILESTONE_AMOUNT, destination: { kind: 'bank_account', reference: 'Generated account' } }]
        : [{ amount: MILESTONE_AMOUNT, description: 'Generated milestone' }];
    case 'RELEASE':
      // Full (no amount), and partial when something would remain.
      return rest >= 2n ? [{}, { amount: String(rest / 2n) }] : [{}];
    case 'REQUEST_CANCEL':
    case 'MARK_FAILED':
    case 'PROVIDER_FAILED':
      return [{ reason: 'Generated reason' }];
    case 'MARK_PAID':
    case 'PROVIDER_PAID':
      return [{ reference: 'Generated reference' }];
    case 'OPEN_DISPUTE':
      return splits.map((offer) => ({ reason: 'Generated dispute', offer }));
    case 'RESPOND':
      return splits.map((offer) => ({ offer }));
    case 'MAKE_OFFER':
    case 'RULE':
      return splits.map((amountToFreelancer) => ({ amountToFreelancer }));
    case 'SUBMIT_EVIDENCE':
      return [{ text: 'Generated evidence' }];
    case 'SETTLEMENT_FAILED':
      return [{ reason: 'insufficient_funds' }];
    case 'AWARD':
      return [{ freelancerId: FREELANCER }];
    case 'LEAVE_FEEDBACK':
      return [{ rating: 5, comment: 'Generated feedback' }];
    case 'MILESTONE_REQUESTED':
    case 'MILESTONE_OPENED':
    case 'MILESTONE_CLOSED':
      return [{ milestoneId: PLACEHOLDER_MILESTONE }];
    case 'MILESTONE_RELEASED':
      return [{ milestoneId: PLACEHOLDER_MILESTONE, amount: '1' }];
    default:
      return [{}];
  }
}

/**
 * Every event the model could take now (src/engine/availability.ts, with the engine's own events), once per role
 * that may send it and per payload case. Traversal keeps only those that change the state; refused roles are
 * tried by the runners at each step.
 */
export function candidateEvents(
  def: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  cases: 'all' | 'one' = 'all',
): PathEvent[] {
  // Simple paths multiply with every variant at every step, so they take one payload case per event.
  const casesOf = (type: string) =>
    cases === 'all' ? payloadCases(type, snapshot) : payloadCases(type, snapshot).slice(-1);
  const instanceId =
    def.name === 'milestone' ? PLACEHOLDER_MILESTONE : def.name === 'project' ? PLACEHOLDER_PROJECT : PLACEHOLDER_OWNED;
  return availableEvents(def, snapshot, instanceId, 'assumed', { system: true }).flatMap(({ type, roles }) =>
    roles.flatMap((role) =>
      casesOf(type).map((payload) => ({
        type,
        actor: ACTOR_OF[role],
        role,
        ...(role === 'system' ? { system: true as const } : {}),
        ...(role === 'support' ? { support: true as const } : {}),
        ...payload,
      })),
    ),
  );
}
