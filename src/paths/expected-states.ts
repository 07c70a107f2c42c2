import { initialTransition, transition, type AnyMachineSnapshot, type StateValue } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PathEvent } from './event-cases.js';
import { modelInput } from './model-input.js';
import { stateValueOf } from './transitions.js';

/** The state value the model is in after each event of a path: what a live run must observe. */
export function expectedStates(def: MachineDefinition, events: readonly PathEvent[]): StateValue[] {
  let snapshot: AnyMachineSnapshot = initialTransition(def.machine, modelInput(def))[0];
  return events.map((event) => {
    snapshot = transition(def.machine, snapshot, event)[0];
    return stateValueOf(snapshot);
  });
}
