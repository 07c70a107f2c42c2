import { describe, expect, it } from 'vitest';
import type { MachineDefinition } from '../../machines/definition.js';
import { registeredMachines } from '../../machines/registry.js';
import { DERIVING_ACTION } from '../../src/engine/effects.js';
import { ruleNames, type TransitionLike } from '../../src/engine/guard-tree.js';

// Every registered machine version names its rules (machines/rules.ts): the engine's refusals, availability and
// docs/rules.md all read the rule book, so the book and the machine must never drift apart.

interface NodeLike {
  id: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
  entry: readonly unknown[];
  exit: readonly unknown[];
}

function nodesOf(def: MachineDefinition): NodeLike[] {
  const all: NodeLike[] = [];
  const visit = (node: NodeLike) => {
    all.push(node);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(def.machine.root);
  return all;
}

const transitionsOf = (def: MachineDefinition) => nodesOf(def).flatMap((n) => [...n.transitions.values()].flat());

/** Events the version arms durable timers for (its delayed raise actions). */
function timerEvents(def: MachineDefinition): string[] {
  const actions = Object.values(def.machine.implementations.actions) as {
    event?: { type?: string };
    delay?: unknown;
  }[];
  return actions.filter((a) => a.delay !== undefined && a.event?.type).map((a) => a.event!.type!);
}

/** Rule ids docs/api.md "Errors (v1.1)" requires by name, per machine version. */
const REQUIRED: Record<string, string[]> = {
  'milestone@1': ['release_within_remaining', 'no_open_cancel_request'],
  'milestone@2': ['release_within_remaining', 'no_open_cancel_request', 'offer_within_remaining', 'insufficient_funds'],
  'milestone@3': [
    'release_within_remaining',
    'no_open_cancel_request',
    'offer_within_remaining',
    'insufficient_funds',
    // Issue 15 "bounded growth" (docs/security.md).
    'evidence_count_limit',
    'evidence_bytes_limit',
    'cancel_request_limit',
    'dispute_limit',
  ],
  'project@1': ['nothing_pending'],
  'project@2': ['nothing_pending', 'no_open_cancel_request'],
};

for (const def of registeredMachines()) {
  const label = `${def.name}@${def.version}`;
  const ids = [...Object.values(def.rules).map((r) => r.id), ...def.effectRules.map((r) => r.id)];

  describe(`${label} rule book`, () => {
    it('has a rule for every guard its transitions name, combined with and() only', () => {
      const named = new Set(transitionsOf(def).flatMap((t) => ruleNames(t.guard)));
      expect([...named].filter((name) => !(name in def.rules))).toEqual([]);
      expect(Object.keys(def.machine.implementations.guards).sort()).toEqual(Object.keys(def.rules).sort());
    });

    it('gives every rule a stable snake_case id of its own', () => {
      for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
      expect(new Set(Object.values(def.rules).map((r) => r.id)).size).toBe(Object.keys(def.rules).length);
    });

    it('names the rules docs/api.md requires', () => {
      for (const id of REQUIRED[label] ?? []) expect(ids).toContain(id);
    });

    it('derives events for related instances on transitions only (availability reads them there)', () => {
      const onEntryOrExit = nodesOf(def)
        .flatMap((n) => [...n.entry, ...n.exit])
        .filter((a) => (a as { type?: unknown }).type === DERIVING_ACTION);
      expect(onEntryOrExit).toEqual([]);
    });

    it('says who must act before each durable timer it arms', () => {
      for (const type of timerEvents(def)) expect(Object.keys(def.deadlines)).toContain(type);
      expect(Object.keys(def.deadlines).sort()).toEqual([...new Set(timerEvents(def))].sort());
    });
  });
}
