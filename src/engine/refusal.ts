import type { AnyMachineSnapshot } from 'xstate';
import type { MachineDefinition } from '../../machines/definition.js';
import { ForbiddenError, GuardFailedError, InvalidTransitionError, type ApiError } from '../errors/index.js';
import { allowedEvents } from './availability.js';
import { candidates, hasEffect, judge } from './guard-tree.js';
import { topLevelState, type InstanceRow } from './instance-row.js';

// Why an instance refuses an event, as the API error that says so (docs/api.md "Errors" and "Errors (v1.1)").

/** 409 invalid_transition: the state does not handle the event at all. Lists what may be sent instead. */
export function notHandled(def: MachineDefinition, snapshot: AnyMachineSnapshot, row: InstanceRow, type: string) {
  // 'assumed': related instances are not at hand here; completeRefusal (complete-refusal.ts) judges with them.
  return new InvalidTransitionError(
    `${type} is not allowed while the ${def.name} is ${topLevelState(row.snapshot.value)}.`,
    { state: row.snapshot.value, allowedEvents: allowedEvents(def, snapshot, row.id, 'assumed') },
  );
}

/**
 * The rule that refuses an event the state handles: 422 guard_failed naming it, or 403 when it is the role rule.
 * Of several transitions for the event (guarded alternatives), the last, most general one is explained.
 */
export function refusalOf(
  def: MachineDefinition,
  snapshot: AnyMachineSnapshot,
  event: { type: string; actor: string },
  row: InstanceRow,
): ApiError {
  const args = { context: snapshot.context as unknown, event };
  const verdicts = candidates(snapshot, event.type)
    .filter(hasEffect)
    .map((t) => judge(t.guard, def.rules, args, 'evaluate'));
  const failed = verdicts.at(-1);
  if (failed?.pass !== false) {
    throw new Error(
      `${def.name}@${def.version} refuses ${event.type} in ${JSON.stringify(row.snapshot.value)} by no rule`,
    );
  }
  const rule = def.rules[failed.rule]!;
  const details = rule.details(args);
  if (rule.kind === 'role') return new ForbiddenError(rule.message(args), details);
  return new GuardFailedError(rule.id, rule.message(args), details, {
    state: row.snapshot.value,
    ...(rule.lookup ? { lookup: { kind: rule.lookup, instanceId: row.id } } : {}),
  });
}
