import type { Knex } from 'knex';
import { idsMatch } from '../db/id-list-statement.js';
import { preparedStatement } from '../db/prepared.js';
import { EVENT_COLUMNS, ROW_CTES, updateCtes, UPDATE_OUTCOMES } from './write-statement-parts.js';
import {
  eventJson,
  instanceIdsOf,
  outcomeOf,
  type OutcomeRow,
  type TransitionWrite,
  type WriteOutcome,
  type WrittenRow,
} from './transition-write.js';

/** An instance a write brings into being (its first event): inserted, not updated. */
export interface NewInstance {
  machine: string;
  version: number;
  input: Record<string, unknown>;
  projectId: string | null;
}

/**
 * A new instance's creating event, written only together with the event it derives for an existing instance (a
 * new milestone and its project's MILESTONE_OPENED): `dependsOn` failing its compare-and-set inserts nothing.
 */
export interface Creation {
  write: TransitionWrite;
  creates: NewInstance;
  dependsOn: TransitionWrite;
}

/**
 * What became of a creation: its dependency's outcome, and the new row (null unless the dependency was written);
 * or `taken`, an instance with the new one's id exists already (a repeat), so neither was written.
 */
export type CreationOutcome = { dependency: WriteOutcome; created: WrittenRow | null } | 'taken';

// The creations come first, so that a dependency whose new instance's id is taken already (a repeat of a creation,
// or a clash with another instance's id) is left out of `input` and written no more than its creation: the caller
// answers a repeat from what is stored (apply-event-unlocked.ts), without a read of its own beforehand. The ids
// are passed once more as an array, for the planner (write-statement-parts.ts). The dependencies are written as any
// update; each new row is inserted only when the instance it depends on was (`updated`), named by that instance's
// id. The insert failing (the id was taken after this statement's snapshot: a creation whose client-chosen id another
// transaction is inserting waits for it, then fails on the id, as it must) fails the whole statement, the dependency
// with it.
type CreationRow = Omit<OutcomeRow, 'outcome'> & { outcome: OutcomeRow['outcome'] | 'taken' };

const writeCreationsStatement = preparedStatement<CreationRow>(
  'write_creations',
  `WITH creation AS (
     SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(${EVENT_COLUMNS},
       machine text, version int, instance_input jsonb, project_id text, depends_on text)
   ), taken AS (
     SELECT id FROM instances WHERE id = ANY(?::text[])
   ), input AS (
     SELECT t.* FROM jsonb_to_recordset(?::jsonb) AS t(${EVENT_COLUMNS})
     WHERE NOT EXISTS (SELECT 1 FROM creation AS c JOIN taken USING (id) WHERE c.depends_on = t.id)
   ), ${updateCtes(idsMatch(0))},
   inserted AS (
     INSERT INTO instances (id, machine, version, seq, state, snapshot, input, project_id, employer_id, freelancer_id)
     SELECT c.id, c.machine, c.version, c.seq, c.state, c.snapshot, c.instance_input, c.project_id, c.employer_id,
            c.freelancer_id
     FROM creation AS c JOIN updated ON updated.id = c.depends_on
     RETURNING id, n, created_at, updated_at
   ), written AS (
     SELECT input.* FROM input JOIN updated USING (id)
     UNION ALL
     SELECT i, id, seq, state, snapshot, employer_id, freelancer_id, type, actor, role, payload, from_state, to_state,
            machine_version, request_id, client_id, outbox, notifications, stamp
     FROM creation JOIN inserted USING (id)
   ),
   ${ROW_CTES}
   ${UPDATE_OUTCOMES}
   UNION ALL
   SELECT c.id,
          CASE WHEN ins.id IS NOT NULL THEN 'written' WHEN t.id IS NOT NULL THEN 'taken' ELSE 'moved' END,
          ins.n, ins.created_at, ins.updated_at, EXISTS (SELECT 1 FROM outbox_rows AS o WHERE o.instance_id = c.id),
          ins.updated_at::text, NULL::text, NULL::json
   FROM creation AS c LEFT JOIN inserted AS ins USING (id) LEFT JOIN taken AS t USING (id)`,
);

/**
 * Writes creations and their dependencies as one statement (one round trip, one commit). Each creation stands
 * alone: its dependency's compare-and-set gates only its own rows. A dependency comes before its creation in
 * outbox order, as on the locking path.
 */
export async function writeCreations(db: Knex, creations: readonly Creation[]): Promise<CreationOutcome[]> {
  const dependencies = creations.map((c) => c.dependsOn);
  const ids = instanceIdsOf(dependencies);
  const input = JSON.stringify(dependencies.map((d, k) => eventJson(d, 2 * k)));
  const created = JSON.stringify(
    creations.map((c, k) => ({
      ...eventJson(c.write, 2 * k + 1),
      machine: c.creates.machine,
      version: c.creates.version,
      instance_input: c.creates.input,
      project_id: c.creates.projectId,
      depends_on: c.dependsOn.instanceId,
    })),
  );
  const createdIds = creations.map((c) => c.write.instanceId);
  const rows = await writeCreationsStatement(db, [created, createdIds, input, ids]);
  const taken = new Set(rows.filter((r) => r.outcome === 'taken').map((r) => r.id));
  const byId = new Map(rows.filter((r): r is OutcomeRow => r.outcome !== 'taken').map((r) => [r.id, outcomeOf(r)]));
  return creations.map((c) => {
    if (taken.has(c.write.instanceId)) return 'taken';
    const dependency = byId.get(c.dependsOn.instanceId);
    const own = byId.get(c.write.instanceId);
    if (dependency === undefined || own === undefined) throw new Error(`no outcome for creation ${c.write.instanceId}`);
    const created = typeof own === 'object' ? own : null;
    // Both or neither: anything else would be a statement bug, never an outcome to act on.
    if ((typeof dependency === 'object') !== (created !== null))
      throw new Error(`creation ${c.write.instanceId} and its dependency were not written together`);
    return { dependency, created };
  });
}
