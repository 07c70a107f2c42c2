import type { Knex } from 'knex';
import type { StateValue } from 'xstate';
import type { OutboxEntry } from './effects.js';
import { preparedStatement } from '../db/prepared.js';
import type { InstanceRow, PersistedSnapshot } from './instance-row.js';

/** An instance the write brings into being (its first event): inserted at the write's seq, not updated. */
export interface NewInstance {
  machine: string;
  version: number;
  input: Record<string, unknown>;
  projectId: string | null;
}

export interface TransitionWrite {
  instanceId: string;
  seq: number;
  history: {
    type: string;
    actor: string;
    role: string;
    payload: Record<string, unknown>;
    from: StateValue;
    to: StateValue;
    machineVersion: number;
  };
  instance: { state: string; snapshot: PersistedSnapshot; employerId: string; freelancerId: string | null };
  outbox: readonly OutboxEntry[];
  requestId: string | null;
  /** The API client whose request caused the event; null for timers, settlement and the CLI. */
  clientId: string | null;
  creates?: NewInstance;
  /**
   * For a creation: the position, in the same writeTransitions call, of the update it is written only with (the
   * event the new milestone derives for its project). That update failing its compare-and-set inserts nothing;
   * the insert failing (the id was taken meanwhile) fails the whole statement, the update with it.
   */
  with?: number;
}

