import type { AnyStateNode, StateValue } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';

/** A machine may mark every state in which its escrow holds the remaining amount with this tag. */
export const HOLDS_FUNDS_TAG = 'holds_funds';

/**
 * Until the machines carry the tag: the milestone@1 states in which the escrow holds amount − released
 * (docs/concepts.md "Milestone"; the same list as test/support/ledger-invariants.ts). Extend here, or better tag the
 * states, when a version adds holding states (disputes).
 */
export const HOLDING_STATES_WITHOUT_TAG: readonly string[] = ['in_progress', 'releasing', 'cancelling'];

const taggedIds = new WeakMap<MachineDefinition, ReadonlySet<string> | null>();

/** Ids of the states carrying the tag, or null when the machine does not use the tag at all. */
function holdingStateIds(def: MachineDefinition): ReadonlySet<string> | null {
  if (taggedIds.has(def)) return taggedIds.get(def) ?? null;
  const ids = new Set<string>();
  const visit = (node: AnyStateNode): void => {
    if (node.tags.includes(HOLDS_FUNDS_TAG)) ids.add(node.id);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(def.machine.root);
  const found = ids.size > 0 ? ids : null;
  taggedIds.set(def, found);
  return found;
}

/** Every active state path of a state value: `{disputed: 'negotiation'}` → ['disputed', 'disputed.negotiation']. */
export function activePaths(value: StateValue, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix + value];
  const paths: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    paths.push(prefix + key);
    if (child !== undefined) paths.push(...activePaths(child, `${prefix}${key}.`));
  }
  return paths;
}

/** Whether a milestone in this state must have amount − releasedAmount in its escrow account. */
export function holdsFunds(def: MachineDefinition, value: StateValue): boolean {
  const tagged = holdingStateIds(def);
  const paths = activePaths(value);
  if (tagged) return paths.some((p) => tagged.has(`${def.machine.root.id}.${p}`));
  return paths.some((p) => HOLDING_STATES_WITHOUT_TAG.includes(p));
}
