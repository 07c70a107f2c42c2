import type { AnyMachineSnapshot } from 'xstate';
import type { AnyRuleBook, Rule } from '../../machines/rules.js';

// Reads a machine's transitions and guards the way xstate does, but judged by the version's rule book, so the
// engine can say which rule refused an event and which events someone could send now. Transitions are xstate's
// own state-node objects (its public types do not describe them), read through the narrow shapes below.

export interface TransitionLike {
  eventType: string;
  guard?: unknown;
  target?: readonly unknown[];
  actions: readonly unknown[];
}

interface NodeLike {
  transitions: Map<string, TransitionLike[]>;
}

/** How a transition's guard judges an event: passes, fails at a named rule, or cannot tell without a payload. */
export type Verdict = { pass: true } | { pass: false; rule: string } | { pass: 'unknown' };

/** The transitions xstate tries for an event, in its order: the deepest active state first, then its ancestors. */
export function candidates(snapshot: AnyMachineSnapshot, type: string): TransitionLike[] {
  const nodes = (snapshot as unknown as { _nodes: readonly NodeLike[] })._nodes;
  return [...nodes].reverse().flatMap((node) => node.transitions.get(type) ?? []);
}

/** A transition that does something (xstate's `can()` refuses one with neither target nor actions). */
export function hasEffect(t: TransitionLike): boolean {
  return (t.target?.length ?? 0) > 0 || t.actions.length > 0;
}

function ruleNamed(rules: AnyRuleBook, name: string): Rule<unknown, unknown> {
  const rule = rules[name];
  if (!rule) throw new Error(`guard ${name} has no rule in the machine's rule book`);
  return rule;
}

/**
 * Judges a guard tree against the rule book. Machines combine named rules with and() only: a negation or an
 * alternative is a rule of its own, because its refusal needs its own message. With `payload: 'unknown'`
 * (availability), payload rules are not evaluated and the verdict can be 'unknown'; and() stops at the first
 * failing rule, so a rule never runs for a sender an earlier rule refused.
 */
export function judge(
  guard: unknown,
  rules: AnyRuleBook,
  args: { context: unknown; event: unknown },
  payload: 'evaluate' | 'unknown',
): Verdict {
  if (guard === undefined) return { pass: true };
  if (typeof guard === 'string' || (typeof guard === 'object' && guard !== null && 'type' in guard)) {
    const name = typeof guard === 'string' ? guard : String(guard.type);
    const rule = ruleNamed(rules, name);
    if (payload === 'unknown' && rule.kind === 'payload') return { pass: 'unknown' };
    return rule.check(args) ? { pass: true } : { pass: false, rule: name };
  }
  const combined = guard as { name?: string; guards?: readonly unknown[] };
  if (typeof guard !== 'function' || combined.name !== 'and' || !Array.isArray(combined.guards)) {
    throw new Error('guards must be named rules combined with and() (see machines/rules.ts)');
  }
  let verdict: Verdict = { pass: true };
  for (const inner of combined.guards) {
    const v = judge(inner, rules, args, payload);
    if (v.pass === false) return v;
    if (v.pass === 'unknown') verdict = v;
  }
  return verdict;
}

/** Every rule name a guard tree refers to, in order (for the registry's consistency tests and the docs). */
export function ruleNames(guard: unknown): string[] {
  if (guard === undefined) return [];
  if (typeof guard === 'string') return [guard];
  if (typeof guard === 'object' && guard !== null && 'type' in guard) return [String(guard.type)];
  const combined = guard as { name?: string; guards?: readonly unknown[] };
  if (typeof guard !== 'function' || combined.name !== 'and' || !Array.isArray(combined.guards)) {
    throw new Error('guards must be named rules combined with and() (see machines/rules.ts)');
  }
  return combined.guards.flatMap(ruleNames);
}
