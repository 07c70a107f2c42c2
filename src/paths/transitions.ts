import type { AnyMachineSnapshot, AnyStateMachine, StateValue } from 'xstate';

interface NodeLike {
  id: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, { target?: readonly { id: string }[] | undefined }[]>;
}

interface TransitionLike {
  source: { id: string };
  target?: readonly { id: string }[] | undefined;
  eventType: string;
}

/** One transition of a machine definition: `source —EVENT→ target` (a targetless one points at its source). */
export function transitionKey(sourceId: string, eventType: string, targetIds: readonly string[]): string {
  return `${sourceId} —${eventType}→ ${targetIds.length > 0 ? targetIds.join(',') : sourceId}`;
}

/** Every transition the machine defines, on every state node (guarded alternatives count separately). */
export function allTransitions(machine: AnyStateMachine): string[] {
  const keys: string[] = [];
  const visit = (node: NodeLike) => {
    for (const [eventType, defs] of node.transitions) {
      for (const t of defs)
        keys.push(
          transitionKey(
            node.id,
            eventType,
            (t.target ?? []).map((n) => n.id),
          ),
        );
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return [...new Set(keys)].sort();
}

/** The transitions this event takes from this snapshot (none when it is refused). */
export function takenTransitions(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot,
  event: { type: string },
): string[] {
  const taken: TransitionLike[] = machine.getTransitionData(snapshot, event);
  return taken.map((t) =>
    transitionKey(
      t.source.id,
      t.eventType,
      (t.target ?? []).map((n) => n.id),
    ),
  );
}

/** The state node ids a snapshot is in (leaf and ancestors), for state coverage. */
export function activeStateIds(snapshot: AnyMachineSnapshot): string[] {
  return (snapshot as unknown as { _nodes: { id: string }[] })._nodes.map((n) => n.id);
}

/** A snapshot's state value: AnyMachineSnapshot types it `any`, every machine here has a plain StateValue. */
export function stateValueOf(snapshot: AnyMachineSnapshot): StateValue {
  return snapshot.value as StateValue;
}
