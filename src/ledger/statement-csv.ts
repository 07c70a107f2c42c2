import type { Knex } from 'knex';
import type { PostedKey } from '../lists/list-cursor.js';
import { csvLine, number, text } from './csv.js';
import { entryOf, entryRange, type StatementEntry, type StatementRange } from './statement.js';
import { entriesQuery } from './statement-query.js';

/** The CSV columns: the JSON entry's fields, in its order (docs/money.md "Reading a CSV statement"). */
export const STATEMENT_CSV_COLUMNS = ['transferId', 'at', 'kind', 'amount', 'balanceAfter', 'instanceId', 'seq'];

function csvRow(e: StatementEntry): string {
  return csvLine([
    text(e.transferId),
    text(e.at.toISOString()),
    text(e.kind),
    number(e.amount),
    number(e.balanceAfter),
    text(e.instanceId),
    number(e.seq),
  ]);
}

/** Where the CSV goes; a promise that settles once the receiver can take more (backpressure). */
export type ChunkSink = (chunk: string) => Promise<void>;

/**
 * Writes a statement's entries (all of them in the range, or the first `limit`) as CSV, a header row and then
 * one row per entry, to `sink`, read through a database
 * cursor `batchRows` at a time: the process never holds more than one batch and one chunk, however long the
 * statement. The first chunk goes out only once the first batch was read, so a failing query is still an error
 * the caller can answer normally. The cursor lives in a REPEATABLE READ, READ ONLY transaction: every row comes
 * from one snapshot, and the connection is the pool's again once the stream ends or the sink throws.
 * Returns the number of entries written.
 */
export async function streamStatementCsv(
  db: Knex,
  range: StatementRange,
  after: PostedKey | null,
  limit: number | null,
  sink: ChunkSink,
  batchRows: number,
): Promise<number> {
  return db.transaction(async (trx: Knex.Transaction) => {
    await trx.raw('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const query = entriesQuery(trx, entryRange(range, after), limit).toSQL();
    await trx.raw(`DECLARE statement_csv NO SCROLL CURSOR FOR ${query.sql}`, query.bindings);
    let header = csvLine(STATEMENT_CSV_COLUMNS.map((c) => text(c)));
    let written = 0;
    for (;;) {
      const { rows } = await trx.raw<{ rows: Parameters<typeof entryOf>[0][] }>(
        `FETCH FORWARD ${batchRows} FROM statement_csv`,
      );
      if (rows.length > 0 || written === 0) await sink(header + rows.map((r) => csvRow(entryOf(r))).join(''));
      header = '';
      written += rows.length;
      if (rows.length < batchRows) return written;
    }
  });
}
