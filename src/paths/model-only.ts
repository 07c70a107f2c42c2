import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PathEvent } from './event-cases.js';
import { modelInput } from './model-input.js';

/**
 * A judge of paths through one machine version: why a path can exist only in the model, or null when a live service
 * can take it. The ledger cannot refuse a release, a cancellation or a dispute split (they move money already held),
 * so SETTLEMENT_FAILED outside `funding`, and everything after it, is covered by the machines' unit tests instead.
 * Each path is replayed with the machine's own transitions from one initial snapshot; the snapshot after each
 * prefix is kept, so that paths sharing their start, as the generated ones do by the thousand, replay it once.
 */
export function modelOnlyJudge(def: MachineDefinition): (events: readonly PathEvent[]) => string | null {
  const [initial] = initialTransition(def.machine, modelInput(def) as never);
  const afterPrefix = new Map<string, AnyMachineSnapshot>();
  return (events) => {
    let snapshot: AnyMachineSnapshot = initial;
    let prefix = '';
    for (const event of events) {
      if (event.type === 'SETTLEMENT_FAILED' && !snapshot.matches('funding'))
        return 'the ledger cannot fail a settlement of money already held';
      prefix += `${JSON.stringify(event)}\n`;
      let next = afterPrefix.get(prefix);
      if (next === undefined) afterPrefix.set(prefix, (next = transition(def.machine, snapshot, event as never)[0]));
      snapshot = next;
    }
    return null;
  };
}
