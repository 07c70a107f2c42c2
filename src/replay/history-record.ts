import type { StateValue } from 'xstate';

/** One row of `history` as replay reads it (src/engine/apply-event.ts writes it). */
export interface HistoryRecord {
  seq: number;
  type: string;
  actor: string;
  role: string;
  payload: Record<string, unknown>;
  fromState: StateValue;
  toState: StateValue;
  machineVersion: number;
  at: Date;
}

export interface HistoryRow {
  instance_id: string;
  seq: number;
  type: string;
  actor: string;
  role: string;
  payload: Record<string, unknown>;
  from_state: StateValue;
  to_state: StateValue;
  machine_version: number;
  at: Date;
}

export const HISTORY_COLUMNS = ['instance_id', 'seq', 'type', 'actor', 'role', 'payload', 'from_state', 'to_state', 'machine_version', 'at'];

export function historyRecordOf(row: HistoryRow): HistoryRecord {
  return {
    seq: row.seq,
    type: row.type,
    actor: row.actor,
    role: row.role,
    payload: row.payload,
    fromState: row.from_state,
    toState: row.to_state,
    machineVersion: row.machine_version,
    at: row.at,
  };
}
