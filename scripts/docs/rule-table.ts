import type { MachineDefinition } from '../../machines/definition.js';
import { registeredMachines } from '../../machines/registry.js';
import { ruleNames, type TransitionLike } from '../../src/engine/guard-tree.js';

// The rule ids a 422 guard_failed names (`error.rule`), per machine, from the registered rule books: which
// events each rule guards, what kind of rule it is, and in which machine versions it exists.

interface NodeLike {
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
}

interface Row {
  kind: string;
  events: Set<string>;
  versions: Set<number>;
}

function transitionsOf(def: MachineDefinition): TransitionLike[] {
  const all: TransitionLike[] = [];
  const visit = (node: NodeLike) => {
    for (const list of node.transitions.values()) all.push(...list);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(def.machine.root);
  return all;
}

function rowsOf(name: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  const row = (id: string, kind: string) => {
    const found = rows.get(id) ?? { kind, events: new Set<string>(), versions: new Set<number>() };
    rows.set(id, found);
    return found;
  };
  for (const def of registeredMachines().filter((d) => d.name === name)) {
    for (const t of transitionsOf(def)) {
      for (const guard of ruleNames(t.guard)) {
        const rule = def.rules[guard];
        if (!rule || rule.kind === 'role') continue;
        const r = row(rule.id, rule.kind);
        r.events.add(t.eventType);
        r.versions.add(def.version);
      }
    }
    for (const effect of def.effectRules) {
      const r = row(effect.id, `effect: ${effect.requires}`);
      for (const event of effect.events) r.events.add(event);
      r.versions.add(def.version);
    }
  }
  return rows;
}

const list = (values: Iterable<string | number>) => [...values].map((v) => `\`${v}\``).join(', ');

export function ruleTable(): string {
  const names = [...new Set(registeredMachines().map((d) => d.name))];
  return names
    .map((name) => {
      const rows = [...rowsOf(name).entries()].sort(([a], [b]) => a.localeCompare(b));
      const lines = rows.map(
        ([id, r]) => `| \`${id}\` | ${list([...r.events].sort())} | ${r.kind} | ${[...r.versions].sort().join(', ')} |`,
      );
      return [`### ${name}`, '', '| rule | events | kind | versions |', '|---|---|---|---|', ...lines].join('\n');
    })
    .join('\n\n');
}
