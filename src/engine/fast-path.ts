import type { DerivedEvent } from './effects.js';
import type { PreparedEvent } from './prepare-event.js';

// Which events the compare-and-set path (apply-event-unlocked.ts) may write in one statement. Everything else goes
// through the locking path in one transaction, where effects with statements of their own and events for other
// instances are applied in order under the locks.

/** An event on an existing instance: only when it touches no other row than its own, history, inbox and outbox. */
export function mayCompareAndSet(event: PreparedEvent): boolean {
  return event.plan.statements.length === 0 && event.plan.derived.length === 0;
}

/**
 * A creation: only when the new instance's first event derives exactly one event, for the instance it belongs to
 * (a milestone's MILESTONE_OPENED for its project), and neither needs statements of its own. Returns that derived
 * event, or null for the locking path.
 */
export function compareAndSetDependency(creating: PreparedEvent, parentId: string): DerivedEvent | null {
  const [derived, ...more] = creating.plan.derived;
  if (creating.plan.statements.length > 0 || derived === undefined || more.length > 0) return null;
  return derived.instanceId === parentId ? derived : null;
}
