import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { MachineDefinition } from '../../machines/definition.js';
import { milestoneV1 } from '../../machines/milestone.v1.js';
import { activePaths, holdsFunds } from '../../src/replay/holds-funds.js';

describe('holdsFunds', () => {
  it('uses the milestone@1 list when the machine has no holds_funds tag', () => {
    for (const s of ['in_progress', 'releasing', 'cancelling']) expect(holdsFunds(milestoneV1, s), s).toBe(true);
    for (const s of ['draft', 'requested', 'funding', 'funding_failed', 'released', 'cancelled', 'abandoned'])
      expect(holdsFunds(milestoneV1, s), s).toBe(false);
  });

  it('follows the holds_funds tag, on nested states too, once a machine uses it', () => {
    const machine = setup({}).createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: {},
        in_progress: {},
        disputed: { initial: 'talk', tags: ['holds_funds'], states: { talk: {}, ruling: {} } },
        settling: { tags: ['holds_funds'] },
      },
    });
    const def: MachineDefinition = {
      name: 'm',
      version: 9,
      machine,
      roles: {},
      payloads: {},
      rules: {},
      effectRules: [],
      deadlines: {},
      pendingStates: [],
    };
    expect(holdsFunds(def, { disputed: 'ruling' })).toBe(true);
    expect(holdsFunds(def, 'settling')).toBe(true);
    // With the tag in use, the fallback list no longer applies.
    expect(holdsFunds(def, 'in_progress')).toBe(false);
  });

  it('lists every active path of a nested state value', () => {
    expect(activePaths({ disputed: { arbitration: 'pending' } })).toEqual([
      'disputed',
      'disputed.arbitration',
      'disputed.arbitration.pending',
    ]);
  });
});
