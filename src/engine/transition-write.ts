import type { StateValue } from 'xstate';
import type { InboxEntry, OutboxEntry } from './effects.js';
import type { InstanceRow, PersistedSnapshot } from './instance-row.js';
import type { ViewFacts } from './view-row.js';

/**
 * Everything one applied event writes: the instance's new seq and snapshot, its history row, its outbox rows and
 * its in-app notifications.
 */
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
  notifications: readonly InboxEntry[];
  requestId: string | null;
  /** The API client whose request caused the event; null for timers, settlement and the CLI. */
  clientId: string | null;
  /**
   * For an event judged on a remembered row: the updated_at (text, to the microsecond) that row's write left, which
   * the instance must still carry besides the seq (write-statement-parts.ts updateCtes).
   */
  stamp?: string;
}

/** Where a statement put an instance. */
export interface Written {
  n: bigint;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A row a write statement wrote, whether its events left outbox rows for the relay, its write stamp, and (for an
 * event judged on a remembered row, else null) its view's facts as the statement saw them.
 */
export type WrittenRow = Written & { relay: boolean; facts: ViewFacts | null; stamp: string };

/**
 * What became of a write: written; `moved`, the instance is no longer at the seq its event was checked against;
 * or `busy`, another transaction holds the instance's row, so nothing was written rather than wait for it.
 */
export type WriteOutcome = WrittenRow | 'moved' | 'busy';

/** One statement row per instance: the outcome the statement decided, and where a written row now stands. */
export interface OutcomeRow {
  id: string;
  outcome: 'written' | 'moved' | 'busy';
  n: bigint | null;
  created_at: Date | null;
  updated_at: Date | null;
  relay: boolean;
  stamp: string | null;
  held_amount: string | null;
  deadlines: ViewFacts['deadlines'] | null;
}

export function outcomeOf(row: OutcomeRow): WriteOutcome {
  if (row.outcome !== 'written') return row.outcome;
  const facts = row.deadlines === null ? null : { held_amount: row.held_amount, deadlines: row.deadlines };
  return {
    n: row.n!,
    createdAt: row.created_at!,
    updatedAt: row.updated_at!,
    relay: row.relay,
    facts,
    stamp: row.stamp!,
  };
}

/**
 * The instance row as the write left it, built from the row the event was checked against; whatever else that row
 * carried (a view's facts) is kept.
 */
export function rowAfter<R extends InstanceRow>(before: R, w: TransitionWrite, written: Written): R {
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
 * Several events of one instance in one statement must be its consecutive seqs, in order (a transaction's chained
 * events): the statement writes the row once, from the last, gated on the seq before the first. Anything else is
 * a programmer error the statement could not tell apart from a race. Returns the instance ids, once each.
 */
export function instanceIdsOf(writes: readonly TransitionWrite[]): string[] {
  const lastSeq = new Map<string, number>();
  for (const w of writes) {
    const before = lastSeq.get(w.instanceId);
    if (before !== undefined && w.seq !== before + 1)
      throw new Error(`events of ${w.instanceId} at seq ${before} then ${w.seq} in one write`);
    lastSeq.set(w.instanceId, w.seq);
  }
  return [...lastSeq.keys()];
}

/** An event as the write statements' JSON (write-statement-parts.ts EVENT_COLUMNS), at position `i`. */
export function eventJson(w: TransitionWrite, i: number) {
  return {
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
    notifications: w.notifications,
    stamp: w.stamp ?? null,
  };
}
