import type { Knex } from 'knex';
import type { StateValue } from 'xstate';
import { OUTBOX_CHANNEL, type OutboxEntry } from './effects.js';
import { numberedPlaceholders, queryPrepared } from '../db/prepared.js';
import { INSTANCE_COLUMNS, type InstanceRow, type PersistedSnapshot } from './instance-row.js';

export const INSTANCE_CHANNEL = 'instance_changed';

export interface TransitionWrite {
  instanceId: string;
  seq: number;
  history: { type: string; actor: string; role: string; payload: Record<string, unknown>; from: StateValue; to: StateValue; machineVersion: number };
  instance: { state: string; snapshot: PersistedSnapshot; employerId: string; freelancerId: string | null };
  outbox: readonly OutboxEntry[];
  requestId: string | null;
}

// One statement, so one round trip, for everything an applied event writes: the instance's new seq and
// snapshot, its history row, its outbox rows and both NOTIFYs (delivered at commit, so listeners only wake for
// rows they can see: the relay for outbox rows and timers, ?wait=settled readers for the instance). The UPDATE
// only matches while the instance is still at the seq the event was checked against, and everything else is
// written only FROM its result: when another event got there first, the statement writes nothing at all.
const WRITE_TRANSITION_SQL = `
  WITH updated AS (
    UPDATE instances
    SET seq = ?, state = ?, snapshot = ?::jsonb, employer_id = ?, freelancer_id = ?, updated_at = now()
    WHERE id = ? AND seq = ?
    RETURNING ${INSTANCE_COLUMNS}
  ), history_row AS (
    INSERT INTO history (instance_id, seq, type, actor, role, payload, from_state, to_state, machine_version)
    SELECT updated.id, updated.seq, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, ? FROM updated
  ), outbox_rows AS (
    INSERT INTO outbox (instance_id, seq, topic, payload, request_id)
    SELECT updated.id, updated.seq, r.topic, r.payload, ?
    FROM updated, ROWS FROM (jsonb_to_recordset(?::jsonb) AS (topic text, payload jsonb)) WITH ORDINALITY AS r(topic, payload, i)
    ORDER BY r.i
  ), notified AS (
    SELECT pg_notify(?, updated.id), pg_notify(?, updated.id) FROM updated
  )
  SELECT * FROM updated WHERE (SELECT count(*) FROM notified) >= 0`;

const WRITE_TRANSITION_PREPARED = numberedPlaceholders(WRITE_TRANSITION_SQL);

function valuesOf(w: TransitionWrite): Knex.Value[] {
  const h = w.history;
  return [
    w.seq, w.instance.state, JSON.stringify(w.instance.snapshot), w.instance.employerId, w.instance.freelancerId, w.instanceId, w.seq - 1,
    h.type, h.actor, h.role, JSON.stringify(h.payload), JSON.stringify(h.from), JSON.stringify(h.to), h.machineVersion,
    w.requestId, JSON.stringify(w.outbox),
    OUTBOX_CHANNEL, INSTANCE_CHANNEL,
  ];
}

/**
 * Writes an applied event in the caller's transaction, checked against the instance at seq `w.seq - 1`.
 * Returns the updated row, or null when the instance is no longer at that seq (nothing written).
 */
export async function writeTransition(trx: Knex.Transaction, w: TransitionWrite): Promise<InstanceRow | null> {
  const { rows } = await trx.raw<{ rows: InstanceRow[] }>(WRITE_TRANSITION_SQL, valuesOf(w));
  return rows[0] ?? null;
}

/** The same write as its own transaction, as a prepared statement (see applyEventUnlocked). */
export async function writeTransitionAlone(db: Knex, w: TransitionWrite): Promise<InstanceRow | null> {
  const rows = await queryPrepared<InstanceRow>(db, 'write_transition', WRITE_TRANSITION_PREPARED, valuesOf(w));
  return rows[0] ?? null;
}
