import type { Knex } from 'knex';
import { Batcher, type BatcherLimits } from '../db/batcher.js';
import { idListStatement } from '../db/id-list-statement.js';
import { NotFoundError } from '../errors/index.js';
import { readViewRowsSql, type ViewRow } from './view-row.js';

const readViewRowsStatement = idListStatement<ViewRow>('read_view_rows', readViewRowsSql);

/**
 * Reads instance rows for the hot path, without a lock: concurrent reads share one prepared statement and round
 * trip (src/db/batcher.ts), so a busy API process reads N instances for the price of one. Each row comes with its
 * view's facts (escrow balance, armed timers): an event applied by compare-and-set arms no timer and moves no money
 * (fast-path.ts), so its reply shows them as read here, with no statement of its own.
 */
export class InstanceReader {
  private readonly batcher: Batcher<string, ViewRow | null>;

  constructor(db: Knex, limits: BatcherLimits) {
    this.batcher = new Batcher(async (ids) => {
      const rows = await readViewRowsStatement(db, [], ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }, limits);
  }

  /** The row, or null when there is none with this id. */
  find(id: string): Promise<ViewRow | null> {
    return this.batcher.submit(id);
  }

  async read(id: string, machine: string): Promise<ViewRow> {
    const row = await this.batcher.submit(id);
    if (!row || row.machine !== machine) throw new NotFoundError(`No ${machine} with id ${id}.`, { id });
    return row;
  }
}
