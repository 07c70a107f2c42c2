import { initialTransition, transition, type StateValue } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PathEvent } from './event-cases.js';
import { modelInput } from './model-input.js';

/** The state value the model is in after each event of a path: what a live run must observe. */
export function expectedStates(def: MachineDefinition, events: readonly PathEvent[]): StateValue[] {
  let [snapshot] = initialTransition(def.machine, modelInput(def) as never);
  return events.map((event) => {
    [snapshot] = transition(def.machine, snapshot, event as never);
    return snapshot.value;
  });
}
