import { describe, expect, it } from 'vitest';
import { registeredMachines } from '../../machines/registry.js';
import { generatePaths } from '../../src/paths/generate.js';
import { modelOnlyJudge } from '../../src/paths/model-only.js';

// src/paths/model-only.ts: one judge replays many paths, keeping the snapshot after each prefix. Its answers must be
// those of a judge that sees each path alone, and a path must be model-only exactly when the ledger is asked to
// refuse money already held.

describe('the model-only judge of generated paths', () => {
  for (const def of registeredMachines().filter((d) => d.name === 'milestone')) {
    it(`answers for milestone@${def.version} as if it judged each path alone, across strategies`, () => {
      const shared = modelOnlyJudge(def);
      const paths = (['shortest', 'transitions'] as const).flatMap((s) => generatePaths(def, s).paths);
      const verdicts = paths.map((p) => shared(p.events));
      expect(verdicts).toEqual(paths.map((p) => modelOnlyJudge(def)(p.events)));
      expect(verdicts).toContain(null);
      expect(verdicts).toContain('the ledger cannot fail a settlement of money already held');
    });
  }

  it('marks a settlement refused after the money was held, and not one refused while funding', () => {
    const def = registeredMachines().find((d) => d.name === 'milestone')!;
    const judge = modelOnlyJudge(def);
    const paths = generatePaths(def, 'transitions').paths;
    const failsAt = (events: { type: string }[]) => events.findIndex((e) => e.type === 'SETTLEMENT_FAILED');
    const refusedWhileFunding = paths.find((p) => {
      const i = failsAt(p.events);
      return i >= 0 && p.events.slice(0, i).every((e) => e.type !== 'SETTLED');
    });
    const refusedWhenHeld = paths.find((p) => {
      const i = failsAt(p.events);
      return i >= 0 && p.events.slice(0, i).some((e) => e.type === 'SETTLED');
    });
    expect(judge(refusedWhileFunding!.events)).toBeNull();
    expect(judge(refusedWhenHeld!.events)).toBe('the ledger cannot fail a settlement of money already held');
  });
});
