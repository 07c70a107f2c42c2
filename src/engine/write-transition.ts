import type { Knex } from 'knex';
import type { StateValue } from 'xstate';
import type { OutboxEntry } from './effects.js';
import { preparedStatement } from '../db/prepared.js';
import type { InstanceRow, PersistedSnapshot } from './instance-row.js';

export interface TransitionWrite {
  instanceId: string;
  seq: number;
  history: { type: string; actor: string; role: string; payload: Record<string, unknown>; from: StateValue; to: StateValue; machineVersion: number };
  instance: { state: string; snapshot: PersistedSnapshot; employerId: string; freelancerId: string | null };
  outbox: readonly OutboxEntry[];
  requestId: string | null;
}

// One statement, so one round trip and one commit, for everything a batch of applied events writes: each
// instance's new seq and snapshot, its history row and its outbox rows (the caller signals the relay after
// commit: src/signals/signal-bus.ts). Each UPDATE only matches while its instance is still at the seq the event was checked against, and everything
// else of that event is written only FROM that match: an event another one got ahead of writes nothing at all,
// and the others in the batch are unaffected. The batch arrives as one JSON array (one parameter, however many
// events); an instance appears in it at most once (see apply-event-unlocked.ts).
const WRITE_TRANSITIONS_SQL = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(
      i int, id text, seq int, state text, snapshot jsonb, employer_id text, freelancer_id text,
      type text, actor text, role text, payload jsonb, from_state jsonb, to_state jsonb, machine_version int,
      request_id text, outbox jsonb)
  ), updated AS (
    UPDATE instances AS x
    SET seq = input.seq, state = input.state, snapshot = input.snapshot, employer_id = input.employer_id,
        freelancer_id = input.freelancer_id, updated_at = now()
    FROM input
    WHERE x.id = input.id AND x.seq = input.seq - 1
    RETURNING x.id, x.updated_at
  ), written AS (
    SELECT input.* FROM input JOIN updated USING (id)
  ), history_rows AS (
    INSERT INTO history (instance_id, seq, type, actor, role, payload, from_state, to_state, machine_version)
    SELECT id, seq, type, actor, role, payload, from_state, to_state, machine_version FROM written
  ), outbox_rows AS (
    INSERT INTO outbox (instance_id, seq, topic, payload, request_id)
    SELECT w.id, w.seq, r.topic, r.payload, w.request_id
    FROM written AS w, ROWS FROM (jsonb_to_recordset(w.outbox) AS (topic text, payload jsonb)) WITH ORDINALITY AS r(topic, payload, k)
    ORDER BY w.i, r.k
  )
  SELECT id, updated_at FROM updated`;

const writeTransitionsStatement = preparedStatement<{ id: string; updated_at: Date }>('write_transitions', WRITE_TRANSITIONS_SQL);

function batchJson(writes: readonly TransitionWrite[]): string {
  return JSON.stringify(
    writes.map((w, i) => ({
      i,
      id: w.instanceId,
      seq: w.seq,
      state: w.instance.state,
      snapshot: w.instance.snapshot,
      employer_id: w.instance.employerId,
      freelancer_id: w.instance.freelancerId,
      type: w.history.type,
      actor: w.history.actor,
      role: w.history.role,
      payload: w.history.payload,
      from_state: w.history.from,
      to_state: w.history.to,
      machine_version: w.history.machineVersion,
      request_id: w.requestId,
      outbox: w.outbox,
    })),
  );
}

/** Which instances a write statement updated, and when (the rest had moved on: nothing of theirs was written). */
type UpdatedAt = Map<string, Date>;

function updatedAtById(rows: readonly { id: string; updated_at: Date }[]): UpdatedAt {
  return new Map(rows.map((r) => [r.id, r.updated_at]));
}

/** The instance row as the write left it, built from the row the event was checked against. */
export function rowAfter(before: InstanceRow, w: TransitionWrite, updatedAt: Date): InstanceRow {
  return {
    ...before,
    seq: w.seq,
    state: w.instance.state,
    snapshot: w.instance.snapshot,
    employer_id: w.instance.employerId,
    freelancer_id: w.instance.freelancerId,
    updated_at: updatedAt,
  };
}

/**
 * Writes a batch of applied events (distinct instances) as one statement: in the caller's transaction, or on
 * a pooled connection as a transaction of its own. Returns, per write in order, when it was written or null
 * when its instance had moved on (nothing of that event was written).
 */
export async function writeTransitions(db: Knex, writes: readonly TransitionWrite[]): Promise<(Date | null)[]> {
  const rows = await writeTransitionsStatement(db, [batchJson(writes)]);
  const updated = updatedAtById(rows);
  return writes.map((w) => updated.get(w.instanceId) ?? null);
}
