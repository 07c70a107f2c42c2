import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { registeredMachines } from '../../machines/registry.js';
import { initialStep, step } from '../../src/engine/machine-step.js';
import { generatePaths } from '../../src/paths/generate.js';
import { modelInput } from '../../src/paths/model-input.js';

// The engine steps machines through one reusable inert scope per machine (src/engine/machine-step.ts) instead of
// xstate's transition(), which builds an actor per call. The two must agree on every step of every machine.
const visible = (s: AnyMachineSnapshot) => ({ value: s.value, context: s.context, status: s.status });
const actionsOf = (actions: readonly { type: string; params?: unknown }[]) =>
  actions.map((a) => ({ type: a.type, params: a.params }));

describe.each(registeredMachines().map((def) => [`${def.name}@${def.version}`, def] as const))(
  'machine steps of %s',
  (_name, def) => {
    const paths = generatePaths(def, 'transitions').paths;

    it('start where initialTransition() starts', () => {
      const [ours, ourActions] = initialStep(def.machine, modelInput(def));
      const [theirs, theirActions] = initialTransition(def.machine, modelInput(def) as never);
      expect(visible(ours)).toEqual(visible(theirs));
      expect(actionsOf(ourActions)).toEqual(actionsOf(theirActions));
    });

    it('take every transition exactly as transition() does, actions included', () => {
      expect(paths.length).toBeGreaterThan(0);
      let steps = 0;
      for (const path of paths) {
        let ours = initialStep(def.machine, modelInput(def))[0];
        let theirs = initialTransition(def.machine, modelInput(def) as never)[0];
        for (const event of path.events) {
          const [nextOurs, ourActions] = step(def.machine, ours, event);
          const [nextTheirs, theirActions] = transition(def.machine, theirs, event as never);
          expect(visible(nextOurs), `${event.type} on ${JSON.stringify(ours.value)}`).toEqual(visible(nextTheirs));
          expect(actionsOf(ourActions)).toEqual(actionsOf(theirActions));
          ours = nextOurs;
          theirs = nextTheirs;
          steps++;
        }
      }
      expect(steps).toBeGreaterThan(paths.length);
    });

    it("collect each step's actions apart from the previous step's", () => {
      const path = paths.find((p) => p.events.length >= 2)!;
      let snapshot = initialStep(def.machine, modelInput(def))[0];
      const collected: unknown[][] = [];
      for (const event of path.events) {
        const [next, actions] = step(def.machine, snapshot, event);
        collected.push(actions);
        snapshot = next;
      }
      // Each call hands back its own array: a later step never adds to an earlier step's actions.
      expect(new Set(collected).size).toBe(collected.length);
    });
  },
);
