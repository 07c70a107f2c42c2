import type { Knex } from 'knex';
import { findInstance } from '../engine/instance-row.js';
import { HistoryTooLongError } from '../errors/index.js';
import { HISTORY_COLUMNS, historyRecordOf, type HistoryRow } from './history-record.js';
import type { ReplaySource } from './replay-instance.js';

/**
 * Reads one instance and its whole history for replay. The history is read at most `maxEvents` long: a
 * request never loads an unbounded log into memory (STYLE §4). Reads only; never locks.
 */
export async function loadReplaySource(
  db: Knex,
  machine: string,
  id: string,
  maxEvents: number,
): Promise<ReplaySource> {
  const row = await findInstance(db, id, machine);
  if (row.seq > maxEvents) {
    throw new HistoryTooLongError(`The ${machine} has ${row.seq} events; replay is limited to ${maxEvents}.`, {
      seq: row.seq,
      maxEvents,
    });
  }
  // seq bounds the read even if rows beyond it appeared since the instance was read.
  const rows = (await db('history')
    .select(HISTORY_COLUMNS)
    .where({ instance_id: id })
    .orderBy('seq')
    .limit(maxEvents + 1)) as HistoryRow[];
  if (rows.length > maxEvents) {
    throw new HistoryTooLongError(
      `The ${machine} has more than ${maxEvents} history entries; replay is limited to ${maxEvents}.`,
      { maxEvents },
    );
  }
  return {
    id: row.id,
    machine: row.machine,
    input: row.input,
    version: row.version,
    seq: row.seq,
    snapshot: row.snapshot,
    history: rows.map(historyRecordOf),
  };
}
