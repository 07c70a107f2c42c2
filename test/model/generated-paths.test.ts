import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineDefinition } from '../../machines/definition.js';
import { registeredMachines } from '../../machines/registry.js';
import { generatePaths, type GeneratedPath } from '../../src/paths/generate.js';
import { allTransitions } from '../../src/paths/transitions.js';
import { assertLedgerInvariants } from '../support/ledger-invariants.js';
import { PathRunner, type Coverage } from '../support/path-runner.js';
import { startTestService, type TestService } from '../support/test-service.js';

// Model-based tests generated from the machines with xstate/graph, run against the real HTTP API, Postgres and
// workers. Shortest paths (every state) and transition-covering paths always run; simple paths are sampled,
// or run in full with MODEL_SIMPLE=full (see docs/testing.md "Model-based tests").
const SIMPLE_FULL = process.env.MODEL_SIMPLE === 'full';
const SIMPLE_SAMPLE = Number(process.env.MODEL_SIMPLE_SAMPLE ?? '8');

/**
 * Transitions a generated path cannot take live: a settlement of money already held cannot be refused, and the
 * automatic payout provider's events come from the payout worker only, under a configuration the model does not
 * run (src/paths/model-input.ts; test/integration/payout-worker.test.ts covers them).
 */
const MODEL_ONLY =
  /—SETTLEMENT_FAILED→|^milestone\.resolution_failed |^payout\.requested —PROCESS→|^payout\.processing /;
const MODEL_ONLY_STATES = new Set(['milestone.resolution_failed', 'payout.processing']);

function sample<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const step = items.length / n;
  return Array.from({ length: n }, (_, i) => items[Math.floor(i * step)]!);
}

function pathsFor(def: MachineDefinition): { name: string; path: GeneratedPath }[] {
  const label = (kind: string, i: number, p: GeneratedPath) =>
    `${kind} #${i + 1} → ${JSON.stringify(p.target)}: ${p.events.map((e) => `${e.type}/${e.role}`).join(' › ')}`;
  const simple = generatePaths(def, 'simple').paths;
  return [
    ...generatePaths(def, 'shortest').paths.map((p, i) => ({ name: label('shortest', i, p), path: p })),
    ...generatePaths(def, 'transitions').paths.map((p, i) => ({ name: label('transition', i, p), path: p })),
    ...(SIMPLE_FULL ? simple : sample(simple, SIMPLE_SAMPLE)).map((p, i) => ({ name: label('simple', i, p), path: p })),
  ].filter(({ path }) => !path.modelOnly);
}

for (const def of registeredMachines()) {
  describe(`${def.name}@${def.version} generated paths`, () => {
    let svc: TestService;
    let runner: PathRunner;
    const coverage: Coverage = { states: new Set(), transitions: new Set() };
    const started = Date.now();

    beforeAll(async () => {
      // Instances start on the version under test; the fee matches the model's (src/paths/model-input.ts).
      svc = await startTestService({
        NEW_INSTANCE_VERSIONS: `${def.name}:${def.version}`,
        ARBITRATION_FEE_DEFAULT: '50',
      });
      runner = new PathRunner(svc, def, coverage, await svc.clientWith(['events:write', 'read']));
    });

    afterAll(async () => {
      await runner?.close();
      await svc?.stop();
    });

    for (const { name, path } of pathsFor(def)) {
      it(name, async () => {
        await runner.run(path);
        await assertLedgerInvariants(svc.db);
      });
    }

    it('visited every state and every transition the live service can take', () => {
      const transitions = allTransitions(def.machine);
      const uncovered = transitions.filter((t) => !coverage.transitions.has(t));
      const states = stateIds(def);
      const unvisited = states.filter((s) => !coverage.states.has(s));
      console.log(
        `[model coverage] ${def.name}@${def.version}: states ${states.length - unvisited.length}/${states.length}, ` +
          `transitions ${transitions.length - uncovered.length}/${transitions.length}` +
          (uncovered.length ? ` (model-only: ${uncovered.join('; ')})` : '') +
          `, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      expect(uncovered.filter((t) => !MODEL_ONLY.test(t))).toEqual([]);
      expect(unvisited.filter((s) => !MODEL_ONLY_STATES.has(s))).toEqual([]);
    });
  });
}

function stateIds(def: MachineDefinition): string[] {
  const ids: string[] = [];
  const visit = (node: { id: string; states: Record<string, unknown> }) => {
    ids.push(node.id);
    for (const child of Object.values(node.states)) visit(child as typeof node);
  };
  visit(def.machine.root);
  return ids;
}
