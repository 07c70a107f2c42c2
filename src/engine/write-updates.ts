import type { Knex } from 'knex';
import { idListStatement } from '../db/id-list-statement.js';
import { INPUT_CTE, ROW_CTES, updateCtes, UPDATE_OUTCOMES } from './write-statement-parts.js';
import {
  eventJson,
  instanceIdsOf,
  outcomeOf,
  type OutcomeRow,
  type TransitionWrite,
  type WriteOutcome,
} from './transition-write.js';

// One statement, so one round trip and one commit, for everything a batch of events on existing instances writes:
// each instance's new seq and snapshot, the history, inbox and outbox rows (write-statement-parts.ts).
const writeUpdatesStatement = idListStatement<OutcomeRow>(
  'write_updates',
  (ids) => `WITH ${INPUT_CTE}, ${updateCtes(ids)},
   written AS (SELECT input.* FROM input JOIN updated USING (id)),
   ${ROW_CTES}
   ${UPDATE_OUTCOMES}`,
);

/**
 * Writes a batch of applied events to existing instances as one statement: in the caller's transaction, or on a
 * pooled connection as a transaction of its own. Returns, per write in order, what became of its instance
 * (nothing of an instance that is `moved` or `busy` was written).
 */
export async function writeUpdates(db: Knex, writes: readonly TransitionWrite[]): Promise<WriteOutcome[]> {
  // A settlement batch that claimed nothing applies no event: no round trip for it.
  if (writes.length === 0) return [];
  const ids = instanceIdsOf(writes);
  const rows = await writeUpdatesStatement(db, [JSON.stringify(writes.map((w, i) => eventJson(w, i)))], ids);
  const byId = new Map(rows.map((r) => [r.id, outcomeOf(r)]));
  // The statement answers for every instance it was given; a missing one would be a statement bug, not a race.
  return writes.map((w) => {
    const outcome = byId.get(w.instanceId);
    if (outcome === undefined) throw new Error(`write statement gave no outcome for ${w.instanceId}`);
    return outcome;
  });
}
