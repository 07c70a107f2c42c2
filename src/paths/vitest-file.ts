import type { MachineDefinition } from '../../machines/definition.js';
import { definitionJson } from './definition-json.js';
import { expectedViews, type ExpectedView } from './expected-views.js';
import type { GeneratedPath, GeneratedPaths } from './generate.js';
import { DEPLOYMENT_CHECK, HTTP_HELPERS, RUN_PATHS, SETTINGS, STEP_DRIVERS } from './vitest-runtime.js';

interface FileStep {
  event: GeneratedPath['events'][number];
  expect: ExpectedView;
}

/** The paths a live deployment can take, each step with the view the model predicts after it. */
function runnablePaths(def: MachineDefinition, generated: GeneratedPaths) {
  // A path with no events (the initial state) has nothing to check, and a model-only one cannot happen live.
  return generated.paths
    .filter((p) => p.events.length > 0 && !p.modelOnly)
    .map((p) => {
      const views = expectedViews(def, p.events);
      const steps: FileStep[] = p.events.map((event, i) => ({ event, expect: views[i]! }));
      return { target: p.target, steps };
    });
}

/** The transitions as GET /v1/machines/:name lists them, one line each, for comparing with a deployment's. */
function transitionLines(def: MachineDefinition): string[] {
  return definitionJson(def).transitions.map(
    (t) => `${t.source} -${t.event}-> ${t.targets.join(',')}${t.guard ? ` [${t.guard}]` : ''}`,
  );
}

function header(def: MachineDefinition, generated: GeneratedPaths, count: number): string {
  const id = `${def.name}@${def.version}`;
  return `// ${count} generated path(s) of ${id} (strategy ${generated.strategy}), from
// GET /v1/machines/${def.name}/paths?version=${def.version}&strategy=${generated.strategy}&format=vitest or
// npm run --silent cli -- paths ${def.name} --version ${def.version} --strategy ${generated.strategy} --format vitest --out ${def.name}.test.mjs
// Do not edit: generate it again when the machine changes. Saved in this project's root, or anywhere with vitest:
//   ESCROW_BASE_URL=http://127.0.0.1:3000 ESCROW_TOKEN=<read, events:write, admin (+ support for RULE)> npx vitest run ${def.name}.test.mjs
// Timer steps fire the timer through POST /v1/admin/instances/:id/fire-timers (the deployment needs ALLOW_TIME_TRAVEL=1),
// or, with ESCROW_TIMER_WAIT_MS set, wait that long for a deployment configured with short durations.
import { describe, expect, it } from 'vitest';
`;
}

/**
 * A self-contained vitest file that runs generated paths against a deployment of this service, for the internal
 * services that post events. It imports nothing from this repository. It first checks that the deployment starts
 * new instances on this machine version with these transitions (else one failure says what differs), then runs
 * every path, checking state, allowedEvents and money after each step.
 */
export function vitestFile(def: MachineDefinition, generated: GeneratedPaths): string {
  const paths = runnablePaths(def, generated);
  const data = `const MACHINE = ${JSON.stringify({ name: def.name, version: def.version })};
const TIMER_EVENTS = ${JSON.stringify(Object.keys(def.deadlines))};
const TRANSITIONS = ${JSON.stringify(transitionLines(def), null, 1)};
const PATHS = ${JSON.stringify(paths, null, 1)};
`;
  const sections = [SETTINGS, HTTP_HELPERS, DEPLOYMENT_CHECK, STEP_DRIVERS, RUN_PATHS];
  return [header(def, generated, paths.length), data, ...sections].join('\n');
}
