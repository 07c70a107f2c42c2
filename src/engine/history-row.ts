import type { StateValue } from 'xstate';

/** One row of the `history` table, as src/engine/apply-event.ts writes it. */
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
  /** The API client whose token sent the event; null for the engine's and workers' own events. */
  client_id: string | null;
}

export const HISTORY_COLUMNS = [
  'instance_id',
  'seq',
  'type',
  'actor',
  'role',
  'payload',
  'from_state',
  'to_state',
  'machine_version',
  'at',
  'client_id',
];
