import type { StateValue } from 'xstate';
import type { HistoryRow } from '../engine/history-row.js';

export { HISTORY_COLUMNS, type HistoryRow } from '../engine/history-row.js';

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
  /** The API client that sent it (none for the engine's own events): the engine hands it to the machine, so replay does too. */
  clientId?: string | null;
}

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
    clientId: row.client_id ?? null,
  };
}
