import { __unsafe_getAllOwnEventDescriptors, type AnyMachineSnapshot, type StateValue } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PersistedSnapshot } from './instance-row.js';

export function restoreSnapshot(def: MachineDefinition, stored: PersistedSnapshot): AnyMachineSnapshot {
  const config: { value: StateValue; context: Record<string, unknown> } = {
    value: stored.value,
    context: stored.context,
  };
  return def.machine.resolveState(config);
}

export function persistSnapshot(snapshot: AnyMachineSnapshot): PersistedSnapshot {
  const { value, context, status } = snapshot as {
    value: StateValue;
    context: Record<string, unknown>;
    status: string;
  };
  return { value, context, status };
}

/** Event types the current state handles at all, whatever their guards say. */
export function handledEvents(snapshot: AnyMachineSnapshot): string[] {
  return __unsafe_getAllOwnEventDescriptors(snapshot) as string[];
}
