import { registeredMachines } from '../../machines/registry.js';
import type { TransitionLike } from '../../src/engine/guard-tree.js';

// State diagrams of each machine's current version, as Mermaid (GitHub renders it), drawn from the registered
// machine itself: every state, and every transition with the event that takes it. A reviewer compares the
// picture with docs/concepts.md; the code cannot change without the picture changing on the next generate.

interface NodeLike {
  path: string[];
  type: string;
  states: Record<string, NodeLike>;
  transitions: Map<string, TransitionLike[]>;
}

/** A Mermaid id for a state path: disputed.negotiation → disputed_negotiation. */
const idOf = (path: readonly string[]) => path.join('_');

function statesBlock(node: NodeLike, indent: string, lines: string[]): void {
  for (const child of Object.values(node.states)) {
    if (Object.keys(child.states).length === 0) {
      lines.push(`${indent}state "${child.path.at(-1)}" as ${idOf(child.path)}`);
      continue;
    }
    lines.push(`${indent}state "${child.path.at(-1)}" as ${idOf(child.path)} {`);
    statesBlock(child, `${indent}  `, lines);
    lines.push(`${indent}}`);
  }
}

function edges(node: NodeLike, lines: Set<string>): void {
  for (const list of node.transitions.values()) {
    for (const t of list) {
      for (const target of (t.target ?? []) as NodeLike[]) {
        if (node.path.length === 0) continue;
        lines.add(`  ${idOf(node.path)} --> ${idOf(target.path)}: ${t.eventType}`);
      }
    }
  }
  for (const child of Object.values(node.states)) edges(child, lines);
}

function diagram(name: string): string {
  const defs = registeredMachines().filter((d) => d.name === name);
  const current = defs.reduce((a, b) => (b.version > a.version ? b : a));
  const root = current.machine.root as unknown as NodeLike & { initial?: { target: NodeLike[] } };
  const lines = ['```mermaid', 'stateDiagram-v2'];
  statesBlock(root, '  ', lines);
  const initial = root.initial?.target[0];
  if (initial) lines.push(`  [*] --> ${idOf(initial.path)}`);
  const arrows = new Set<string>();
  edges(root, arrows);
  lines.push(...arrows, '```');
  return [`### ${name}@${current.version}`, '', ...lines].join('\n');
}

export function stateDiagrams(): string {
  return [...new Set(registeredMachines().map((d) => d.name))].map(diagram).join('\n\n');
}
