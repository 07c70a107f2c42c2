import type { Knex } from 'knex';
import type { MachineName } from '../../machines/registry.js';
import { preparedStatement } from '../db/prepared.js';
import { NotFoundError } from '../errors/index.js';
import { prepareEvent, type ApplyOptions, type Applied, type EventCause, type PreparedEvent } from './prepare-event.js';
import type { EngineEvent } from './engine-event.js';
import { INSTANCE_COLUMNS, type InstanceRow } from './instance-row.js';
import { rowAfter, type WrittenRow } from './transition-write.js';
import { writeUpdates } from './write-updates.js';

/** An event for an instance row the transaction holds locked, read under that lock. */
export interface BatchItem {
  row: InstanceRow;
  machine: MachineName;
  event: EngineEvent;
  options?: ApplyOptions;
}

/** Rows the transaction holds locked, by id, as they stand; kept current as the batch writes them. */
export type HeldRows = Map<string, InstanceRow>;

// Related instances a batch derives events for, locked in one statement and in id order, the one order every
// batch takes them in, so two batches never wait on each other in a cycle.
const lockInstancesStatement = preparedStatement<InstanceRow>(
  'lock_instances',
  `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE id = ANY(?::text[]) ORDER BY id FOR NO KEY UPDATE`,
);

/**
 * The events a batch applied, the primary ones in order, and whether the batch left the relay work: outbox rows
 * (the write statement says so per instance), or effects with statements of their own, of which a timer armed
 * needs the relay to schedule it.
 */
export interface BatchApplied {
  applied: Applied[];
  relay: boolean;
}

interface Step {
  before: InstanceRow;
  prepared: PreparedEvent;
  written?: WrittenRow;
}

/**
 * Applies events to instances inside the caller's transaction (docs/concepts.md "Engine", steps 3 to 6) in as few
 * statements as the events allow: every event is checked and run through its machine first, each on its
 * instance as the events before it leave it (any refusal throws and rolls everything back); then one statement
 * writes them all; then the effects that need statements of their own (timers, fee holds), in event order,
 * once their history rows exist. Events derived for related instances (milestone → project) are applied like
 * any other; the related rows are taken from `held` or locked, together, here.
 */
export async function applyBatch(
  trx: Knex.Transaction,
  items: readonly BatchItem[],
  held: HeldRows = new Map(),
): Promise<BatchApplied> {
  for (const item of items) held.set(item.row.id, item.row);
  const steps: Step[] = [];
  const plan = (row: InstanceRow, machine: MachineName, event: EngineEvent, options: ApplyOptions): Step => {
    const prepared = prepareEvent(row, machine, event, options);
    const step: Step = { before: row, prepared };
    steps.push(step);
    // A later event on this instance is judged on the row as this one leaves it.
    held.set(row.id, rowAfter(row, prepared.write, { n: row.n, createdAt: row.created_at, updatedAt: row.updated_at }));
    return step;
  };

  const primary = items.map((item) => plan(item.row, item.machine, item.event, item.options ?? {}));
  const causeOf = (options: ApplyOptions = {}): EventCause => ({
    requestId: options.requestId,
    clientId: options.clientId,
  });
  const derived = primary.flatMap((step, i) =>
    step.prepared.plan.derived.map((d) => ({ d, cause: causeOf(items[i]!.options) })),
  );
  const unheld = [...new Set(derived.map(({ d }) => d.instanceId))].filter((id) => !held.has(id)).sort();
  if (unheld.length > 0) for (const row of await lockInstancesStatement(trx, [unheld])) held.set(row.id, row);
  // Derived events may derive more; each is planned on the related row as the events before it leave it.
  for (let k = 0; k < derived.length; k++) {
    const { d, cause } = derived[k]!;
    if (!held.has(d.instanceId))
      for (const row of await lockInstancesStatement(trx, [[d.instanceId]])) held.set(row.id, row);
    const row = held.get(d.instanceId);
    if (!row || row.machine !== d.machine)
      throw new NotFoundError(`No ${d.machine} with id ${d.instanceId}.`, { id: d.instanceId });
    const step = plan(row, d.machine, d.event, { origin: 'system', ...cause });
    derived.push(...step.prepared.plan.derived.map((dd) => ({ d: dd, cause })));
  }

  const written = await writeUpdates(
    trx,
    steps.map((s) => s.prepared.write),
  );
  steps.forEach((s, i) => {
    const outcome = written[i]!;
    if (typeof outcome === 'string')
      throw new Error(`instance ${s.before.id} ${outcome} while this transaction held it`);
    s.written = outcome;
  });
  for (const s of steps) for (const statement of s.prepared.plan.statements) await statement(trx, s.prepared.write.seq);
  const after = (s: Step) => rowAfter(s.before, s.prepared.write, s.written!);
  for (const s of steps) held.set(s.before.id, after(s));
  return {
    applied: primary.map((s) => ({ row: after(s), seq: s.prepared.write.seq })),
    relay: steps.some((s) => s.written!.relay || s.prepared.plan.statements.length > 0),
  };
}
