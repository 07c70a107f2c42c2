import type { AnyStateMachine } from 'xstate';
import type { z } from 'zod';
import type { EventRoles, PartyRole } from './roles.js';
import type { AnyRuleBook } from './rules.js';

/** Who must act before an armed timer fires to avoid what it raises; null when nobody can (a window closing). */
export interface Deadline<C> {
  party(context: C): PartyRole | null;
}

/**
 * A refusal that comes from an effect rather than a guard (the engine runs it in the event's transaction), e.g. a
 * fee hold the payer's balance cannot cover. Listed with the guards' rules in docs/rules.md.
 */
export interface EffectRule {
  id: string;
  events: readonly string[];
  /** What must hold, in words. */
  requires: string;
}

/** A registered machine version: instances pin `name@version` and keep its rules until migrated. */
export interface MachineDefinition {
  name: string;
  version: number;
  machine: AnyStateMachine;
  roles: EventRoles;
  /** Payload schema of each event a client may send (system events are absent: clients cannot send them). */
  payloads: Readonly<Record<string, z.ZodObject>>;
  /** Every guard the machine's transitions name, by guard name (machines/rules.ts). */
  rules: AnyRuleBook;
  /** Refusals raised by effects of this version's events (machines/definition.ts EffectRule). */
  effectRules: readonly EffectRule[];
  /** Per event a durable timer raises: who must act to avoid it (views' `deadlines[].party`). */
  deadlines: Readonly<Record<string, Deadline<unknown>>>;
  /** Top-level states in which an instance counts as pending for its parent (a `pendingChildren` lookup). */
  pendingStates: readonly string[];
}
