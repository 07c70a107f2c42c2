import type { Knex } from 'knex';
import { preparedStatement } from './prepared.js';

// A prepared statement is planned for its parameters (a custom plan) until Postgres finds its generic plan no dearer
// on average; from then on it reuses the generic plan and skips planning. An id list passed as one array
// (`id = ANY($1)`) never gets there while it is short: the generic plan takes an array of unknown length for 10 ids,
// while a custom plan sees the 1-5 that a batch at half load carries. Postgres planned the instance read at every
// call (planning took 4.5 times as long as running it), the event write at nearly half of its calls (as long as
// running it) and the settlement claim at a tenth to nine tenths of its calls (bench/README.md, round 11). Written out
// as parameters (`id IN ($1, $2)`), the list has the same length in both plans, so they cost the same and the
// generic plan is kept. A statement is prepared for each of a few list lengths; a list is padded to the next one by
// repeating its last id, which matches no row twice (`IN` holds for a row or not, however often an id repeats),
// and both plans estimate the padded length. An empty list, or one past the longest, goes as one array. (Lists
// usually longer than ten, as a settlement batch's transfers and accounts, keep their arrays: their generic plan
// looks the cheaper one already, and a plan per length would have to be warmed on every connection.)

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

// Stands for the ids' match while a statement's text is checked (it holds no `?`).
const IDS = '\u0000ids\u0000';

/**
 * A statement over a list of ids, prepared once per list length (named `<name>` for the array, `<name>/<length>`
 * otherwise). `sql` gets what matches a column against the ids (see idsMatch) and places it after every other
 * `?` placeholder of the statement: the ids are its last parameters, which is checked here.
 */
export function idListStatement<Row>(
  name: string,
  sql: (match: string) => string,
  type: IdType = 'text',
): (db: Knex, values: readonly unknown[], ids: readonly unknown[]) => Promise<Row[]> {
  const template = sql(IDS);
  if (template.split(IDS).length !== 2 || template.slice(template.indexOf(IDS)).includes('?'))
    throw new Error(`statement ${name}: its ids must be its last parameters, matched once`);
  const byLength = new Map<number, (db: Knex, values: unknown[]) => Promise<Row[]>>();
  return (db, values, ids) => {
    const length = listLengthFor(ids.length);
    let statement = byLength.get(length);
    if (statement === undefined) {
      const text = template.replace(IDS, idsMatch(length, type));
      statement = preparedStatement<Row>(length === 0 ? name : `${name}/${length}`, text);
      byLength.set(length, statement);
    }
    return statement(db, [...values, ...idParameters(ids, length)]);
  };
}