/** Where the statement put an instance. */
export interface Written {
  n: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What became of a write: written; `moved`, the instance is no longer at the seq its event was checked against;
 * or `busy`, another transaction holds the instance's row, so nothing was written rather than wait for it.
 */
export type WriteOutcome = Written | 'moved' | 'busy';

// One statement, so one round trip and one commit, for everything a batch of applied events writes: each
// instance's new seq and snapshot (or, for a creation, its row), the history rows and the outbox rows (the
// caller signals the relay after commit: src/signals/signal-bus.ts). An instance may have several events in a
// batch, with consecutive seqs in order (a transaction's chained events, apply-batch.ts): its row is written once,
// from its last event, and only while it is still at the seq its first event was checked against; every history
// and outbox row is written only FROM that match. An event another one got ahead of writes nothing at all, and
// the other instances of the batch are unaffected. A row another transaction holds (a settlement batch holding a
// project) is skipped rather than waited for: one waiting write would hold up every event of its batch, so the
// caller takes that event alone to the locking path instead. (The one wait left: a creation whose client-chosen
// id another transaction is inserting at that moment waits for it, then fails on the id, as it must.) The batch arrives as one JSON array (one
// parameter, however many events), and the instance ids once more as an array: the planner takes the JSON for
// 100 rows and would rather scan every instance than look that many up, where "id = ANY" tells it how few
// there are.
const WRITE_TRANSITIONS_SQL = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(
      i int, id text, seq int, state text, snapshot jsonb, employer_id text, freelancer_id text,
      type text, actor text, role text, payload jsonb, from_state jsonb, to_state jsonb, machine_version int,
      request_id text, client_id text, outbox jsonb, creates jsonb, with_i int)
  ), span AS (
    SELECT DISTINCT ON (id) id, i AS first_i, seq - 1 AS from_seq FROM input ORDER BY id, seq
  ), final AS (
    SELECT DISTINCT ON (input.id) input.*, span.from_seq, head.creates AS head_creates, head.with_i AS head_with_i
    FROM input JOIN span USING (id) JOIN input AS head ON head.i = span.first_i
    ORDER BY input.id, input.seq DESC
  ), lockable AS (
    SELECT id FROM instances WHERE id = ANY(?::text[]) FOR NO KEY UPDATE SKIP LOCKED
  ), updated AS (
    UPDATE instances AS x
    SET seq = f.seq, state = f.state, snapshot = f.snapshot, employer_id = f.employer_id, freelancer_id = f.freelancer_id, updated_at = now()
    FROM final AS f JOIN lockable USING (id)
    WHERE f.head_creates IS NULL AND x.id = f.id AND x.seq = f.from_seq
    RETURNING x.id, x.n, x.created_at, x.updated_at
  ), inserted AS (
    INSERT INTO instances (id, machine, version, seq, state, snapshot, input, project_id, employer_id, freelancer_id)
    SELECT f.id, f.head_creates->>'machine', (f.head_creates->>'version')::int, f.seq, f.state, f.snapshot, f.head_creates->'input',
           f.head_creates->>'projectId', f.employer_id, f.freelancer_id
    FROM final AS f
    WHERE f.head_creates IS NOT NULL
      AND (f.head_with_i IS NULL OR EXISTS (SELECT 1 FROM input AS w JOIN updated ON updated.id = w.id WHERE w.i = f.head_with_i))
    RETURNING id, n, created_at, updated_at
  ), done AS (
    SELECT * FROM updated UNION ALL SELECT * FROM inserted
  ), written AS (
    SELECT input.* FROM input JOIN done USING (id)
  ), history_rows AS (
    INSERT INTO history (instance_id, seq, type, actor, role, payload, from_state, to_state, machine_version, client_id)
    SELECT id, seq, type, actor, role, payload, from_state, to_state, machine_version, client_id FROM written
  ), outbox_rows AS (
    INSERT INTO outbox (instance_id, seq, topic, payload, request_id, client_id)
    SELECT w.id, w.seq, r.topic, r.payload, w.request_id, w.client_id
    FROM written AS w, ROWS FROM (jsonb_to_recordset(w.outbox) AS (topic text, payload jsonb)) WITH ORDINALITY AS r(topic, payload, k)
    ORDER BY w.i, r.k
  )
  SELECT id, n, created_at, updated_at, false AS busy FROM done
  UNION ALL
  SELECT f.id, NULL, NULL, NULL, true FROM final AS f
  WHERE f.head_creates IS NULL AND NOT EXISTS (SELECT 1 FROM lockable WHERE lockable.id = f.id)
    AND EXISTS (SELECT 1 FROM instances WHERE instances.id = f.id)`;

const writeTransitionsStatement = preparedStatement<{
  id: string;
  n: bigint;
  created_at: Date;
  updated_at: Date;
  busy: boolean;
}>('write_transitions', WRITE_TRANSITIONS_SQL);

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
      client_id: w.clientId,
      outbox: w.outbox,
      creates: w.creates ?? null,
      with_i: w.with ?? null,
    })),
  );
}

/** The instance row as the write left it, built from the row the event was checked against. */
export function rowAfter(before: InstanceRow, w: TransitionWrite, written: Written): InstanceRow {
  return {
    ...before,
    n: written.n,
    seq: w.seq,
    state: w.instance.state,
    snapshot: w.instance.snapshot,
    employer_id: w.instance.employerId,
    freelancer_id: w.instance.freelancerId,
    created_at: written.createdAt,
    updated_at: written.updatedAt,
  };
}

/**
 * Writes a batch of applied events as one statement: in the caller's transaction, or on a pooled connection as
 * a transaction of its own. Returns, per write in order, what became of its instance (nothing of an instance
 * that is `moved` or `busy` was written).
 */
export async function writeTransitions(db: Knex, writes: readonly TransitionWrite[]): Promise<WriteOutcome[]> {
  const lastSeq = new Map<string, number>();
  for (const w of writes) {
    const before = lastSeq.get(w.instanceId);
    // A programmer error: the statement could not tell which event leaves the instance in which state.
    if (before !== undefined && w.seq !== before + 1)
      throw new Error(`events of ${w.instanceId} at seq ${before} then ${w.seq} in one write`);
    lastSeq.set(w.instanceId, w.seq);
  }
  const rows = await writeTransitionsStatement(db, [batchJson(writes), [...lastSeq.keys()]]);
  const byId = new Map<string, WriteOutcome>(
    rows.map((r) => [r.id, r.busy ? 'busy' : { n: r.n, createdAt: r.created_at, updatedAt: r.updated_at }]),
  );
  return writes.map((w) => byId.get(w.instanceId) ?? 'moved');
}
