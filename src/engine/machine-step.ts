import {
  createActor,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
  type ExecutableActionObject,
} from 'xstate';

// xstate's transition() and initialTransition() build a fresh inert actor for every call, and an actor's
// constructor computes the machine's initial snapshot: on the hot path that was most of the cost of a step
// (bench/README.md). Our machines are pure (no invoked or spawned actors, no delays run here), so one inert
// scope per machine serves every call: the same ActorLogic.transition / getInitialSnapshot that xstate's helpers
// call, with the executable actions collected instead of run. Calls are synchronous, so they cannot overlap.
/** The scope a machine's own transition() takes (xstate types it per machine; ours are AnyStateMachine). */
type MachineScope = Parameters<AnyStateMachine['transition']>[2];

interface Scope {
  scope: MachineScope;
  collected: ExecutableActionObject[];
}

const scopes = new WeakMap<AnyStateMachine, Scope>();

function scopeOf(machine: AnyStateMachine): Scope {
  let entry = scopes.get(machine);
  if (!entry) {
    const self = createActor(machine);
    const created: Scope = {
      collected: [],
      scope: {
        self,
        id: '',
        sessionId: '',
        system: self.system,
        logger: () => {},
        defer: () => {},
        emit: () => {},
        stopChild: () => {},
        actionExecutor: (action) => {
          created.collected.push(action);
        },
      },
    };
    entry = created;
    scopes.set(machine, entry);
  }
  entry.collected = [];
  return entry;
}

/** What xstate's `transition(machine, snapshot, event)` returns: the next snapshot and the actions, not run. */
export function step(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot,
  event: EventObject,
): [AnyMachineSnapshot, ExecutableActionObject[]] {
  const entry = scopeOf(machine);
  const next = machine.transition(snapshot, event, entry.scope) as AnyMachineSnapshot;
  return [next, entry.collected];
}

/** What xstate's `initialTransition(machine, input)` returns. */
export function initialStep(machine: AnyStateMachine, input: unknown): [AnyMachineSnapshot, ExecutableActionObject[]] {
  const entry = scopeOf(machine);
  const first = machine.getInitialSnapshot(entry.scope, input) as AnyMachineSnapshot;
  return [first, entry.collected];
}
