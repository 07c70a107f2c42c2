import { initialTransition, transition, type AnyMachineSnapshot, type StateValue } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import { allowedEvents } from '../engine/availability.js';
import { holdsFunds } from '../replay/holds-funds.js';
import type { PathEvent } from './event-cases.js';
import { modelInput } from './model-input.js';
import { PLACEHOLDER_MILESTONE, PLACEHOLDER_PROJECT } from './placeholders.js';
import { stateValueOf } from './transitions.js';

/** What a live run must observe after a step: the fields of the instance's view the model decides. */
export interface ExpectedView {
  state: StateValue;
  allowedEvents: string[];
  /** The view's money fields, as the API writes them (decimal strings of minor units). */
  money: Record<string, unknown>;
}

interface MilestoneMoney {
  amount: string;
  releasedAmount: string;
  pendingRelease: string | null;
}

interface ProjectMoney {
  pendingMilestones: number;
  releasedTotal: string;
}

/**
 * The money fields of a milestone or project view (src/api/views.ts), from the model: a closed milestone has
 * nothing remaining, and its escrow account holds amount − released exactly in the states tagged holds_funds
 * (the invariant `cli verify` checks against the ledger).
 */
function moneyOf(def: MachineDefinition, snapshot: AnyMachineSnapshot): Record<string, unknown> {
  if (def.name === 'milestone') {
    const c = snapshot.context as MilestoneMoney;
    const unreleased = (BigInt(c.amount) - BigInt(c.releasedAmount)).toString();
    return {
      amount: c.amount,
      releasedAmount: c.releasedAmount,
      remainingAmount: snapshot.status === 'done' ? '0' : unreleased,
      heldAmount: holdsFunds(def, stateValueOf(snapshot)) ? unreleased : '0',
      pendingReleaseAmount: c.pendingRelease,
    };
  }
  const c = snapshot.context as ProjectMoney;
  return { milestones: { pending: c.pendingMilestones, releasedTotal: c.releasedTotal } };
}

/** The view the model predicts after each event of a path: what a live run must observe. */
export function expectedViews(def: MachineDefinition, events: readonly PathEvent[]): ExpectedView[] {
  const instanceId = def.name === 'milestone' ? PLACEHOLDER_MILESTONE : PLACEHOLDER_PROJECT;
  let snapshot: AnyMachineSnapshot = initialTransition(def.machine, modelInput(def))[0];
  return events.map((event) => {
    snapshot = transition(def.machine, snapshot, event)[0];
    return {
      state: stateValueOf(snapshot),
      allowedEvents: allowedEvents(def, snapshot, instanceId, 'assumed'),
      money: moneyOf(def, snapshot),
    };
  });
}
