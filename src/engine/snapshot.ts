import { __unsafe_getAllOwnEventDescriptors, type AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import type { PersistedSnapshot } from './instance-row.js';

export function restoreSnapshot(def: MachineDefinition, stored: PersistedSnapshot): AnyMachineSnapshot {
  return def.machine.resolveState({ value: stored.value, context: stored.context });
}

export function persistSnapshot(snapshot: AnyMachineSnapshot): PersistedSnapshot {
  return { value: snapshot.value, context: snapshot.context, status: snapshot.status };
}

/** Event types the current state handles at all, whatever their guards say. */
export function handledEvents(snapshot: AnyMachineSnapshot): string[] {
  return __unsafe_getAllOwnEventDescriptors(snapshot) as string[];
}

/** What a client may send now: handled events that are not the engine's own (system) events. */
export function allowedEvents(def: MachineDefinition, snapshot: AnyMachineSnapshot): string[] {
  return handledEvents(snapshot).filter((type) => type in def.payloads);
}
