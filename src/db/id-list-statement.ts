import type { Knex } from 'knex';
import { preparedStatement } from './prepared.js';

// A prepared statement is planned for its parameters (a custom plan) until Postgres finds its generic plan no dearer
// on average; from then on it reuses the generic plan and skips planning. An id list passed as one array
// (`id = ANY($1)`) never gets there while it is short: the generic plan takes an array of unknown length for 10 ids,
// while a custom plan sees the 1-5 that a batch at half load carries. Postgres planned the instance read at every
// call, the event write and the settlement claim at a third to nine tenths of theirs, each plan costing about as
// much as running the statement (bench/README.md, round 11). Written out as parameters (`id IN ($1, $2)`), the list
// has the same length in both plans, so they cost the same and the generic plan is kept. A statement is prepared
// for each of a few list lengths; a list is padded to the next one by repeating its last id, which matches the same
// row once (the index scan drops a repeated key) and is estimated as one more id, as in the generic plan. Past the
// longest, the list goes as one array. (Lists usually longer than ten, as a settlement batch's transfers and
// accounts, keep their arrays: their generic plan already wins, the other way round, and a plan per length would
// have to be warmed on every connection.)

/** The list lengths a statement is prepared for. */
export const LIST_LENGTHS = [1, 2, 4, 8, 16, 32, 64] as const;

/** The length `count` ids are passed at: the shortest list that holds them, or 0 (one array) past the longest. */
export function listLengthFor(count: number): number {
  return LIST_LENGTHS.find((length) => length >= count && count > 0) ?? 0;
}

/** The SQL type of a statement's ids. */
export type IdType = 'text' | 'bigint';

/** What matches a column against the ids: `IN (?, …)` with `length` placeholders, or `= ANY(?::<type>[])` for 0. */
export function idsMatch(length: number, type: IdType = 'text'): string {
  return length === 0 ? `= ANY(?::${type}[])` : `IN (${Array.from({ length }, () => '?').join(', ')})`;
}

/** The ids as the parameters of `idsMatch(length)`: padded with the last id to `length`, or one array for 0. */
export function idParameters(ids: readonly unknown[], length: number): unknown[] {
  if (length === 0) return [ids];
  const last = ids.at(-1);
  if (last === undefined || ids.length > length) throw new Error(`${ids.length} ids passed as a list of ${length}`);
  return [...ids, ...Array.from({ length: length - ids.length }, () => last)];
}

/**
 * A statement over a list of ids, prepared once per list length (named `<name>` for the array, `<name>/<length>`
 * otherwise). `sql` gets what matches a column against the ids (see idsMatch) and places it after every other
 * `?` placeholder of the statement: the ids are its last parameters.
 */
export function idListStatement<Row>(
  name: string,
  sql: (match: string) => string,
  type: IdType = 'text',
): (db: Knex, values: readonly unknown[], ids: readonly unknown[]) => Promise<Row[]> {
  const byLength = new Map<number, (db: Knex, values: unknown[]) => Promise<Row[]>>();
  return (db, values, ids) => {
    const length = listLengthFor(ids.length);
    let statement = byLength.get(length);
    if (statement === undefined) {
      statement = preparedStatement<Row>(length === 0 ? name : `${name}/${length}`, sql(idsMatch(length, type)));
      byLength.set(length, statement);
    }
    return statement(db, [...values, ...idParameters(ids, length)]);
  };
}
