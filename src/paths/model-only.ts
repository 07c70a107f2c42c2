import { initialTransition, transition } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PathEvent } from './event-cases.js';
import { modelInput } from './model-input.js';

/**
 * Why a path can exist only in the model, or null when a live service can take it. The ledger cannot refuse a
 * release, a cancellation or a dispute split (they move money already held), so SETTLEMENT_FAILED outside
 * `funding`, and everything after it, is covered by the machines' unit tests instead.
 */
export function modelOnlyReason(def: MachineDefinition, events: readonly PathEvent[]): string | null {
  let [snapshot] = initialTransition(def.machine, modelInput(def) as never);
  for (const event of events) {
    if (event.type === 'SETTLEMENT_FAILED' && !snapshot.matches('funding'))
      return 'the ledger cannot fail a settlement of money already held';
    [snapshot] = transition(def.machine, snapshot, event as never);
  }
  return null;
}
