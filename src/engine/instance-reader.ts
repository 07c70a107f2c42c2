import type { Knex } from 'knex';
import { Batcher, type BatcherLimits } from '../db/batcher.js';
import { queryPrepared } from '../db/prepared.js';
import { NotFoundError } from '../errors/index.js';
import { INSTANCE_COLUMNS, type InstanceRow } from './instance-row.js';

const READ_INSTANCES_SQL = `SELECT ${INSTANCE_COLUMNS} FROM instances WHERE id = ANY($1::text[])`;

/**
 * Reads instance rows for the hot path, without a lock: concurrent reads share one prepared statement and round
 * trip (src/db/batcher.ts), so a busy API process reads N instances for the price of one.
 */
export class InstanceReader {
  private readonly batcher: Batcher<string, InstanceRow | null>;

  constructor(db: Knex, limits: BatcherLimits) {
    this.batcher = new Batcher(async (ids) => {
      const rows = await queryPrepared<InstanceRow>(db, 'read_instances', READ_INSTANCES_SQL, [ids]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }, limits);
  }

  /** The row, or null when there is none with this id. */
  find(id: string): Promise<InstanceRow | null> {
    return this.batcher.submit(id);
  }

  async read(id: string, machine: string): Promise<InstanceRow> {
    const row = await this.batcher.submit(id);
    if (!row || row.machine !== machine) throw new NotFoundError(`No ${machine} with id ${id}.`, { id });
    return row;
  }
}
