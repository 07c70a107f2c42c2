import type { Knex } from 'knex';
import { preparedStatement } from './prepared.js';

// A prepared statement is planned for its parameters (a custom plan) until Postgres finds its generic plan no dearer
// on average; from then on it reuses the generic plan and skips planning. An id list passed as one array
// (`id = ANY($1)`) never gets there: the generic plan takes an array of unknown length for 10 ids, while a custom
// plan sees the 1-3 a hot-path batch carries, so Postgres planned the instance read at every call and the event
// write at a third of them, at about their execution's cost (bench/README.md, round 11). Written out as parameters
// (`id IN ($1, $2)`), the list has the same length in both plans, so they cost the same and the generic plan is
// kept. A statement is prepared for each of a few list lengths; a list is padded to the next one by repeating its
// last id, which matches the same row once (a repeated key is dropped by the index scan), and is estimated as
// another id, as in the generic plan. Past the longest, the list goes as one array and is planned at each call,
// which a batch of that many events shares.

/** The list lengths a statement is prepared for. */
export const LIST_LENGTHS = [1, 2, 4, 8, 16, 32, 64] as const;

/** The length `count` ids are passed at: the shortest list that holds them, or 0 (one array) past the longest. */
export function listLengthFor(count: number): number {
  return LIST_LENGTHS.find((length) => length >= count && count > 0) ?? 0;
}

/** What matches a column against the ids: `IN (?, …)` with `length` placeholders, or `= ANY(?::text[])` for 0. */
export function idsMatch(length: number): string {
  return length === 0 ? '= ANY(?::text[])' : `IN (${Array.from({ length }, () => '?').join(', ')})`;
}

/** The ids as the parameters of `idsMatch(length)`: padded with the last id to `length`, or one array for 0. */
export function idParameters(ids: readonly string[], length: number): unknown[] {
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
): (db: Knex, values: readonly unknown[], ids: readonly string[]) => Promise<Row[]> {
  const byLength = new Map<number, (db: Knex, values: unknown[]) => Promise<Row[]>>();
  return (db, values, ids) => {
    const length = listLengthFor(ids.length);
    let statement = byLength.get(length);
    if (statement === undefined) {
      statement = preparedStatement<Row>(length === 0 ? name : `${name}/${length}`, sql(idsMatch(length)));
      byLength.set(length, statement);
    }
    return statement(db, [...values, ...idParameters(ids, length)]);
  };
}
