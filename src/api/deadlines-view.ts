import type { MachineDefinition } from '../../machines/definition.js';
import type { PartyRole } from '../../machines/roles.js';
import type { ArmedDeadline } from '../engine/view-row.js';

/**
 * Who must act before the armed timer `name` fires to avoid what it raises (docs/api.md "Views (v1.1)"), as the
 * instance's pinned version says from its context: the respondent of a dispute, the party who has not paid the
 * arbitration fee, the employer of a cancel request. Null when nobody can stop it (a window that simply closes),
 * and for a timer the version does not know.
 */
export function deadlineParty(def: MachineDefinition, name: string, context: unknown): PartyRole | null {
  return def.deadlines[name]?.party(context) ?? null;
}

/** A view's `deadlines`: the armed timers, soonest first as read, each with the party who must act. */
export function deadlinesView(def: MachineDefinition, armed: readonly ArmedDeadline[], context: unknown) {
  return armed.map(({ name, dueAt }) => ({ name, dueAt, party: deadlineParty(def, name, context) }));
}
