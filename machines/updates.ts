import { assign, type EventObject } from 'xstate';
import type { GuardArgs } from './rules.js';

// Context updates shared between machine versions. An update is a pure function from the context and event to
// the fields it changes; each version turns the updates it reuses into its own typed `assign` actions, so a
// later version (whose context extends the earlier one's) reuses them without casts.

export type Update<C, E> = (args: GuardArgs<C, E>) => Partial<C>;

type AssignAction<C extends object, E extends EventObject> = ReturnType<typeof assign<C, E, undefined, E, never>>;

/**
 * The `assign` actions of a set of updates, typed for one version's context `C` and events `E`:
 * `actions: { ...assignAll<MyContext, MyEvent>()(sharedUpdates) }`.
 */
export function assignAll<C extends object, E extends EventObject>() {
  return <K extends string>(updates: { readonly [P in K]: Update<C, E> }): { [P in K]: AssignAction<C, E> } => {
    const actions = {} as { [P in K]: AssignAction<C, E> };
    for (const name of Object.keys(updates) as K[]) actions[name] = assign<C, E, undefined, E, never>(updates[name]);
    return actions;
  };
}
